"""Appointment operations: booking, changes, the status machine, listing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.auth.guard import Principal
from hub.db import get_db, transaction
from hub.errors import ApiError, field_error
from hub.ids import new_id
from hub.models import Appointment, Customer, Payment, Service, Technician
from hub.rawsql import RawQuery, iso_text, read_snapshot, timestamp_to_iso
from hub.schemas.appointments import (
    AppointmentCreate,
    AppointmentQuery,
    AppointmentUpdate,
    Location,
    Reschedule,
)
from hub.services import booking, events
from hub.services.payment_view import with_payment
from hub.services.scheduling_data import locate
from hub.services.teams import account_zone
from hub.services.tenancy import get_owned, get_reference, page_meta
from hub.timeutil import parse_datetime, utcnow

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
STATUS_EVENTS = {
    "confirmed": "appointment.confirmed",
    "completed": "appointment.completed",
    "cancelled": "appointment.cancelled",
}


def _place(a: Appointment, location: Location | None, customer: Customer) -> None:
    """Where: the body's location, else the customer's address."""
    if location is not None:
        a.address, a.city, a.postal_code = location.address, location.city, location.postal_code
        coords = location.coordinates
        a.lat, a.lng = (coords.lat, coords.lng) if coords else (None, None)
    elif a.postal_code is None and customer.address:
        addr = customer.address
        a.address, a.city = addr.get("street"), addr.get("city")
        a.postal_code = addr.get("postal_code")
        a.lat = a.lng = None
    if a.postal_code is None:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            {"errors": [field_error("location", "missing", key="customer_without_address")]},
        )
    if a.lat is None or a.lng is None:
        point = locate(a.postal_code, None, None)  # 422 UNKNOWN_POSTAL_CODE if unknown
        a.lat, a.lng = point.lat, point.lng


def _set_time(a: Appointment, start: datetime, duration: int, service: Service) -> None:
    a.scheduled_at = start
    a.duration = duration
    a.ends_at = start + timedelta(minutes=duration)
    a.buffer_before, a.buffer_after = service.buffer_before, service.buffer_after
    a.block_start = start - timedelta(minutes=service.buffer_before)
    a.block_end = a.ends_at + timedelta(minutes=service.buffer_after)


def _book(session: Session, p: Principal, a: Appointment, technician_id: str | None) -> None:
    """Run the booking rules for `a` as it now stands and set its technician."""
    if technician_id is not None:
        get_reference(session, Technician, technician_id, p, "technician_id")
    req = booking.Request(
        service=a.service,
        start=a.scheduled_at,
        duration=a.duration,
        postal_code=a.postal_code,
        lat=a.lat,
        lng=a.lng,
        technician_id=technician_id,
        ignore_appointment_id=a.id,
    )
    # No autoflush while the rules read: the moved row must not reach the database (and, on
    # PostgreSQL, its exclusion constraint) before the rules have had their say.
    with session.no_autoflush:
        a.technician_id = booking.assign(session, p, req)


def _transition(a: Appointment, to_status: str) -> None:
    if to_status == a.status:
        return
    if to_status not in TRANSITIONS[a.status]:
        raise ApiError(
            409,
            "INVALID_STATUS_TRANSITION",
            {"from": a.status, "to": to_status, "allowed": sorted(TRANSITIONS[a.status])},
            from_status=a.status,
            to_status=to_status,
        )
    now = utcnow()
    a.status = to_status
    if to_status == "confirmed":
        a.confirmed_at = now
    elif to_status == "completed":
        a.completed_at = now
    elif to_status == "cancelled":
        a.cancelled_at = now


def _emit(session: Session, p: Principal, a: Appointment, event_type: str) -> None:
    session.flush()
    session.refresh(a)
    data = with_payment(session, rep.appointment_event(a))
    events.record(session, p.account_id, p.environment, event_type, data)


def emit_updated(session: Session, p: Principal, a: Appointment) -> None:
    """Record `appointment.updated` for a change made by another service (in its transaction)."""
    _emit(session, p, a, "appointment.updated")


def create(
    session: Session, p: Principal, body: AppointmentCreate, source: str = "api"
) -> dict[str, Any]:
    """Book an appointment (the scheduling rules decide) and record `appointment.created`."""
    with transaction(session):
        customer = get_reference(session, Customer, body.customer_id, p, "customer_id")
        service = get_reference(session, Service, body.service_id, p, "service_id")
        a = Appointment(
            id=new_id("apt"),
            account_id=p.account_id,
            environment=p.environment,
            customer_id=customer.id,
            service_id=service.id,
            status=body.status,
            notes=body.notes,
            notify_customer=body.notify_customer,
            reminder_sms=body.reminder_sms,
            reminder_email=body.reminder_email,
            source=source,
        )
        a.customer, a.service = customer, service
        if body.status == "confirmed":
            a.confirmed_at = utcnow()
        _place(a, body.location, customer)
        _set_time(a, body.scheduled_at, body.duration or service.duration, service)
        _book(session, p, a, body.technician_id)
        session.add(a)
        _emit(session, p, a, "appointment.created")
        return with_payment(session, rep.appointment(a))


def update(
    session: Session, p: Principal, appointment_id: str, body: AppointmentUpdate
) -> dict[str, Any]:
    """Change the fields sent; time, place or technician changes go through the booking rules."""
    with transaction(session):
        a = get_owned(session, Appointment, appointment_id, p, for_update=True)
        fields = body.model_dump(exclude_unset=True)
        new_status = fields.pop("status", None)
        if a.status in ("completed", "cancelled") and fields:
            raise ApiError(
                409,
                "INVALID_STATUS_TRANSITION",
                {"from": a.status, "to": a.status, "reason": "final_status"},
                from_status=a.status,
                to_status=a.status,
            )
        rebook = False
        if fields.get("customer_id"):
            a.customer = get_reference(session, Customer, fields["customer_id"], p, "customer_id")
        if fields.get("service_id") and fields["service_id"] != a.service_id:
            a.service = get_reference(session, Service, fields["service_id"], p, "service_id")
            rebook = True
        if "location" in fields and body.location is not None:
            _place(a, body.location, a.customer)
            rebook = True
        start = body.scheduled_at if body.scheduled_at is not None else a.scheduled_at
        duration = (
            body.duration
            if body.duration is not None
            else (a.service.duration if "service_id" in fields else a.duration)
        )
        if start != a.scheduled_at or duration != a.duration or rebook:
            _set_time(a, start, duration, a.service)
            rebook = True
        technician_id = a.technician_id
        if fields.get("technician_id") and fields["technician_id"] != a.technician_id:
            technician_id = fields["technician_id"]
            rebook = True
        for name in ("notify_customer", "reminder_sms", "reminder_email"):
            if fields.get(name) is not None:
                setattr(a, name, fields[name])
        if "notes" in fields:
            a.notes = fields["notes"]
        if rebook and a.status in ("pending", "confirmed"):
            _book(session, p, a, technician_id)
            a.reminder_sent_at = None
        changed = session.is_modified(a) or rebook
        if new_status is not None and new_status != a.status:
            _transition(a, new_status)
            _emit(session, p, a, STATUS_EVENTS.get(new_status, "appointment.updated"))
        elif changed:
            _emit(session, p, a, "appointment.updated")
        return with_payment(session, rep.appointment(a))


def reschedule(
    session: Session, p: Principal, appointment_id: str, body: Reschedule
) -> dict[str, Any]:
    """Move an appointment (and maybe change its technician) under the booking rules."""
    return update(
        session,
        p,
        appointment_id,
        AppointmentUpdate.model_validate(body.model_dump(exclude_unset=True)),
    )


def set_status(
    session: Session, p: Principal, appointment_id: str, to_status: str
) -> dict[str, Any]:
    """confirm / complete / cancel, following the status machine."""
    with transaction(session):
        a = get_owned(session, Appointment, appointment_id, p, for_update=True)
        if a.status == to_status:
            return with_payment(
                session, rep.appointment(a)
            )  # idempotent: confirming twice is not an error
        _transition(a, to_status)
        if to_status == "confirmed" and a.technician_id:
            # A confirmation re-checks the slot: busy periods may have appeared since booking.
            _book(session, p, a, a.technician_id)
        _emit(session, p, a, STATUS_EVENTS[to_status])
        return with_payment(session, rep.appointment(a))


def get(session: Session, p: Principal, appointment_id: str) -> dict[str, Any]:
    """One appointment."""
    return with_payment(
        session, rep.appointment(get_owned(session, Appointment, appointment_id, p))
    )


def _bound(session: Session, p: Principal, text: str, end: bool) -> datetime:
    """A filter bound: a date is a whole local day of the account (date_to includes it)."""
    if len(text.strip()) == 10:
        from hub.services.teams import local_day_bounds, parse_day

        tz = account_zone(session, p)
        start, stop = local_day_bounds(parse_day(text.strip(), tz), tz)
        return stop if end else start
    return parse_datetime(text)


@functools.cache
def _list_statement(timestamps_as_text: bool = False) -> Select[Any]:
    """Appointment columns joined with the few customer/service/technician fields shown.

    `timestamps_as_text`: the database writes the time columns as the API's ISO 8601 text
    (PostgreSQL), instead of the driver building datetimes only to have them written out again.
    """
    cols = [
        iso_text(getattr(Appointment, name)).label(name)
        if timestamps_as_text and name in rep.APPOINTMENT_TIMESTAMPS
        else getattr(Appointment, name)
        for name in rep.APPOINTMENT_COLUMNS
    ]
    # The online payment (Stripe), one row at most per appointment (unique appointment_id).
    cols += [
        (
            iso_text(getattr(Payment, name))
            if timestamps_as_text and name in rep.PAYMENT_TIMESTAMPS
            else getattr(Payment, name)
        ).label(f"payment_{name}")
        for name in rep.PAYMENT_COLUMNS
    ]
    return (
        select(
            *cols,
            Customer.first_name.label("customer_first_name"),
            Customer.last_name.label("customer_last_name"),
            Customer.email.label("customer_email"),
            Customer.phone.label("customer_phone"),
            Service.name.label("service_name"),
            Service.duration.label("service_duration"),
            Service.price.label("service_price"),
            Technician.name.label("technician_name"),
        )
        .join(Customer, Customer.id == Appointment.customer_id)
        .join(Service, Service.id == Appointment.service_id)
        .outerjoin(Technician, Technician.id == Appointment.technician_id)
        .outerjoin(Payment, Payment.appointment_id == Appointment.id)
    )


_FILTERS: dict[str, Callable[[Any], Any]] = {
    "status": lambda a: a.status == bindparam("status"),
    "technician_id": lambda a: a.technician_id == bindparam("technician_id"),
    "customer_id": lambda a: a.customer_id == bindparam("customer_id"),
    "postal_code": lambda a: a.postal_code == bindparam("postal_code"),
    "date_from": lambda a: a.scheduled_at >= bindparam("date_from"),
    "date_to": lambda a: a.scheduled_at < bindparam("date_to"),
    "updated_since": lambda a: a.updated_at >= bindparam("updated_since"),
}


def _order(sort: str | None) -> tuple[Any, Any]:
    """The page's order: time order by default, or `sort` with `id` in the same direction."""
    if sort is None:
        return Appointment.scheduled_at, Appointment.id
    column = getattr(Appointment, sort.lstrip("-"))
    if sort.startswith("-"):
        return column.desc(), Appointment.id.desc()
    return column.asc(), Appointment.id.asc()


