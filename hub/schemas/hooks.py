"""REST hooks of the automation platforms (Zapier, Make): subscribe and the status page."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from hub.schemas.common import Out, Strict
from hub.services.events import CATALOGUE

PLATFORMS = ("zapier", "make")


def _event(value: str) -> str:
    if value not in CATALOGUE:
        raise PydanticCustomError(
            "unknown_event_type",
            "unknown event type {unknown}; known: {known}",
            {"unknown": value, "known": ", ".join(CATALOGUE)},
        )
    return value


class HookCreate(Strict):
    """POST /v2/integrations/{platform}/hooks: one event of the spec's catalogue."""

    target_url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    event: Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_event)]


class HookOut(Out):
    """A REST hook; `secret` (the HMAC key of its X-iValid-Signature) only in the 201."""

    id: str
    target_url: str
    event: str
    platform: str
    created_at: str
    secret: str | None = None


class GrantOut(Out):
    """One authorization of an app by an account user."""

    id: str
    client_id: str
    app_name: str
    user_email: str
    scope: str
    created_at: str


class PlatformStatus(Out):
    """GET /v2/integrations/{zapier|make}."""

    connected: bool
    grants: list[GrantOut] = Field(default_factory=list)
    hooks: list[HookOut] = Field(default_factory=list)
