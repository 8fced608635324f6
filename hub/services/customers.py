"""Customer operations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.auth.guard import Principal
from hub.db import transaction
from hub.ids import new_id
from hub.models import Appointment, Customer
from hub.phones import e164
from hub.schemas.appointments import AppointmentQuery
from hub.schemas.customers import CustomerCreate, CustomerQuery, CustomerUpdate
from hub.services import events
from hub.services.tenancy import get_owned, paginate, paginate_list, scoped


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if value is not None else None


def create(session: Session, p: Principal, body: CustomerCreate) -> dict[str, Any]:
    """Create a customer and record `customer.created`."""
    with transaction(session):
        c = Customer(
            id=new_id("cust"),
            account_id=p.account_id,
            environment=p.environment,
            first_name=body.first_name,
            last_name=body.last_name,
            email=str(body.email).lower() if body.email else None,
            phone=body.phone,
            phone_e164=e164(body.phone),
            address=_dump(body.address),
            preferences=_dump(body.preferences),
            tags=list(dict.fromkeys(body.tags)),
            custom_fields=dict(body.custom_fields),
        )
        session.add(c)
        session.flush()
        events.record(
            session, p.account_id, p.environment, "customer.created", rep.customer_event(c)
        )
        return rep.customer(c)


def update(
    session: Session, p: Principal, customer_id: str, body: CustomerUpdate
) -> dict[str, Any]:
    """Change the fields sent and record `customer.updated` if anything changed."""
    with transaction(session):
        c = get_owned(session, Customer, customer_id, p, for_update=True)
        changes = body.model_dump(exclude_unset=True, mode="json")
        if changes.get("email"):
            changes["email"] = changes["email"].lower()
        if "tags" in changes and changes["tags"] is not None:
            changes["tags"] = list(dict.fromkeys(changes["tags"]))
        changed = False
        for field, value in changes.items():
            if field in ("first_name", "last_name", "tags", "custom_fields") and value is None:
                continue  # required fields cannot be blanked by a null
            if getattr(c, field) != value:
                setattr(c, field, value)
                changed = True
        if "phone" in changes:
            c.phone_e164 = e164(c.phone)
        if changed:
            session.flush()
            events.record(
                session, p.account_id, p.environment, "customer.updated", rep.customer_event(c)
            )
        return rep.customer(c)


MERGED_TAG = "merged"


def duplicates(session: Session, p: Principal, customer_id: str) -> list[str]:
    """Other customers of the tenant with this one's e-mail, else with its E.164 phone (the
    rule remote records are matched by), oldest first."""
    c = get_owned(session, Customer, customer_id, p)
    for column, value in ((Customer.email, c.email), (Customer.phone_e164, c.phone_e164)):
        if value:
            found = list(
                session.scalars(
                    scoped(select(Customer.id), Customer, p)
                    .where(column == value, Customer.id != c.id)
                    .order_by(Customer.created_at, Customer.id)
                )
            )
            if found:
                return [str(x) for x in found]
    return []


def merge_into(session: Session, p: Principal, loser_id: str, survivor_id: str) -> dict[str, Any]:
    """Merge a duplicate customer into another (a CRM merged their records).

    The survivor keeps its own values and takes the loser's where it has none (e-mail, phone,
    address, preferences), every tag and every custom field it lacks; the loser's appointments
    move to the survivor (`appointment.updated` each). The loser is not deleted (the API has
    no customer deletion): it loses only the e-mail and phone it shared with the survivor
    (they now identify the survivor) and gets the tag `merged`; what differed stays on it.
    Idempotent: merging again changes nothing. Returns the survivor.
    """
    from hub.services import appointments as appointment_service

    with transaction(session):
        loser = get_owned(session, Customer, loser_id, p, for_update=True)
        survivor = get_owned(session, Customer, survivor_id, p, for_update=True)
        changed = False
        for name in ("email", "phone", "address", "preferences"):
            if getattr(survivor, name) in (None, {}) and getattr(loser, name) not in (None, {}):
                setattr(survivor, name, getattr(loser, name))
                changed = True
        survivor.phone_e164 = e164(survivor.phone)
        tags = list(dict.fromkeys([*(survivor.tags or []), *(loser.tags or [])]))
        tags = [t for t in tags if t != MERGED_TAG or t in (survivor.tags or [])]
        custom = {**(loser.custom_fields or {}), **(survivor.custom_fields or {})}
        if tags != list(survivor.tags or []) or custom != dict(survivor.custom_fields or {}):
            survivor.tags, survivor.custom_fields = tags, custom
            changed = True
        loser_changed = False
        if loser.email and loser.email == survivor.email:
            loser.email = None
            loser_changed = True
        if loser.phone_e164 and loser.phone_e164 == survivor.phone_e164:
            loser.phone = loser.phone_e164 = None
            loser_changed = True
        if MERGED_TAG not in (loser.tags or []):
            loser.tags = [*(loser.tags or []), MERGED_TAG][-50:]
            loser_changed = True
        moved = list(
            session.scalars(
                scoped(select(Appointment), Appointment, p)
                .where(Appointment.customer_id == loser.id)
                .order_by(Appointment.id)
                .with_for_update(of=Appointment)
            )
        )
        for appointment in moved:
            appointment.customer_id = survivor.id
        session.flush()
        for appointment in moved:
            appointment_service.emit_updated(session, p, appointment)
        for customer, did in ((survivor, changed), (loser, loser_changed)):
            if did:
                events.record(
                    session,
                    p.account_id,
                    p.environment,
                    "customer.updated",
                    rep.customer_event(customer),
                )
        return rep.customer(survivor)


def get(session: Session, p: Principal, customer_id: str) -> dict[str, Any]:
    """One customer."""
    return rep.customer(get_owned(session, Customer, customer_id, p))


LIKE_ESCAPE = "\\"


def like_literal(text: str) -> str:
    """`text` with LIKE's wildcards (`%`, `_`) and the escape character escaped."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def list_(session: Session, p: Principal, q: CustomerQuery) -> dict[str, Any]:
    """A page of customers, filtered by email, tag or free text."""
    stmt = scoped(select(Customer), Customer, p)
    if q.email:
        stmt = stmt.where(Customer.email == q.email.lower())
    if q.q:
        # `%`, `_` and the escape character itself are literal in a search, on every database.
        like = f"%{like_literal(q.q.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.first_name).like(like, escape=LIKE_ESCAPE),
                func.lower(Customer.last_name).like(like, escape=LIKE_ESCAPE),
                func.lower(Customer.email).like(like, escape=LIKE_ESCAPE),
                Customer.phone.like(like, escape=LIKE_ESCAPE),
            )
        )
    if q.updated_since:
        stmt = stmt.where(Customer.updated_at >= q.updated_since)
    # Newest first by default; equal times ordered by id, in the sort's direction.
    sort = q.sort or "-created_at"
    column = getattr(Customer, sort.lstrip("-"))
    if sort.startswith("-"):
        stmt = stmt.order_by(column.desc(), Customer.id.desc())
    else:
        stmt = stmt.order_by(column.asc(), Customer.id.asc())
    if q.tag:
        # Tags live in a JSON list: filter in Python over the tenant's matches, portable on
        # SQLite and PostgreSQL alike (customer lists are small next to appointments).
        rows = [c for c in session.scalars(stmt) if q.tag in (c.tags or [])]
        page_rows, meta = paginate_list(rows, q.page, q.per_page)
        return {"data": [rep.customer(c) for c in page_rows], "meta": meta}
    items, meta = paginate(session, stmt, q.page, q.per_page)
    return {"data": [rep.customer(c) for c in items], "meta": meta}


def appointments(
    session: Session, p: Principal, customer_id: str, q: AppointmentQuery
) -> dict[str, Any]:
    """A page of one customer's appointments (the appointment filters apply)."""
    from hub.services import appointments as appts

    get_owned(session, Customer, customer_id, p)
    q = q.model_copy(update={"customer_id": customer_id})
    return appts.list_(session, p, q)


__all__ = [
    "Appointment",
    "appointments",
    "create",
    "duplicates",
    "get",
    "list_",
    "merge_into",
    "update",
]
