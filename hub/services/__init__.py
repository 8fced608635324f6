"""Domain operations: each runs in one transaction and records its events."""
