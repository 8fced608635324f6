"""SQLAlchemy 2 typed models, one module per aggregate; importing this registers them all."""

from hub.models.account import (
    Account,
    ApiKey,
    OAuthClient,
    OAuthCode,
    OAuthGrant,
    OAuthToken,
    SigningKey,
)
from hub.models.appointment import Appointment, ExternalBusy
from hub.models.catalog import Service
from hub.models.customer import Customer
from hub.models.event import Event
from hub.models.idempotency import IdempotencyRecord
from hub.models.integration import (
    IntegrationConnection,
    IntegrationLink,
    IntegrationOAuthState,
    IntegrationStream,
)
from hub.models.notification import Notification
from hub.models.payment import Payment, StripeConnection, StripeCustomer, StripeEvent
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
    "IntegrationConnection",
    "IntegrationLink",
    "IntegrationOAuthState",
    "IntegrationStream",
    "Notification",
    "OAuthClient",
    "OAuthCode",
    "OAuthGrant",
    "OAuthToken",
    "Payment",
    "SandboxReset",
    "Service",
    "SignInAttempt",
    "SigningKey",
    "StripeConnection",
    "StripeCustomer",
    "StripeEvent",
    "Team",
    "Technician",
    "UserToken",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
