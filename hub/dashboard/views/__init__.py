"""The dashboard's pages; importing this package registers them on the blueprint."""

from hub.dashboard.views import auth, credentials, events, integrations, users, webhooks

__all__ = ["auth", "credentials", "events", "integrations", "users", "webhooks"]
