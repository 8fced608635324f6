"""The scheduling rules through the API: 409 reasons, suggestions, auto-assignment,
availability, slot checks, travel providers and the technician's day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from tests.scheduling.fake_osrm import FakeOsrm
from tests.support import Api, Tenant

MONDAY = "2030-01-07"  # Paris is UTC+1 in January: 09:00Z is 10:00 local


def _body(
    tenant: Tenant, when: str, tech: str | None = "jean", postal: str = "75001", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": tenant.ids["customer_id"],
        "service_id": tenant.ids["service_id"],
        "scheduled_at": when,
        "duration": 60,
        "location": {"address": "1 rue de Rivoli", "city": "Paris", "postal_code": postal},
    }
    if tech:
        body["technician_id"] = tenant.ids[
            "technician_id" if tech == "jean" else "second_technician_id"
        ]
    body.update(extra)
    return body


def _add_busy(app: Flask, tenant: Tenant, start: str, end: str) -> None:
    from hub.db import get_db
    from hub.ids import new_id
    from hub.models import ExternalBusy
    from hub.timeutil import parse_datetime

    with get_db(app).session() as s, s.begin():
        s.add(
            ExternalBusy(
                id=new_id("busy"),
                account_id=tenant.account_id,
                environment="sandbox",
                technician_id=tenant.ids["technician_id"],
                starts_at=parse_datetime(start),
                ends_at=parse_datetime(end),
                source="google-calendar",
                summary="Dentiste",
            )
        )


@pytest.mark.parametrize(
    "setup,when,tech,postal,reason",
    [
        pytest.param(
            [], f"{MONDAY}T06:00:00Z", "jean", "75001", "outside_working_hours", id="before-opening"
        ),
        pytest.param(
            [],
            "2030-01-05T09:00:00Z",
            "jean",
            "75001",
            "outside_working_hours",
            id="saturday-day-off",
        ),
        pytest.param([], f"{MONDAY}T09:00:00Z", "jean", "75011", "out_of_zone", id="zone"),
        pytest.param(
            [f"{MONDAY}T09:00:00Z"],
            f"{MONDAY}T09:30:00Z",
            "jean",
            "75001",
            "already_booked",
            id="overlap",
        ),
        pytest.param(
            [f"{MONDAY}T09:00:00Z"],
            f"{MONDAY}T10:20:00Z",
            "jean",
            "75001",
            "already_booked",
            id="buffers-overlap",
        ),
        pytest.param(
            ["busy"], f"{MONDAY}T13:00:00Z", "jean", "75001", "busy_external", id="external-busy"
        ),
        pytest.param(
            ["limit"],
            f"{MONDAY}T13:00:00Z",
            "jean",
            "75001",
            "daily_limit_reached",
            id="daily-limit",
        ),
        pytest.param(
            [f"{MONDAY}T09:00:00Z|pierre|75001"],
            f"{MONDAY}T10:30:00Z",
            "pierre",
            "75020",
            "travel_time_conflict",
            id="travel-time",
        ),
    ],
)
def test_conflict_reasons(
    app: Flask,
    api: Api,
    tenant: Tenant,
    setup: list[str],
    when: str,
    tech: str,
    postal: str,
    reason: str,
) -> None:
    for item in setup:
        if item == "busy":
            _add_busy(app, tenant, f"{MONDAY}T12:30:00Z", f"{MONDAY}T14:30:00Z")
        elif item == "limit":
            assert (
                api.put(
                    f"/v2/technicians/{tenant.ids['technician_id']}",
                    {"max_appointments_per_day": 1},
                ).status_code
                == 200
            )
            assert (
                api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z")).status_code
                == 201
            )
        else:
            at, who, code = ([*item.split("|"), "jean", "75001"])[:3]
            assert api.post("/v2/appointments", _body(tenant, at, who, code)).status_code == 201
    resp = api.post("/v2/appointments", _body(tenant, when, tech, postal))
    assert resp.status_code == 409, resp.json
    err = resp.json["error"]
    assert err["code"] == "SLOT_NOT_AVAILABLE"
    assert err["details"]["reason"] == reason
    assert err["details"]["requested_slot"] == when
    for s in err["suggestions"]:
        assert set(s) == {"slot", "technician_id"}


def test_skill_mismatch_is_422_not_409(api: Api, tenant: Tenant) -> None:
    services = api.get("/v2/services").json["data"]
    boiler = next(s for s in services if "chauffage" in s["required_skills"])
    resp = api.post(
        "/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z", "pierre", service_id=boiler["id"])
    )
    assert resp.status_code == 422
    err = resp.json["error"]
    assert err["code"] == "SKILL_MISMATCH" and err["details"]["missing_skills"] == ["chauffage"]


def test_suggestions_nearest_same_technician_first(api: Api, tenant: Tenant) -> None:
    assert api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z")).status_code == 201
    resp = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:30:00Z"))
    sugg = resp.json["error"]["suggestions"]
    assert len(sugg) == 3
    jean = tenant.ids["technician_id"]
    assert sugg[0]["technician_id"] == jean
    # Each suggestion is itself bookable.
    first = api.post(
        "/v2/appointments", _body(tenant, sugg[0]["slot"], technician_id=sugg[0]["technician_id"])
    )
    assert first.status_code == 201, first.json
    # Ranked by nearness to the requested time within the same technician.
    same = [
        datetime.fromisoformat(s["slot"].replace("Z", "+00:00"))
        for s in sugg
        if s["technician_id"] == jean
    ]
    requested = datetime(2030, 1, 7, 9, 30, tzinfo=UTC)
    gaps = [abs((t - requested).total_seconds()) for t in same]
    assert gaps == sorted(gaps)


def test_auto_assignment_least_added_travel(api: Api, tenant: Tenant) -> None:
    # Pierre already works in the 20th at 10:00; a 12:00 job next door goes to him,
    # while a 75001 job with Pierre busy in the 20th goes to Jean (already in the 1st).
    assert (
        api.post(
            "/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z", "pierre", "75020")
        ).status_code
        == 201
    )
    near_pierre = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T11:00:00Z", None, "75020"))
    assert near_pierre.status_code == 201, near_pierre.json
    assert near_pierre.json["technician"]["id"] == tenant.ids["second_technician_id"]
    near_jean = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z", None, "75001"))
    assert near_jean.status_code == 201
    assert near_jean.json["technician"]["id"] == tenant.ids["technician_id"]


def test_auto_assignment_nobody_free(api: Api, tenant: Tenant) -> None:
    resp = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T05:00:00Z", None))
    assert resp.status_code == 409
    assert resp.json["error"]["details"]["reason"] == "outside_working_hours"
    assert resp.json["error"]["details"]["technician_id"] is None


def test_unknown_postal_code_is_422(api: Api, tenant: Tenant) -> None:
    resp = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z", postal="99999"))
    assert resp.status_code == 422 and resp.json["error"]["code"] == "UNKNOWN_POSTAL_CODE"
    resp = api.get(
        "/v2/availability", service_id=tenant.ids["service_id"], date=MONDAY, postal_code="99999"
    )
    assert resp.status_code == 422 and resp.json["error"]["code"] == "UNKNOWN_POSTAL_CODE"


@pytest.mark.parametrize(
    ("postal", "where"),
    [("69003", "Lyon"), ("13008", "Marseille"), ("97400", "Saint-Denis (La Réunion)")],
)
def test_postal_codes_across_france_are_located(
    api: Api, tenant: Tenant, postal: str, where: str
) -> None:
    """Outside the technicians' Paris zones: located fine, then refused as out of zone."""
    resp = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z", postal=postal))
    assert resp.status_code == 409, where
    assert resp.json["error"]["details"]["reason"] == "out_of_zone"
    day = api.get(
        "/v2/availability", service_id=tenant.ids["service_id"], date=MONDAY, postal_code=postal
    )
    assert day.status_code == 200 and day.json["slots"] == []


