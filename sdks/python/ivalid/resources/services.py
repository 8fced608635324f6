"""`client.services`: the `/services` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Service
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import ServiceCreateParams, ServiceListParams, ServiceUpdateParams


class Services(Resource):
    """Services: what the account offers, with duration, price and required skills."""

    def list(self, **params: Unpack[ServiceListParams]) -> Page[Service]:
        """`GET /services`: filter by `category` or `available_online`."""
        return self._list(Service, "/services", params)

    def get(self, service_id: str) -> Service:
        """`GET /services/:id`."""
        return self._call(Service, "GET", f"/services/{segment(service_id)}")

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[ServiceCreateParams]
    ) -> Service:
        """`POST /services`."""
        return self._call(
            Service, "POST", "/services", body=params, idempotency_key=idempotency_key
        )

    def update(self, service_id: str, **params: Unpack[ServiceUpdateParams]) -> Service:
        """`PUT /services/:id`: change only the fields given."""
        return self._call(Service, "PUT", f"/services/{segment(service_id)}", body=params)
