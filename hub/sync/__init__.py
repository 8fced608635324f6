"""The integration sync hub: connections, OAuth connect, push/pull engine, channels.

Importing the package plugs the push consumer into the outbox fan-out, so committed
appointment changes become pushes to connected calendars (in the worker, never in a request).
See docs/integrations.md.
"""

from hub.sync import outbox

outbox.register()
