"""/v2/appointments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.appointments import (
    AppointmentCreate,
    AppointmentList,
    AppointmentOut,
    AppointmentQuery,
    AppointmentUpdate,
    Reschedule,
    Transition,
)
from hub.services import appointments

bp = Blueprint("appointments", __name__, url_prefix="/v2/appointments")
ERRORS = (404, 409, 422)


@route(
    bp,
    "",
    "GET",
    scope="appointments:read",
    summary="Lister les rendez-vous",
    query=AppointmentQuery,
    response=AppointmentList,
)
def list_appointments(p: Principal, query: AppointmentQuery) -> dict[str, Any]:
    return appointments.list_(get_session(), p, query)


@route(
    bp,
    "",
    "POST",
    scope="appointments:write",
    summary="Créer un rendez-vous",
    body=AppointmentCreate,
    response=AppointmentOut,
    status=201,
    errors=(409, 422),
)
def create_appointment(p: Principal, body: AppointmentCreate) -> dict[str, Any]:
    return appointments.create(get_session(), p, body)


@route(
    bp,
    "/<appointment_id>",
    "GET",
    scope="appointments:read",
    summary="Obtenir un rendez-vous",
    response=AppointmentOut,
    errors=(404,),
)
def get_appointment(p: Principal, appointment_id: str) -> dict[str, Any]:
    return appointments.get(get_session(), p, appointment_id)


@route(
    bp,
    "/<appointment_id>",
    "PUT",
    scope="appointments:write",
    summary="Modifier un rendez-vous",
    body=AppointmentUpdate,
    response=AppointmentOut,
    errors=ERRORS,
)
def update_appointment(
    p: Principal, appointment_id: str, body: AppointmentUpdate
) -> dict[str, Any]:
    return appointments.update(get_session(), p, appointment_id, body)


@route(
    bp,
    "/<appointment_id>",
    "DELETE",
    scope="appointments:write",
    summary="Annuler un rendez-vous (il reste consultable)",
    response=AppointmentOut,
    errors=(404, 409),
)
def cancel_appointment(p: Principal, appointment_id: str) -> dict[str, Any]:
    return appointments.set_status(get_session(), p, appointment_id, "cancelled")


@route(
    bp,
    "/<appointment_id>/confirm",
    "POST",
    scope="appointments:write",
    summary="Confirmer un rendez-vous",
    body=Transition,
    body_optional=True,
    response=AppointmentOut,
    errors=ERRORS,
)
def confirm_appointment(p: Principal, appointment_id: str, body: Transition) -> dict[str, Any]:
    return appointments.set_status(get_session(), p, appointment_id, "confirmed")


@route(
    bp,
    "/<appointment_id>/complete",
    "POST",
    scope="appointments:write",
    summary="Terminer un rendez-vous",
    body=Transition,
    body_optional=True,
    response=AppointmentOut,
    errors=ERRORS,
)
def complete_appointment(p: Principal, appointment_id: str, body: Transition) -> dict[str, Any]:
    return appointments.set_status(get_session(), p, appointment_id, "completed")


@route(
    bp,
    "/<appointment_id>/cancel",
    "POST",
    scope="appointments:write",
    summary="Annuler un rendez-vous",
    body=Transition,
    body_optional=True,
    response=AppointmentOut,
    errors=ERRORS,
)
def cancel_appointment_post(p: Principal, appointment_id: str, body: Transition) -> dict[str, Any]:
    return appointments.set_status(get_session(), p, appointment_id, "cancelled")


@route(
    bp,
    "/<appointment_id>/reschedule",
    "POST",
    scope="appointments:write",
    summary="Déplacer un rendez-vous",
    body=Reschedule,
    response=AppointmentOut,
    errors=ERRORS,
)
def reschedule_appointment(p: Principal, appointment_id: str, body: Reschedule) -> dict[str, Any]:
    return appointments.reschedule(get_session(), p, appointment_id, body)
