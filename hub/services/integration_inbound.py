"""The service side of inbound sync: remote changes applied with the API's own rules.

The integration engine cannot import services (layers point one way); it is handed these
operations in its runtime instead (`hub.integrations.ports.LocalServices`).
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.errors import ApiError
from hub.integrations.ports import LocalServices
from hub.models import Customer
from hub.schemas.appointments import AppointmentUpdate
from hub.schemas.customers import CustomerCreate, CustomerUpdate
from hub.services import appointments, customers
from hub.services.tenancy import scoped


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


def e164(phone: str | None, region: str = "FR") -> str | None:
    """A phone number in E.164, read in `region` without a country code; None if not one."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _validated(model: Any, data: dict[str, Any]) -> Any:
    """`data` as the API's request schema reads it; 422 VALIDATION_ERROR with its fields."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        fields = sorted({".".join(str(x) for x in e["loc"]) for e in err.errors()})
        raise ApiError(422, "VALIDATION_ERROR", {"fields": fields}) from err


class CustomerObjects:
    """Customers as remote CRMs change them: created, matched, edited.

    Fields go through the API's own request schemas and `hub.services.customers`, so a
    customer made from a remote record obeys the rules of `POST /v2/customers` and records
    the same `customer.*` events. A remote deletion never deletes a customer (the API has no
    customer deletion): the engine drops the link and the customer stays.
    """

    def __init__(self, region: str = "FR") -> None:
        """`region` reads stored phone numbers that have no country code."""
        self.region = region

    def match(self, session: Session, principal: Principal, data: dict[str, Any]) -> str | None:
        """An existing customer with the same e-mail (any case), else the same E.164 phone."""
        email = str(data.get("email") or "").strip().lower()
        if email:
            found = session.scalars(
                scoped(select(Customer.id), Customer, principal)
                .where(func.lower(Customer.email) == email)
                .order_by(Customer.created_at, Customer.id)
                .limit(1)
            ).first()
            if found:
                return str(found)
        phone = e164(data.get("phone"), self.region)
        if phone is None:
            return None
        digits = phone[-6:]
        rows = session.execute(
            scoped(select(Customer.id, Customer.phone), Customer, principal)
            .where(Customer.phone.is_not(None))
            .order_by(Customer.created_at, Customer.id)
        ).all()
        for customer_id, stored in rows:
            if digits in "".join(ch for ch in stored or "" if ch.isdigit()) and (
                e164(stored, self.region) == phone
            ):
                return str(customer_id)
        return None

    def create(
        self, session: Session, principal: Principal, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Create a customer from a remote record (a missing name becomes "-")."""
        body = {k: v for k, v in data.items() if k in CustomerCreate.model_fields}
        body.setdefault("first_name", "")
        body.setdefault("last_name", "")
        if not body["first_name"] and not body["last_name"]:
            body["last_name"] = body.get("email") or "-"
        if not body["first_name"]:
            body["first_name"] = "-"
        if not body["last_name"]:
            body["last_name"] = "-"
        return customers.create(session, principal, _validated(CustomerCreate, body))

    def update(
        self, session: Session, principal: Principal, local_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply a remote edit (only the fields the mapping produced)."""
        body = {k: v for k, v in changes.items() if k in CustomerUpdate.model_fields}
        return customers.update(session, principal, local_id, _validated(CustomerUpdate, body))

    def cancel(self, session: Session, principal: Principal, local_id: str) -> dict[str, Any]:
        """The remote record was deleted: the customer stays (only its link goes)."""
        return customers.get(session, principal, local_id)


def local_services() -> LocalServices:
    """The operations the engine applies remote changes through, by local type."""
    return LocalServices({"appointment": AppointmentObjects(), "customer": CustomerObjects()})
