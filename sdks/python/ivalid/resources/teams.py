"""`client.teams`: the `/teams` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Team
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import PaginationParams, TeamCreateParams, TeamUpdateParams


class Teams(Resource):
    """Teams: groups of technicians."""

    def list(self, **params: Unpack[PaginationParams]) -> Page[Team]:
        """`GET /teams`."""
        return self._list(Team, "/teams", params)

    def get(self, team_id: str) -> Team:
        """`GET /teams/:id`."""
        return self._call(Team, "GET", f"/teams/{segment(team_id)}")

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[TeamCreateParams]
    ) -> Team:
        """`POST /teams`."""
        return self._call(Team, "POST", "/teams", body=params, idempotency_key=idempotency_key)

    def update(self, team_id: str, **params: Unpack[TeamUpdateParams]) -> Team:
        """`PUT /teams/:id`: change only the fields given."""
        return self._call(Team, "PUT", f"/teams/{segment(team_id)}", body=params)
