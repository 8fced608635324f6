"""The service side of inbound sync: remote changes applied with the API's own rules.

The integration engine cannot import services (layers point one way); it is handed these
operations in its runtime instead (`hub.integrations.ports.LocalServices`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.errors import ApiError
from hub.integrations.ports import LocalServices
from hub.schemas.appointments import AppointmentUpdate
from hub.services import appointments


class AppointmentObjects:
    """Appointments as remote calendars change them: moves and cancellations."""

    def update(
        self, session: Session, principal: Principal, local_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Move or resize an appointment through the booking rules."""
        try:
            body = AppointmentUpdate.model_validate(changes)
        except ValidationError as err:
            raise ApiError(422, "VALIDATION_ERROR") from err
        return appointments.update(session, principal, local_id, body)

    def cancel(self, session: Session, principal: Principal, local_id: str) -> dict[str, Any]:
        """Cancel an appointment whose remote event was deleted."""
        return appointments.set_status(session, principal, local_id, "cancelled")


def local_services() -> LocalServices:
    """The operations the engine applies remote changes through, by local type."""
    return LocalServices({"appointment": AppointmentObjects()})
