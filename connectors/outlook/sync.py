"""Outlook's sync spec: what the integration engine needs to know, as data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.spec import Endpoint, StreamSpec, SyncSpec

from . import const
from .schema import EVENT_FIELDS

APPOINTMENT_EVENTS = frozenset(
    {
        "appointment.created",
        "appointment.updated",
        "appointment.confirmed",
        "appointment.cancelled",
        "appointment.completed",
    }
)

# Graph's free/busy states (`showAs`) that leave the person available.
_FREE_SHOW_AS = frozenset({"free", "workingelsewhere"})


def is_free(data: Mapping[str, Any]) -> bool:
    """Outlook: "Show as: free" or "working elsewhere", or a meeting that was cancelled."""
    if data.get("isCancelled") is True:
        return True
    return str(data.get("showAs") or "").lower() in _FREE_SHOW_AS


def oauth_urls(endpoints: Mapping[str, str]) -> dict[str, str]:
    """An application-permission connection's OAuth settings: its tenant and mode.

    (A delegated connection keeps the configured authority: its cache was filled there.)
    """
    if endpoints.get("permissions") != const.PERMISSIONS_APPLICATION or not endpoints.get("tenant"):
        return {}
    return {"tenant": endpoints["tenant"], "permissions": const.PERMISSIONS_APPLICATION}


# Tokens come from msal over its serialised cache (the `cache` token store): msal decides
# when to refresh, and the engine stores the cache back when msal changed it.
SPEC = SyncSpec(
    auth="oauth2",
    env_prefix="OUTLOOK",
    token_store="cache",
    # What a connection made through admin consent keeps: its tenant and its mode (the
    # token of the client credentials grant names both).
    endpoints=(
        Endpoint("tenant", from_token="tenant_id"),
        Endpoint("permissions", from_token="permissions", allowed=const.PERMISSIONS),
    ),
    oauth_urls=oauth_urls,
    streams=(
        StreamSpec(
            name=const.STREAM_EVENTS,
            local_type="appointment",
            direction="both",
            push_on=APPOINTMENT_EVENTS,
            inbound="calendar",
            busy=is_free,
            mapping="outlook",
            remote_schema="outlook.event",
            remote_fields=EVENT_FIELDS,
            per_technician=True,
        ),
    ),
)
