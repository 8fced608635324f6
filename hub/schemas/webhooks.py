"""Webhook endpoints and their delivery logs: the spec's create body, updates, representations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hub.schemas.common import Instant, Meta, Out, PageQuery, Strict
from hub.services.events import SUBSCRIBABLE


def _event_types(values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in SUBSCRIBABLE]
    if unknown:
        raise PydanticCustomError(
            "unknown_event_type",
            "unknown event type(s) {unknown}; known: {known}",
            {"unknown": ", ".join(unknown), "known": ", ".join(SUBSCRIBABLE)},
        )
    return list(dict.fromkeys(values))


EventTypes = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(min_length=1, max_length=len(SUBSCRIBABLE)),
    AfterValidator(_event_types),
]
# Printable ASCII, no spaces: it is an HMAC key typed into configuration files.
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r"^[!-~]+$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class WebhookCreate(Strict):
    """POST /v2/webhooks, the spec's body: the secret is generated (whsec_…) when absent."""

    url: Url
    events: EventTypes
    secret: Secret | None = None
    active: bool = True
    description: str | None = Field(default=None, max_length=500)


class WebhookUpdate(Strict):
    """PUT /v2/webhooks/:id: only the fields sent change; `active: true` re-enables."""

    url: Url | None = None
    events: EventTypes | None = None
    secret: Secret | None = None
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


class RotateSecret(Strict):
    """POST /v2/webhooks/:id/rotate-secret: a new secret (generated when absent)."""

    secret: Secret | None = None


class Recover(Strict):
    """POST /v2/webhooks/:id/recover: re-send every subscribed event since `since`."""

    since: Instant
    until: Instant | None = None


DeliveryStatus = Literal["pending", "succeeded", "failed", "cancelled"]


class DeliveryQuery(PageQuery):
    """Filters of GET /v2/webhooks/:id/deliveries."""

    status: DeliveryStatus | None = None
    event_type: str | None = Field(default=None, max_length=64)
    event_id: str | None = Field(default=None, max_length=40)
    since: Instant | None = Field(default=None, description="Created at or after.")
    until: Instant | None = Field(default=None, description="Created before.")


class WebhookOut(Out):
    """An endpoint (the secret is only shown by create and rotate-secret)."""

    id: str
    url: str
    events: list[str]
    active: bool
    description: str | None
    secret: str | None = Field(default=None, description="Shown once, at creation or rotation.")
    secret_hint: str
    disabled_reason: str | None
    disabled_at: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookList(Out):
    """A page of endpoints."""

    data: list[WebhookOut]
    meta: Meta


class AttemptOut(Out):
    """One HTTP attempt: when, the answer's status, latency, the first 1 KB, the error."""

    number: int
    attempted_at: datetime
    success: bool
    status_code: int | None
    latency_ms: int
    response_body: str
    error: str | None
    detail: str | None


class DeliveryOut(Out):
    """One event sent to one endpoint, and its attempts."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryList(Out):
    """A page of deliveries, newest first."""

    data: list[DeliveryOut]
    meta: Meta


class RecoverOut(Out):
    """What a recovery queued."""

    webhook_id: str
    since: datetime
    until: datetime | None
    queued: int
