"""Events: the catalogue, the outbox, webhook signing and delivery."""
