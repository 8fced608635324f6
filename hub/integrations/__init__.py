"""The integration engine: connections, streams, links, the connect flow, pull and push.

Generic: it knows a connector only through the spec its package declares (`connectors.spec`)
and names no vendor. Layers point one way: api → services → integrations → connectors,
mappings (tests/integrations/test_layers.py). The outbox consumer that turns committed changes
into pushes is registered by the fan-out (`hub.events.fanout.CONSUMER_MODULES`), not by
importing this package. See docs/integrations.md.
"""
