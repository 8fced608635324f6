"""Appointments, availability, conflicts and idempotency through the SDK, against a live hub."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import ivalid
import pytest
from ivalid.types import Appointment, AvailabilityCheck, AvailabilityDay
from sdk_support import LiveHub, future_slot, iso_z

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)
PARIS_1 = {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"}


def _book(client: ivalid.Client, live: LiveHub, when: Any, **extra: Any) -> Appointment:
    return client.appointments.create(
        customer_id=live.demo["customer_id"],
        service_id=live.demo["service_id"],
        scheduled_at=when,
        **extra,
    )


def test_appointment_lifecycle(client: ivalid.Client, live: LiveHub) -> None:
    jean, pierre = live.demo["technician_id"], live.demo["second_technician_id"]
    start = future_slot(3, MONDAY, 8)
    created = _book(
        client,
        live,
        start,  # a datetime: the SDK sends it as ISO 8601 UTC
        technician_id=jean,
        duration=120,
        location=PARIS_1,
        notes="Code portail: 1234",
        notify_customer=True,
        reminder_sms=True,
        reminder_email=True,
    )
    assert isinstance(created, Appointment)
    assert created.status == "pending"
    assert created.scheduled_at == iso_z(start)
    assert created.technician is not None and created.technician.id == jean
    assert created.technician.name == "Jean Martin"
    assert created.customer.name == "Marie Dupont"
    assert created.service.price == 150.0
    assert created.location is not None and created.location.postal_code == "75001"
    assert created.notes == "Code portail: 1234" and created.reminder_sms is True

    assert client.appointments.get(created.id) == created

    updated = client.appointments.update(created.id, notes="Sonner deux fois")
    assert updated.notes == "Sonner deux fois" and updated.scheduled_at == created.scheduled_at

    confirmed = client.appointments.confirm(created.id)
    assert confirmed.status == "confirmed"

    later = future_slot(3, MONDAY, 13)
    moved = client.appointments.reschedule(
        created.id, scheduled_at=iso_z(later), technician_id=pierre
    )
    assert moved.scheduled_at == iso_z(later)
    assert moved.technician is not None and moved.technician.id == pierre

    done = client.appointments.complete(created.id)
    assert done.status == "completed"

    with pytest.raises(ivalid.InvalidStatusTransition) as info:
        client.appointments.cancel(created.id)
    error = info.value
    assert isinstance(error, ivalid.ConflictError)
    assert error.http_status == 409 and error.code == "INVALID_STATUS_TRANSITION"
    assert error.request_id


def test_cancel_returns_the_cancelled_appointment(client: ivalid.Client, live: LiveHub) -> None:
    booked = _book(client, live, iso_z(future_slot(3, THURSDAY, 8)))
    cancelled = client.appointments.cancel(booked.id)
    assert cancelled.id == booked.id and cancelled.status == "cancelled"
    assert client.appointments.get(booked.id).status == "cancelled"
    with pytest.raises(ivalid.InvalidStatusTransition):
        client.appointments.confirm(booked.id)


def test_a_taken_slot_raises_slot_not_available_with_usable_suggestions(
    client: ivalid.Client, live: LiveHub
) -> None:
    jean = live.demo["technician_id"]
    when = iso_z(future_slot(3, TUESDAY, 9))
    _book(client, live, when, technician_id=jean)

    with pytest.raises(ivalid.SlotNotAvailable) as info:
        _book(client, live, when, technician_id=jean)
    error = info.value
    assert error.http_status == 409 and error.code == "SLOT_NOT_AVAILABLE"
    assert error.message
    assert error.details["requested_slot"] == when
    assert error.details["technician_id"] == jean
    assert error.suggestions, "the hub should propose alternatives"
    for suggestion in error.suggestions:
        assert set(suggestion) >= {"slot", "technician_id"}
        assert suggestion["slot"].endswith("Z")

    first = error.suggestions[0]
    rebooked = _book(client, live, first["slot"], technician_id=first["technician_id"])
    assert rebooked.scheduled_at == first["slot"]


def test_list_filters_and_customer_appointments(client: ivalid.Client, live: LiveHub) -> None:
    day = future_slot(4, WEDNESDAY, 8)
    a = _book(client, live, day, technician_id=live.demo["technician_id"])
    client.appointments.confirm(a.id)
    b = _book(client, live, day.replace(hour=12), technician_id=live.demo["technician_id"])

    same_day = client.appointments.list(date_from=day.date(), date_to=day.date())
    assert {x.id for x in same_day} == {a.id, b.id}

    confirmed = client.appointments.list(
        status="confirmed", technician_id=live.demo["technician_id"], date_from=day.date()
    )
    assert a.id in {x.id for x in confirmed} and b.id not in {x.id for x in confirmed}

    mine = client.customers.appointments(live.demo["customer_id"], status="pending")
    assert b.id in {x.id for x in mine}
    assert all(x.customer.id == live.demo["customer_id"] for x in mine)

    by_postal_code = client.appointments.list(postal_code="75001", date_from=day.date())
    assert {a.id, b.id} <= {x.id for x in by_postal_code}


def test_the_same_idempotency_key_books_once(client: ivalid.Client, live: LiveHub) -> None:
    key = f"test-{uuid.uuid4()}"
    when = iso_z(future_slot(3, WEDNESDAY, 8))
    first = _book(client, live, when, idempotency_key=key)
    again = _book(client, live, when, idempotency_key=key)
    assert again.id == first.id

    with pytest.raises(ivalid.IdempotencyError) as info:
        _book(client, live, iso_z(future_slot(3, WEDNESDAY, 13)), idempotency_key=key)
    assert info.value.http_status == 422 and info.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_validation_errors_list_the_fields(client: ivalid.Client, live: LiveHub) -> None:
    with pytest.raises(ivalid.ValidationError) as info:
        client.appointments.create(
            customer_id=live.demo["customer_id"],
            service_id=live.demo["service_id"],
            scheduled_at="demain matin",
        )
    error = info.value
    assert error.http_status == 422 and error.code == "VALIDATION_ERROR"
    assert any(e["field"] == "scheduled_at" for e in error.errors), error.errors


def test_unknown_ids_raise_not_found(client: ivalid.Client) -> None:
    with pytest.raises(ivalid.NotFoundError) as info:
        client.appointments.get("apt_doesnotexist")
    assert info.value.http_status == 404 and info.value.code == "NOT_FOUND"


def test_availability_day_slots_and_check(client: ivalid.Client, live: LiveHub) -> None:
    day = future_slot(5, MONDAY, 8).date()
    availability = client.availability.get(
        service_id=live.demo["service_id"], date=day, postal_code="75001"
    )
    assert isinstance(availability, AvailabilityDay)
    assert availability.date == day.isoformat()
    assert availability.slots, "a free Monday has slots"
    slot = availability.slots[0]
    assert slot.technician_id in (live.demo["technician_id"], live.demo["second_technician_id"])
    assert len(slot.start) == 5 and len(slot.end) == 5  # "09:00", local time

    only_jean = client.availability.get(
        service_id=live.demo["service_id"],
        date=day,
        postal_code="75001",
        technician_id=live.demo["technician_id"],
    )
    assert {s.technician_id for s in only_jean.slots} == {live.demo["technician_id"]}

    ranged = client.availability.slots(
        service_id=live.demo["service_id"],
        date_from=day,
        date_to=day + timedelta(days=2),
        postal_code="75001",
    )
    assert (ranged.date_from, ranged.date_to) == (
        day.isoformat(),
        (day + timedelta(days=2)).isoformat(),
    )
    assert ranged.days[0].date == day.isoformat()
    assert ranged.days[0].slots[0].start == slot.start

    free = client.availability.check(
        service_id=live.demo["service_id"],
        scheduled_at=future_slot(5, MONDAY, 9),
        postal_code="75001",
    )
    assert isinstance(free, AvailabilityCheck)
    assert free.available is True and free.technician_id and free.reasons == []

    jean = live.demo["technician_id"]
    taken_at = iso_z(future_slot(5, FRIDAY, 9))
    _book(client, live, taken_at, technician_id=jean)
    taken = client.availability.check(
        service_id=live.demo["service_id"],
        scheduled_at=taken_at,
        postal_code="75001",
        technician_id=jean,
    )
    assert taken.available is False and taken.reasons
    assert all(s.slot and s.technician_id for s in taken.suggestions)
