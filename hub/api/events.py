"""/v2/events: the account's events of the last 30 days, as webhooks deliver them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.events import EventList, EventOut, EventQuery
from hub.services import events

bp = Blueprint("events", __name__, url_prefix="/v2/events")
SCOPE = "webhooks:manage"


@route(
    bp,
    "",
    "GET",
    scope=SCOPE,
    summary="Lister les événements (30 jours)",
    query=EventQuery,
    response=EventList,
)
def list_events(p: Principal, query: EventQuery) -> dict[str, Any]:
    """The account's events of the last 30 days."""
    return events.list_(get_session(), p, query)


@route(
    bp,
    "/<event_id>",
    "GET",
    scope=SCOPE,
    summary="Obtenir un événement",
    response=EventOut,
    errors=(404,),
)
def get_event(p: Principal, event_id: str) -> dict[str, Any]:
    """One event, as webhooks deliver it."""
    return events.get(get_session(), p, event_id)
