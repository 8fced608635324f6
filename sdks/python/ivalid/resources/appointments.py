"""`client.appointments`: the `/appointments` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Appointment
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import (
        AppointmentCreateParams,
        AppointmentListParams,
        AppointmentUpdateParams,
        DateLike,
    )


class Appointments(Resource):
    """Appointments: book, change, confirm, reschedule, complete and cancel interventions."""

    def list(self, **params: Unpack[AppointmentListParams]) -> Page[Appointment]:
        """`GET /appointments`: a page of appointments matching the filters, newest last."""
        return self._list(Appointment, "/appointments", params)

    def get(self, appointment_id: str) -> Appointment:
        """`GET /appointments/:id`."""
        return self._call(Appointment, "GET", f"/appointments/{segment(appointment_id)}")

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[AppointmentCreateParams]
    ) -> Appointment:
        """`POST /appointments`: book a slot; `SlotNotAvailable` (with suggestions) if taken."""
        return self._call(
            Appointment, "POST", "/appointments", body=params, idempotency_key=idempotency_key
        )

    def update(self, appointment_id: str, **params: Unpack[AppointmentUpdateParams]) -> Appointment:
        """`PUT /appointments/:id`: change only the fields given."""
        return self._call(
            Appointment, "PUT", f"/appointments/{segment(appointment_id)}", body=params
        )

    def cancel(self, appointment_id: str, *, reason: str | None = None) -> Appointment:
        """`DELETE /appointments/:id`: cancel the appointment; returns it, now `cancelled`."""
        return self._call(
            Appointment,
            "DELETE",
            f"/appointments/{segment(appointment_id)}",
            body=_reason(reason),
        )

    def confirm(
        self,
        appointment_id: str,
        *,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> Appointment:
        """`POST /appointments/:id/confirm`: a pending appointment becomes `confirmed`."""
        return self._call(
            Appointment,
            "POST",
            f"/appointments/{segment(appointment_id)}/confirm",
            body=_reason(reason),
            idempotency_key=idempotency_key,
        )

    def reschedule(
        self,
        appointment_id: str,
        *,
        scheduled_at: DateLike,
        technician_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Appointment:
        """`POST /appointments/:id/reschedule`: move it, optionally to another technician."""
        body: dict[str, object] = {"scheduled_at": scheduled_at}
        if technician_id is not None:
            body["technician_id"] = technician_id
        return self._call(
            Appointment,
            "POST",
            f"/appointments/{segment(appointment_id)}/reschedule",
            body=body,
            idempotency_key=idempotency_key,
        )

    def complete(
        self,
        appointment_id: str,
        *,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> Appointment:
        """`POST /appointments/:id/complete`: mark the intervention done."""
        return self._call(
            Appointment,
            "POST",
            f"/appointments/{segment(appointment_id)}/complete",
            body=_reason(reason),
            idempotency_key=idempotency_key,
        )


def _reason(reason: str | None) -> dict[str, str] | None:
    """The optional body of confirm, complete and cancel."""
    return {"reason": reason} if reason is not None else None
