"""Tests of the declarative mapping engine and the built-in mappings."""
