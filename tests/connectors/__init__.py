"""Tests of the connectors (real client libraries against loopback fakes, cassettes)."""