def _conditions(entity: Any, filters: frozenset[str]) -> list[Any]:
    return [
        entity.account_id == bindparam("account_id"),
        entity.environment == bindparam("environment"),
        *(_FILTERS[name](entity) for name in sorted(filters)),
    ]


class _ListQueries(NamedTuple):
    page: RawQuery
    total: RawQuery
    together: RawQuery | None  # the total and the page in one statement, where it pays


@functools.lru_cache(maxsize=256)
def _raw_list_queries(
    dialect: Dialect, filters: frozenset[str], sort: str | None = None
) -> _ListQueries:
    """The list's queries for one combination of filters and order, compiled once per dialect.

    Run on the DBAPI (`hub.rawsql`): SQLAlchemy's per-execution machinery and per-column
    result processing had become most of a list request's cost. On PostgreSQL the total and
    the page come back from one statement (one round trip, one snapshot); SQLite runs them
    apart (as one statement it gave up the index order and cost more than the two). A `sort`
    other than the default runs apart too: the joined page's time columns are text there,
    truncated to the second, and could not repeat the inner order exactly.
    """
    count, page = _list_statements(
        filters, timestamps_as_text=dialect.name == "postgresql", sort=sort
    )
    together = None
    if dialect.name != "sqlite" and sort is None:
        total = count.subquery("total")
        rows = page.subquery("page")
        together = (
            select(total.c.count, *rows.c)
            .select_from(total.outerjoin(rows, true()))
            .order_by(rows.c.scheduled_at, rows.c.id)
        )
    return _ListQueries(
        RawQuery(page, dialect),
        RawQuery(count, dialect),
        RawQuery(together, dialect, inline=frozenset({"limit", "offset"}))
        if together is not None
        else None,
    )


