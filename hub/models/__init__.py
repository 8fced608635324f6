"""SQLAlchemy 2 typed models, one module per aggregate; importing this registers them all."""

from hub.models.account import Account, ApiKey, OAuthClient, OAuthToken, SigningKey
from hub.models.appointment import Appointment, ExternalBusy
from hub.models.catalog import Service
from hub.models.customer import Customer
from hub.models.event import Event
from hub.models.idempotency import IdempotencyRecord
from hub.models.integration import (
    IntegrationCalendar,
    IntegrationConnection,
    IntegrationLink,
    IntegrationOAuthState,
)
from hub.models.notification import Notification
from hub.models.sandbox import SandboxReset
from hub.models.team import Team, Technician
from hub.models.user import AccountUser, SignInAttempt, UserToken
from hub.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "AccountUser",
    "ApiKey",
    "Appointment",
    "Customer",
    "Event",
    "ExternalBusy",
    "IdempotencyRecord",
    "IntegrationCalendar",
    "IntegrationConnection",
    "IntegrationLink",
    "IntegrationOAuthState",
    "Notification",
    "OAuthClient",
    "OAuthToken",
    "SandboxReset",
    "Service",
    "SignInAttempt",
    "SigningKey",
    "Team",
    "Technician",
    "UserToken",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
