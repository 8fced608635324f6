"""How each object is shown in API responses and event payloads (plain dicts, fast)."""

from __future__ import annotations

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
    location = None
    if a.postal_code or a.address or a.city:
        location = {
            "address": a.address,
            "city": a.city,
            "postal_code": a.postal_code,
            "coordinates": _point(a.lat, a.lng),
        }
    return {
        "id": a.id,
        "customer": {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone},
        "service": {
            "id": s.id,
            "name": s.name,
            "duration": s.duration,
            "price": float(s.price),
        },
        "technician": {"id": t.id, "name": t.name} if t is not None else None,
        "scheduled_at": iso(a.scheduled_at),
        "ends_at": iso(a.ends_at),
        "duration": a.duration,
        "status": a.status,
        "location": location,
        "notes": a.notes,
        "notify_customer": a.notify_customer,
        "reminder_sms": a.reminder_sms,
        "reminder_email": a.reminder_email,
        "created_at": iso(a.created_at),
        "updated_at": iso(a.updated_at),
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
