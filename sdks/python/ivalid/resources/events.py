"""`client.events`: the `/events` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Event
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import EventListParams


class Events(Resource):
    """The account's event log: what webhooks deliver, kept to be read back."""

    def list(self, **params: Unpack[EventListParams]) -> Page[Event]:
        """`GET /events`: filter by `type` and date range."""
        return self._list(Event, "/events", params)

    def get(self, event_id: str) -> Event:
        """`GET /events/:id`."""
        return self._call(Event, "GET", f"/events/{segment(event_id)}")
