"""The service side of inbound sync: remote changes applied with the API's own rules.

The integration engine cannot import services (layers point one way); it is handed these
operations in its runtime instead (`hub.integrations.ports.LocalServices`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.errors import ApiError
from hub.integrations.ports import LocalServices
from hub.models import Customer
from hub.phones import DEFAULT_REGION, e164
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

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        """`region` reads a remote record's phone number that has no country code."""
        self.region = region

    def match(self, session: Session, principal: Principal, data: dict[str, Any]) -> str | None:
        """An existing customer with the same e-mail (any case), else the same E.164 phone.

        Both are indexed lookups: e-mails are stored lower-cased, phones also in E.164
        (`Customer.phone_e164`, set by the customer service on every write).
        """
        email = str(data.get("email") or "").strip().lower()
        if email:
            found = session.scalars(
                scoped(select(Customer.id), Customer, principal)
                .where(Customer.email == email)
                .order_by(Customer.created_at, Customer.id)
                .limit(1)
            ).first()
            if found:
                return str(found)
        phone = e164(data.get("phone"), self.region)
        if phone is None:
            return None
        found = session.scalars(
            scoped(select(Customer.id), Customer, principal)
            .where(Customer.phone_e164 == phone)
            .order_by(Customer.created_at, Customer.id)
            .limit(1)
        ).first()
        return str(found) if found else None

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

    def duplicates(self, session: Session, principal: Principal, local_id: str) -> list[str]:
        """Other customers with this one's e-mail, else its E.164 phone (oldest first)."""
        return customers.duplicates(session, principal, local_id)

    def merge(
        self, session: Session, principal: Principal, loser_id: str, survivor_id: str
    ) -> dict[str, Any]:
        """Merge a customer into its duplicate (`hub.services.customers.merge_into`)."""
        return customers.merge_into(session, principal, loser_id, survivor_id)


def local_services() -> LocalServices:
    """The operations the engine applies remote changes through, by local type."""
    return LocalServices({"appointment": AppointmentObjects(), "customer": CustomerObjects()})
