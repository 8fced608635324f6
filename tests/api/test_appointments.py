"""Appointments: the spec's body, representation, status machine, overlap, filters, pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import Api, Tenant

MONDAY = "2030-01-07"  # a Monday, far from the demo appointment


def _body(tenant: Tenant, when: str = f"{MONDAY}T09:00:00Z", **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": tenant.ids["customer_id"],
        "service_id": tenant.ids["service_id"],
        "scheduled_at": when,
        "technician_id": tenant.ids["technician_id"],
        "duration": 120,
        "location": {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"},
        "notes": "Code portail: 1234",
        "notify_customer": True,
        "reminder_sms": True,
        "reminder_email": True,
        **extra,
    }


def test_create_with_the_spec_body(api: Api, tenant: Tenant) -> None:
    resp = api.post("/v2/appointments", _body(tenant))
    assert resp.status_code == 201, resp.json
    a = resp.json
    assert a["id"].startswith("apt_") and a["status"] == "pending"
    assert a["scheduled_at"] == f"{MONDAY}T09:00:00Z" and a["ends_at"] == f"{MONDAY}T11:00:00Z"
    assert a["customer"] == {
        "id": tenant.ids["customer_id"],
        "name": "Marie Dupont",
        "email": "marie.dupont@example.com",
        "phone": "+33612345678",
    }
    assert a["technician"]["name"] == "Jean Martin"
    assert (
        a["location"]["postal_code"] == "75001" and a["location"]["address"] == "15 rue des Lilas"
    )
    assert a["notes"] == "Code portail: 1234" and a["reminder_sms"] is True
    assert api.get(f"/v2/appointments/{a['id']}").json == a


def test_time_zone_offsets_are_normalised_to_utc(api: Api, tenant: Tenant) -> None:
    resp = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T10:00:00+01:00"))
    assert resp.status_code == 201
    assert resp.json["scheduled_at"] == f"{MONDAY}T09:00:00Z"


@pytest.mark.parametrize(
    "path,method,to,event_status",
    [
        pytest.param("confirm", "POST", "confirmed", "confirmed", id="confirm"),
        pytest.param("", "DELETE", "cancelled", "cancelled", id="delete-cancels"),
        pytest.param("cancel", "POST", "cancelled", "cancelled", id="cancel"),
    ],
)
def test_transitions_from_pending(
    api: Api, tenant: Tenant, path: str, method: str, to: str, event_status: str
) -> None:
    a = api.post("/v2/appointments", _body(tenant)).json
    url = f"/v2/appointments/{a['id']}" + (f"/{path}" if path else "")
    resp = api.client.open(url, method=method, headers=api.headers())
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == to
    assert api.get(f"/v2/appointments/{a['id']}").json["status"] == to  # the row stays


@pytest.mark.parametrize(
    "steps,final,ok",
    [
        pytest.param(["confirm", "complete"], "completed", True, id="pending-confirmed-completed"),
        pytest.param(["complete"], "pending", False, id="pending-cannot-complete"),
        pytest.param(["cancel", "confirm"], "cancelled", False, id="cancelled-is-final"),
        pytest.param(
            ["confirm", "complete", "cancel"], "completed", False, id="completed-is-final"
        ),
    ],
)
def test_status_machine(api: Api, tenant: Tenant, steps: list[str], final: str, ok: bool) -> None:
    a = api.post("/v2/appointments", _body(tenant)).json
    last = None
    for step in steps:
        last = api.post(f"/v2/appointments/{a['id']}/{step}")
    assert last is not None
    if ok:
        assert last.status_code == 200
    else:
        assert last.status_code == 409
        assert last.json["error"]["code"] == "INVALID_STATUS_TRANSITION"
    assert api.get(f"/v2/appointments/{a['id']}").json["status"] == final


def test_complete_through_put(api: Api, tenant: Tenant) -> None:
    a = api.post("/v2/appointments", _body(tenant, status="confirmed")).json
    resp = api.put(f"/v2/appointments/{a['id']}", {"status": "completed"})
    assert resp.status_code == 200 and resp.json["status"] == "completed"
    again = api.put(f"/v2/appointments/{a['id']}", {"notes": "trop tard"})
    assert again.status_code == 409


def test_put_is_partial(api: Api, tenant: Tenant) -> None:
    a = api.post("/v2/appointments", _body(tenant)).json
    resp = api.put(f"/v2/appointments/{a['id']}", {"notes": "Sonner deux fois"})
    assert resp.status_code == 200
    assert resp.json["notes"] == "Sonner deux fois"
    assert resp.json["scheduled_at"] == a["scheduled_at"]
    assert resp.json["technician"] == a["technician"]


def test_overlap_is_409_in_the_spec_format(api: Api, tenant: Tenant) -> None:
    first = api.post("/v2/appointments", _body(tenant))
    assert first.status_code == 201
    # 11:10 starts inside the first one's buffer_after (11:00 + 15 min) once its own
    # buffer_before (15 min) is counted.
    resp = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T11:10:00Z"))
    assert resp.status_code == 409
    err = resp.json["error"]
    assert err["code"] == "SLOT_NOT_AVAILABLE"
    assert err["message"] == "Le créneau demandé n'est plus disponible"
    assert err["details"]["requested_slot"] == f"{MONDAY}T11:10:00Z"
    assert err["details"]["technician_id"] == tenant.ids["technician_id"]
    assert err["details"]["reason"] == "already_booked"
    assert isinstance(err["suggestions"], list)
    after = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T11:30:00Z"))
    assert after.status_code == 201, after.json


def test_moving_onto_another_is_refused_and_cancelled_frees_the_slot(
    api: Api, tenant: Tenant
) -> None:
    a = api.post("/v2/appointments", _body(tenant)).json
    b = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T14:00:00Z")).json
    moved = api.post(
        f"/v2/appointments/{b['id']}/reschedule", {"scheduled_at": f"{MONDAY}T10:00:00Z"}
    )
    assert moved.status_code == 409
    assert api.get(f"/v2/appointments/{b['id']}").json["scheduled_at"] == f"{MONDAY}T14:00:00Z"
    assert api.delete(f"/v2/appointments/{a['id']}").status_code == 200
    moved = api.post(
        f"/v2/appointments/{b['id']}/reschedule", {"scheduled_at": f"{MONDAY}T10:00:00Z"}
    )
    assert moved.status_code == 200 and moved.json["scheduled_at"] == f"{MONDAY}T10:00:00Z"


def test_filters(api: Api, tenant: Tenant) -> None:
    a = api.post("/v2/appointments", _body(tenant)).json
    b = api.post(
        "/v2/appointments",
        _body(
            tenant,
            "2030-01-08T09:00:00Z",
            technician_id=tenant.ids["second_technician_id"],
            location={"postal_code": "75011", "city": "Paris"},
        ),
    ).json
    api.post(f"/v2/appointments/{b['id']}/confirm")

    def ids(**params: str) -> list[str]:
        resp = api.get("/v2/appointments", **params)
        assert resp.status_code == 200, resp.json
        return [x["id"] for x in resp.json["data"]]

    assert ids(date_from=MONDAY, date_to=MONDAY) == [a["id"]]
    assert ids(date_from="2030-01-08") == [b["id"]]
    assert ids(date_from="2030-01-07T10:00:00Z", date_to="2030-01-09T00:00:00Z") == [b["id"]]
    assert ids(status="confirmed", date_from=MONDAY) == [b["id"]]
    assert ids(technician_id=tenant.ids["second_technician_id"]) == [b["id"]]
    assert ids(postal_code="75011") == [b["id"]]
    assert set(ids(customer_id=tenant.ids["customer_id"], date_from=MONDAY)) == {a["id"], b["id"]}


@pytest.mark.parametrize(
    ("params", "included"),
    [
        pytest.param({"date_from": f"{MONDAY}T09:00:00Z"}, True, id="from-the-exact-instant"),
        pytest.param({"date_from": f"{MONDAY}T09:00:01Z"}, False, id="from-a-second-later"),
        pytest.param(
            {"date_from": f"{MONDAY}T10:00:00+01:00"}, True, id="from-same-instant-offset"
        ),
        pytest.param({"date_to": f"{MONDAY}T09:00:00Z"}, False, id="to-is-exclusive"),
        pytest.param({"date_to": f"{MONDAY}T09:00:00.000001Z"}, True, id="to-a-microsecond-later"),
        pytest.param({"date_from": MONDAY, "date_to": MONDAY}, True, id="the-local-day"),
        pytest.param({"date_to": "2030-01-06"}, False, id="the-day-before"),
    ],
)
def test_date_bounds_to_the_instant(
    api: Api, tenant: Tenant, params: dict[str, str], included: bool
) -> None:
    a = api.post("/v2/appointments", _body(tenant)).json  # Monday 09:00:00Z
    listed = api.get("/v2/appointments", per_page=100, **params)
    assert listed.status_code == 200, listed.json
    assert (a["id"] in [x["id"] for x in listed.json["data"]]) is included


def test_a_listed_appointment_is_exactly_the_one_get_returns(api: Api, tenant: Tenant) -> None:
    """The list reads raw rows, GET loads the object: both must write it the same way."""
    made = [
        api.post("/v2/appointments", _body(tenant)).json,
        api.post(
            "/v2/appointments",
            _body(
                tenant,
                f"{MONDAY}T13:00:00Z",
                technician_id=None,
                notify_customer=False,
                reminder_sms=False,
                reminder_email=False,
                notes=None,
                location={"postal_code": "75011"},
            ),
        ).json,
    ]
    assert all("id" in m for m in made), made
    listed = api.get("/v2/appointments", date_from=MONDAY, date_to=MONDAY).json["data"]
    assert len(listed) == 2
    for item in listed:
        assert item == api.get(f"/v2/appointments/{item['id']}").json
    assert listed[0]["reminder_sms"] is True and listed[1]["reminder_sms"] is False
    assert isinstance(listed[0]["service"]["price"], float)


def test_pagination_edges(api: Api, tenant: Tenant) -> None:
    start = datetime(2030, 2, 4, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris
    for i in range(23):
        day = start + timedelta(days=7 * (i // 3), hours=3 * (i % 3))
        resp = api.post(
            "/v2/appointments", _body(tenant, day.strftime("%Y-%m-%dT%H:%M:%SZ"), duration=60)
        )
        assert resp.status_code == 201, resp.json
    page = api.get("/v2/appointments", date_from="2030-02-01", per_page=10, page=3).json
    assert page["meta"] == {"total": 23, "page": 3, "per_page": 10, "total_pages": 3}
    assert len(page["data"]) == 3
    beyond = api.get("/v2/appointments", date_from="2030-02-01", per_page=10, page=4).json
    assert beyond["data"] == [] and beyond["meta"]["total"] == 23
    all_ids = []
    for n in (1, 2, 3):
        all_ids += [
            x["id"]
            for x in api.get("/v2/appointments", date_from="2030-02-01", per_page=10, page=n).json[
                "data"
            ]
        ]
    assert len(all_ids) == len(set(all_ids)) == 23
    one = api.get("/v2/appointments", date_from="2030-02-01", per_page=100).json
    assert one["meta"]["total_pages"] == 1 and len(one["data"]) == 23
    empty = api.get("/v2/appointments", date_from="2031-01-01").json
    assert empty["meta"] == {"total": 0, "page": 1, "per_page": 10, "total_pages": 0}
