"""The SDK's objects: dicts of the API's JSON with typed attributes (no server)."""

from __future__ import annotations

import copy
import json
import pickle

import ivalid
import pytest
from ivalid.types import Appointment, Technician

SPEC_APPOINTMENT = {
    "id": "apt_1234567890",
    "customer": {
        "id": "cust_abc123",
        "name": "Marie Dupont",
        "email": "marie@example.com",
        "phone": "+33612345678",
    },
    "service": {
        "id": "srv_installation",
        "name": "Installation Climatisation",
        "duration": 120,
        "price": 150.00,
    },
    "technician": {"id": "tech_xyz789", "name": "Jean Martin"},
    "scheduled_at": "2025-01-20T09:00:00Z",
    "status": "confirmed",
    "location": {
        "address": "15 rue des Lilas",
        "city": "Paris",
        "postal_code": "75001",
        "coordinates": {"lat": 48.8566, "lng": 2.3522},
    },
    "a_field_added_later": {"nested": [{"x": 1}]},
}


def test_fields_read_as_attributes_and_as_keys() -> None:
    apt = Appointment.construct(SPEC_APPOINTMENT)
    assert apt.id == apt["id"] == "apt_1234567890"
    assert apt.customer.name == "Marie Dupont"
    assert apt.service.price == 150.0
    assert apt.location is not None and apt.location.coordinates is not None
    assert apt.location.coordinates.lng == 2.3522
    assert type(apt.customer).__name__ == "AppointmentCustomer"


def test_unknown_fields_are_kept_and_missing_documented_ones_read_none() -> None:
    apt = Appointment.construct(SPEC_APPOINTMENT)
    assert apt["a_field_added_later"]["nested"][0].x == 1
    assert apt.notes is None and "notes" not in apt
    with pytest.raises(AttributeError):
        _ = apt.not_a_field


def test_objects_stay_plain_json() -> None:
    apt = Appointment.construct(SPEC_APPOINTMENT)
    assert json.loads(json.dumps(apt)) == SPEC_APPOINTMENT
    assert apt == SPEC_APPOINTMENT
    assert apt.to_dict() == SPEC_APPOINTMENT and type(apt.to_dict()["customer"]) is dict
    assert pickle.loads(pickle.dumps(apt)) == apt
    clone = copy.deepcopy(apt)
    clone.customer.name = "Marie Martin"
    assert apt.customer.name == "Marie Dupont" and clone["customer"]["name"] == "Marie Martin"
    assert "apt_1234567890" in repr(apt)


def test_working_hours_are_typed_per_day() -> None:
    tech = Technician.construct(
        {"id": "tech_1", "working_hours": {"monday": {"start": "08:00", "end": "18:00"}}}
    )
    assert tech.working_hours["monday"].end == "18:00"
    assert type(tech.working_hours["monday"]).__name__ == "WorkingHours"


def test_a_page_reads_like_the_json_list() -> None:
    page = ivalid.Page(
        [Appointment.construct(SPEC_APPOINTMENT)],
        ivalid.types.PageMeta.construct({"total": 42, "page": 1, "per_page": 10, "total_pages": 5}),
    )
    assert page["meta"]["total"] == 42 and page.meta.total_pages == 5
    assert page.has_more and page.next_page() is None  # a page built by hand cannot fetch
    assert page.to_dict() == {
        "data": [SPEC_APPOINTMENT],
        "meta": {"total": 42, "page": 1, "per_page": 10, "total_pages": 5},
    }
    assert "1/5" in repr(page)


def test_errors_print_status_code_and_request_id() -> None:
    error = ivalid.SlotNotAvailable(
        "Le créneau demandé n'est plus disponible",
        http_status=409,
        code="SLOT_NOT_AVAILABLE",
        suggestions=[{"slot": "2025-01-20T14:00:00Z", "technician_id": "tech_xyz789"}],
        request_id="req_1",
    )
    assert str(error) == (
        "409 SLOT_NOT_AVAILABLE: Le créneau demandé n'est plus disponible (request req_1)"
    )
    assert isinstance(error, ivalid.ConflictError) and isinstance(error, ivalid.APIError)
    assert error.suggestions[0]["slot"] == "2025-01-20T14:00:00Z"
    assert "SlotNotAvailable" in repr(error)
