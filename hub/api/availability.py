"""/v2/availability."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.availability import (
    AvailabilityOut,
    AvailabilityQuery,
    CheckBody,
    CheckOut,
    SlotsOut,
    SlotsQuery,
)
from hub.services import availability

bp = Blueprint("availability", __name__, url_prefix="/v2/availability")


@route(
    bp,
    "",
    "GET",
    scope="appointments:read",
    summary="Créneaux disponibles d'un jour",
    query=AvailabilityQuery,
    response=AvailabilityOut,
    errors=(422,),
)
def get_availability(p: Principal, query: AvailabilityQuery) -> dict[str, Any]:
    return availability.day(get_session(), p, query)


@route(
    bp,
    "/slots",
    "GET",
    scope="appointments:read",
    summary="Créneaux disponibles sur une période (31 jours au plus)",
    query=SlotsQuery,
    response=SlotsOut,
    errors=(422,),
)
def get_slots(p: Principal, query: SlotsQuery) -> dict[str, Any]:
    return availability.range_(get_session(), p, query)


@route(
    bp,
    "/check",
    "POST",
    scope="appointments:read",
    summary="Vérifier un créneau",
    body=CheckBody,
    response=CheckOut,
    errors=(422,),
)
def check(p: Principal, body: CheckBody) -> dict[str, Any]:
    return availability.check_slot(get_session(), p, body)
