"""Bundled reference data of the scheduling engine (see README.md)."""
