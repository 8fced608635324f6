"""How each object is shown in API responses and event payloads (plain dicts, fast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.models import Appointment, Customer, Service, Team, Technician
from hub.timeutil import iso


def customer(c: Customer) -> dict[str, Any]:
    """A customer."""
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "address": c.address,
        "preferences": c.preferences,
        "tags": list(c.tags or []),
        "custom_fields": dict(c.custom_fields or {}),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }


def service(s: Service) -> dict[str, Any]:
    """A service, as the spec's example."""
    return {
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "duration": s.duration,
        "buffer_before": s.buffer_before,
        "buffer_after": s.buffer_after,
        "price": float(s.price),
        "currency": s.currency,
        "required_skills": list(s.required_skills or []),
        "available_online": s.available_online,
        "color": s.color,
        "category": s.category,
        "payment": s.payment,
        "deposit_amount": float(s.deposit_amount) if s.deposit_amount is not None else None,
        "deposit_percent": float(s.deposit_percent) if s.deposit_percent is not None else None,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
    }


def _point(lat: float | None, lng: float | None) -> dict[str, float] | None:
    return {"lat": lat, "lng": lng} if lat is not None and lng is not None else None


def technician(t: Technician) -> dict[str, Any]:
    """A technician, as the spec's example."""
    return {
        "id": t.id,
        "name": t.name,
        "email": t.email,
        "phone": t.phone,
        "team_id": t.team_id,
        "skills": list(t.skills or []),
        "zones": list(t.zones or []),
        "working_hours": dict(t.working_hours or {}),
        "max_appointments_per_day": t.max_appointments_per_day,
        "current_location": _point(t.current_lat, t.current_lng),
        "start_location": _point(t.start_lat, t.start_lng),
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    }


def team(t: Team, technician_ids: list[str]) -> dict[str, Any]:
    """A team and the ids of its technicians."""
    return {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "technician_ids": technician_ids,
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    }


def appointment(a: Appointment) -> dict[str, Any]:
    """An appointment, exactly as the spec's response (with a few additions)."""
    c, s, t = a.customer, a.service, a.technician
    flat = {name: getattr(a, name) for name in APPOINTMENT_COLUMNS}
    flat.update(
        customer_first_name=c.first_name,
        customer_last_name=c.last_name,
        customer_email=c.email,
        customer_phone=c.phone,
        service_name=s.name,
        service_duration=s.duration,
        service_price=s.price,
        technician_name=t.name if t is not None else None,
    )
    return appointment_from_row(flat)


# The appointment columns a representation needs; list queries select exactly these (plus the
# joined names below) so the hot path builds dicts from rows without loading ORM objects.
APPOINTMENT_COLUMNS = (
    "id",
    "customer_id",
    "service_id",
    "technician_id",
    "scheduled_at",
    "ends_at",
    "duration",
    "status",
    "address",
    "city",
    "postal_code",
    "lat",
    "lng",
    "notes",
    "notify_customer",
    "reminder_sms",
    "reminder_email",
    "created_at",
    "updated_at",
)


APPOINTMENT_TIMESTAMPS = frozenset({"scheduled_at", "ends_at", "created_at", "updated_at"})


def appointment_from_row(r: Any, timestamp: Callable[[Any], str | None] = iso) -> dict[str, Any]:
    """An appointment from a flat mapping of its columns and its joined names.

    `timestamp` writes a time column's value as ISO 8601 text: `iso` for datetimes, or the
    raw-row reader's converter (`hub.rawsql.timestamp_to_iso`) for the driver's own values.
    """
    location = None
    if r["postal_code"] or r["address"] or r["city"]:
        location = {
            "address": r["address"],
            "city": r["city"],
            "postal_code": r["postal_code"],
            "coordinates": _point(r["lat"], r["lng"]),
        }
    first, last = r["customer_first_name"], r["customer_last_name"]
    return {
        "id": r["id"],
        "customer": {
            "id": r["customer_id"],
            "name": f"{first} {last}".strip(),
            "email": r["customer_email"],
            "phone": r["customer_phone"],
        },
        "service": {
            "id": r["service_id"],
            "name": r["service_name"],
            "duration": r["service_duration"],
            "price": float(r["service_price"]),
        },
        "technician": {"id": r["technician_id"], "name": r["technician_name"]}
        if r["technician_id"] is not None
        else None,
        "scheduled_at": timestamp(r["scheduled_at"]),
        "ends_at": timestamp(r["ends_at"]),
        "duration": r["duration"],
        "status": r["status"],
        "location": location,
        "notes": r["notes"],
        "notify_customer": bool(r["notify_customer"]),
        "reminder_sms": bool(r["reminder_sms"]),
        "reminder_email": bool(r["reminder_email"]),
        "created_at": timestamp(r["created_at"]),
        "updated_at": timestamp(r["updated_at"]),
        "payment": payment_from_row(r, timestamp),
    }


# The payment columns the list joins in (hub/services/appointments.py), as `payment_<name>`.
PAYMENT_COLUMNS = (
    "status",
    "kind",
    "amount",
    "currency",
    "url",
    "expires_at",
    "paid_at",
    "refunded_amount",
    "refund_status",
)
PAYMENT_TIMESTAMPS = frozenset({"expires_at", "paid_at"})


def payment_from_row(r: Any, timestamp: Callable[[Any], str | None] = iso) -> dict[str, Any] | None:
    """An appointment's `payment` object from `payment_<name>` values (None: owes nothing).

    Amounts are the currency's minor units (15000 = 150.00 EUR); the link shows while unpaid.
    """
    if r.get("payment_status") is None:
        return None
    open_link = r["payment_status"] == "unpaid" and r["payment_url"] is not None
    return {
        "status": r["payment_status"],
        "kind": r["payment_kind"],
        "amount": r["payment_amount"],
        "currency": r["payment_currency"],
        "url": r["payment_url"] if open_link else None,
        "expires_at": timestamp(r["payment_expires_at"]) if open_link else None,
        "paid_at": timestamp(r["payment_paid_at"]),
        "refunded_amount": r["payment_refunded_amount"],
        "refund_status": r["payment_refund_status"],
    }


def appointment_event(a: Appointment) -> dict[str, Any]:
    """The `data` of an appointment.* event: the spec's webhook payload, plus the useful rest."""
    data = appointment(a)
    data["customer"] = {"id": a.customer.id, "name": a.customer.name}
    data["service"] = {"id": a.service.id, "name": a.service.name}
    return data


def customer_event(c: Customer) -> dict[str, Any]:
    """The `data` of a customer.* event."""
    return customer(c)
