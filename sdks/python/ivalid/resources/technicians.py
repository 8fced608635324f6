"""`client.technicians`: the `/technicians` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Technician, TechnicianSchedule
from .._pagination import Page
from .._util import as_date
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import (
        DateLike,
        TechnicianCreateParams,
        TechnicianListParams,
        TechnicianUpdateParams,
    )


class Technicians(Resource):
    """Technicians: skills, zones, working hours, and their daily schedule."""

    def list(self, **params: Unpack[TechnicianListParams]) -> Page[Technician]:
        """`GET /technicians`: filter by `team_id`, `skill` or `zone` (a postal code)."""
        return self._list(Technician, "/technicians", params)

    def get(self, technician_id: str) -> Technician:
        """`GET /technicians/:id`."""
        return self._call(Technician, "GET", f"/technicians/{segment(technician_id)}")

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[TechnicianCreateParams]
    ) -> Technician:
        """`POST /technicians`."""
        return self._call(
            Technician, "POST", "/technicians", body=params, idempotency_key=idempotency_key
        )

    def update(self, technician_id: str, **params: Unpack[TechnicianUpdateParams]) -> Technician:
        """`PUT /technicians/:id`: change only the fields given."""
        return self._call(Technician, "PUT", f"/technicians/{segment(technician_id)}", body=params)

    def schedule(self, technician_id: str, *, date: DateLike | None = None) -> TechnicianSchedule:
        """`GET /technicians/:id/schedule?date=YYYY-MM-DD`: the technician's day (default today)."""
        return self._call(
            TechnicianSchedule,
            "GET",
            f"/technicians/{segment(technician_id)}/schedule",
            params={"date": as_date(date)},
        )
