"""`client.customers`: the `/customers` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Appointment, Customer
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import (
        CustomerAppointmentListParams,
        CustomerCreateParams,
        CustomerListParams,
        CustomerUpdateParams,
    )


class Customers(Resource):
    """Customers: contact details, preferences, and their appointment history."""

    def list(self, **params: Unpack[CustomerListParams]) -> Page[Customer]:
        """`GET /customers`: filter by `email`, `tag`, or free text `q`."""
        return self._list(Customer, "/customers", params)

    def get(self, customer_id: str) -> Customer:
        """`GET /customers/:id`."""
        return self._call(Customer, "GET", f"/customers/{segment(customer_id)}")

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[CustomerCreateParams]
    ) -> Customer:
        """`POST /customers`."""
        return self._call(
            Customer, "POST", "/customers", body=params, idempotency_key=idempotency_key
        )

    def update(self, customer_id: str, **params: Unpack[CustomerUpdateParams]) -> Customer:
        """`PUT /customers/:id`: change only the fields given."""
        return self._call(Customer, "PUT", f"/customers/{segment(customer_id)}", body=params)

    def appointments(
        self, customer_id: str, **params: Unpack[CustomerAppointmentListParams]
    ) -> Page[Appointment]:
        """`GET /customers/:id/appointments`: the customer's appointments, page by page."""
        return self._list(Appointment, f"/customers/{segment(customer_id)}/appointments", params)