def _list_statements(
    filters: frozenset[str], timestamps_as_text: bool = False, sort: str | None = None
) -> tuple[Select[Any], Select[Any]]:
    """The count and page statements for one combination of filters and one order."""
    # count(*), not count(id): the tenant index alone answers it.
    count = (
        select(func.count().label("count"))
        .select_from(Appointment)
        .where(*_conditions(Appointment, filters))
    )
    # A deferred join: the page's ids come off the tenant index alone (it holds scheduled_at
    # and id), and only those rows are read and joined. Skipping 500 rows then costs index
    # entries, not 500 joined rows: page 51 answers 2.5x (SQLite) to 5x (PostgreSQL) faster,
    # page 1 some 10 to 20 microseconds slower. (Another `sort` reads the table: no index
    # holds created_at or updated_at.)
    order = _order(sort)
    ids = (
        select(Appointment.id)
        .where(*_conditions(Appointment, filters))
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page_ids")
    )
    page = (
        _list_statement(timestamps_as_text).join(ids, ids.c.id == Appointment.id).order_by(*order)
    )
    return count, page


def list_(session: Session, p: Principal, q: AppointmentQuery) -> dict[str, Any]:
    """A page of appointments with the spec's filters, in time order or in `q.sort`'s.

    The hot path of the API: one Core query for the page and one for the count, rows turned
    into dicts directly (no ORM objects).
    """
    params: dict[str, Any] = {"account_id": p.account_id, "environment": p.environment}
    for name in ("status", "technician_id", "customer_id", "postal_code"):
        value = getattr(q, name)
        if value:
            params[name] = value
    if q.date_from:
        params["date_from"] = _bound(session, p, q.date_from, False)
    if q.date_to:
        params["date_to"] = _bound(session, p, q.date_to, True)
    if q.updated_since:
        params["updated_since"] = q.updated_since
    engine = get_db().engine
    queries = _raw_list_queries(
        engine.dialect, frozenset(params) - {"account_id", "environment"}, q.sort
    )
    offset = (q.page - 1) * q.per_page
    values = {**params, "limit": q.per_page, "offset": offset}
    with read_snapshot(engine) as cursor:
        if queries.together is not None:
            # One round trip: the total, LEFT JOINed with the page (one row of NULLs if empty).
            together = queries.together
            cursor.execute(together.sql_for(values), together.params(values))
            found = cursor.fetchall()
            total = found[0][0] if found else 0
            rows = [r[1:] for r in found if r[1] is not None]
        else:
            cursor.execute(queries.page.sql, queries.page.params(values))
            rows = cursor.fetchall()
            if 0 < len(rows) < q.per_page or (not rows and offset == 0):
                total = offset + len(rows)  # a page that is not full tells the total by itself
            else:
                cursor.execute(queries.total.sql, queries.total.params(params))
                total = cursor.fetchone()[0] or 0
    timestamp = timestamp_to_iso(engine.dialect)
    keys = queries.page.columns
    return {
        "data": [
            rep.appointment_from_row(dict(zip(keys, r, strict=True)), timestamp) for r in rows
        ],
        "meta": page_meta(total, q.page, q.per_page),
    }
