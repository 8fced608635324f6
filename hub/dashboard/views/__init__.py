"""The dashboard's pages; importing this package registers them on the blueprint."""

from hub.dashboard.views import apps, auth, credentials, events, integrations, users, webhooks

__all__ = ["apps", "auth", "credentials", "events", "integrations", "users", "webhooks"]