def test_a_postal_code_without_a_known_position_asks_for_coordinates(
    api: Api, tenant: Tenant
) -> None:
    # Île-de-Bréhat is a real postal code, but no open dataset places it: 422, with a way out.
    body = _body(tenant, f"{MONDAY}T09:00:00Z", postal="22870")
    resp = api.post("/v2/appointments", body, headers={"Accept-Language": "en"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "UNKNOWN_POSTAL_CODE"
    assert resp.json["error"]["details"] == {"postal_code": "22870"}
    assert "coordinates" in resp.json["error"]["message"]
    body["location"]["coordinates"] = {"lat": 48.8466, "lng": -3.0026}
    located = api.post("/v2/appointments", body)
    assert located.status_code == 409  # located: now only the zone rule refuses it
    assert located.json["error"]["details"]["reason"] == "out_of_zone"


def test_availability_day(api: Api, tenant: Tenant) -> None:
    assert api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z")).status_code == 201
    resp = api.get(
        "/v2/availability", service_id=tenant.ids["service_id"], date=MONDAY, postal_code="75001"
    )
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["date"] == MONDAY and body["next_available_date"] == "2030-01-08"
    assert body["slots"], body
    for slot in body["slots"]:
        assert set(slot) == {
            "start",
            "end",
            "technician_id",
            "technician_name",
            "travel_time",
            "start_at",
            "end_at",
        }
        local = datetime.fromisoformat(slot["start_at"].replace("Z", "+00:00")) + timedelta(hours=1)
        assert slot["start"] == local.strftime("%H:%M")
    jean_starts = {
        s["start"] for s in body["slots"] if s["technician_id"] == tenant.ids["technician_id"]
    }
    assert "10:00" not in jean_starts and "09:00" in {s["start"] for s in body["slots"]}
    only_pierre = api.get(
        "/v2/availability",
        service_id=tenant.ids["service_id"],
        date=MONDAY,
        postal_code="75001",
        technician_id=tenant.ids["second_technician_id"],
    )
    assert {s["technician_id"] for s in only_pierre.json["slots"]} == {
        tenant.ids["second_technician_id"]
    }


def test_availability_slots_range(api: Api, tenant: Tenant) -> None:
    resp = api.get(
        "/v2/availability/slots",
        service_id=tenant.ids["service_id"],
        date_from=MONDAY,
        date_to="2030-01-13",
        postal_code="75001",
    )
    assert resp.status_code == 200
    days = resp.json["days"]
    assert [d["date"] for d in days] == [f"2030-01-{d:02d}" for d in range(7, 14)]
    assert days[5]["slots"] == [] and days[6]["slots"] == []  # the weekend
    assert days[0]["slots"]
    too_long = api.get(
        "/v2/availability/slots",
        service_id=tenant.ids["service_id"],
        date_from=MONDAY,
        date_to="2030-03-01",
        postal_code="75001",
    )
    assert too_long.status_code == 422


def test_availability_check(api: Api, tenant: Tenant) -> None:
    ok = api.post(
        "/v2/availability/check",
        {
            "service_id": tenant.ids["service_id"],
            "scheduled_at": f"{MONDAY}T09:00:00Z",
            "postal_code": "75001",
        },
    )
    assert ok.status_code == 200 and ok.json["available"] is True
    # Pierre's start location is a few hundred metres from the 1st's centroid, Jean's ~1.2 km.
    assert ok.json["technician_id"] == tenant.ids["second_technician_id"]
    assert api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z")).status_code == 201
    taken = api.post(
        "/v2/availability/check",
        {
            "service_id": tenant.ids["service_id"],
            "scheduled_at": f"{MONDAY}T09:00:00Z",
            "postal_code": "75001",
            "technician_id": tenant.ids["technician_id"],
        },
    )
    assert taken.json["available"] is False and taken.json["reasons"] == ["already_booked"]
    assert len(taken.json["suggestions"]) == 3
    missing = api.post(
        "/v2/availability/check",
        {"service_id": tenant.ids["service_id"], "scheduled_at": f"{MONDAY}T09:00:00Z"},
    )
    assert missing.status_code == 422


def test_sunday_dst_change_through_the_api(api: Api, tenant: Tenant) -> None:
    """Last Sunday of March 2030: local slot times stay 08:00…, UTC shifts by an hour."""
    hours = {"sunday": {"start": "08:00", "end": "12:00"}}
    api.put(f"/v2/technicians/{tenant.ids['technician_id']}", {"working_hours": hours})
    for day, offset in (("2030-03-24", 1), ("2030-03-31", 2), ("2030-10-27", 1)):
        resp = api.get(
            "/v2/availability",
            service_id=tenant.ids["service_id"],
            date=day,
            postal_code="75001",
            technician_id=tenant.ids["technician_id"],
        )
        slots = resp.json["slots"]
        assert slots[0]["start"] == "08:30", (day, slots[:2])  # 08:00 + travel from home
        assert slots[-1]["end"] == "12:00"
        first = datetime.fromisoformat(slots[0]["start_at"].replace("Z", "+00:00"))
        assert first.hour == 8 - offset and first.minute == 30


def test_osrm_travel_provider(base_config: dict[str, Any], tenant: Tenant) -> None:
    from hub import create_app
    from hub.db import get_db

    osrm = FakeOsrm(speed_mps=2.0).start()  # slow traffic: 2 m/s
    app = create_app({**base_config, "osrm_url": osrm.base_url})
    try:
        api = Api(app.test_client(), tenant.api_key)
        resp = api.get(
            "/v2/availability",
            service_id=tenant.ids["service_id"],
            date=MONDAY,
            postal_code="75020",
            technician_id=tenant.ids["second_technician_id"],
        )
        assert resp.status_code == 200, resp.json
        assert osrm.requests, "the OSRM table service was not called"
        # Home (48.8606, 2.3376) to the 20th's centroid is ~4.6 km: ~39 min at 2 m/s,
        # where the default estimate says ~10 min.
        assert resp.json["slots"][0]["travel_time"] >= 35
    finally:
        get_db(app).engine.dispose()
        osrm.stop()


def test_schedule_has_legs_and_free_windows(api: Api, tenant: Tenant) -> None:
    a = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T09:00:00Z", "pierre")).json
    b = api.post("/v2/appointments", _body(tenant, f"{MONDAY}T13:00:00Z", "pierre", "75020")).json
    resp = api.get(f"/v2/technicians/{tenant.ids['second_technician_id']}/schedule", date=MONDAY)
    assert resp.status_code == 200
    body = resp.json
    assert [x["id"] for x in body["appointments"]] == [a["id"], b["id"]]
    assert [(leg["from"], leg["to"]) for leg in body["travel"]] == [
        (None, a["id"]),
        (a["id"], b["id"]),
    ]
    assert body["travel"][1]["minutes"] == 10
    windows = [(w["start"], w["end"]) for w in body["free_windows"]]
    assert windows == [("08:00", "09:45"), ("11:15", "13:45"), ("15:15", "18:00")]
