"""`client.availability`: the `/availability` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._models import AvailabilityCheck, AvailabilityDay, AvailabilitySlots
from .._util import as_date
from ._base import Resource

if TYPE_CHECKING:
    from .._params import DateLike, LocationParams


class Availability(Resource):
    """Free slots, given required skills, zones and travel time."""

    def get(
        self,
        *,
        service_id: str,
        date: DateLike,
        postal_code: str,
        technician_id: str | None = None,
        duration: int | None = None,
    ) -> AvailabilityDay:
        """`GET /availability`: one day's free slots for a service at a postal code."""
        params = {
            "service_id": service_id,
            "date": as_date(date),
            "postal_code": postal_code,
            "technician_id": technician_id,
            "duration": duration,
        }
        return self._call(AvailabilityDay, "GET", "/availability", params=params)

    def slots(
        self,
        *,
        service_id: str,
        date_from: DateLike,
        date_to: DateLike,
        postal_code: str,
        technician_id: str | None = None,
        duration: int | None = None,
    ) -> AvailabilitySlots:
        """`GET /availability/slots`: free slots over a range of days (31 at most)."""
        params = {
            "service_id": service_id,
            "date_from": as_date(date_from),
            "date_to": as_date(date_to),
            "postal_code": postal_code,
            "technician_id": technician_id,
            "duration": duration,
        }
        return self._call(AvailabilitySlots, "GET", "/availability/slots", params=params)

    def check(
        self,
        *,
        service_id: str,
        scheduled_at: DateLike,
        postal_code: str | None = None,
        location: LocationParams | None = None,
        technician_id: str | None = None,
        duration: int | None = None,
        idempotency_key: str | None = None,
    ) -> AvailabilityCheck:
        """`POST /availability/check`: can this slot be booked? If not, reasons and suggestions.

        Give the place as `postal_code` or as `location`.
        """
        body: dict[str, Any] = {"service_id": service_id, "scheduled_at": scheduled_at}
        optional = {
            "postal_code": postal_code,
            "location": location,
            "technician_id": technician_id,
            "duration": duration,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return self._call(
            AvailabilityCheck,
            "POST",
            "/availability/check",
            body=body,
            idempotency_key=idempotency_key,
        )
