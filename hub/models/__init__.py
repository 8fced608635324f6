"""SQLAlchemy 2 typed models, one module per aggregate; importing this registers them all."""

from hub.models.account import Account, ApiKey, OAuthClient, OAuthToken, SigningKey
from hub.models.appointment import Appointment, ExternalBusy
from hub.models.catalog import Service
from hub.models.customer import Customer
from hub.models.event import Event
from hub.models.idempotency import IdempotencyRecord
from hub.models.team import Team, Technician

__all__ = [
    "Account",
    "ApiKey",
    "Appointment",
    "Customer",
    "Event",
    "ExternalBusy",
    "IdempotencyRecord",
    "OAuthClient",
    "OAuthToken",
    "Service",
    "SigningKey",
    "Team",
    "Technician",
]
