"""Customers, services, teams and technicians: create, list with filters, get, partial update."""

from __future__ import annotations

from typing import Any

from tests.support import Api, Tenant

SPEC_CUSTOMER: dict[str, Any] = {
    "first_name": "Marie",
    "last_name": "Dupont",
    "email": "marie.dupont@example.com",
    "phone": "+33612345678",
    "address": {
        "street": "15 rue des Lilas",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    },
    "preferences": {
        "preferred_contact": "sms",
        "preferred_time_slots": ["morning", "afternoon"],
        "language": "fr",
    },
    "tags": ["premium", "fidele"],
    "custom_fields": {"numero_client": "CLT-2024-001"},
}

SPEC_TECHNICIAN: dict[str, Any] = {
    "name": "Jean Martin",
    "email": "jean.martin@company.com",
    "phone": "+33698765432",
    "skills": ["climatisation", "chauffage", "electricite"],
    "zones": ["75001", "75002", "75003", "75004"],
    "working_hours": {
        "monday": {"start": "08:00", "end": "18:00"},
        "tuesday": {"start": "08:00", "end": "18:00"},
        "wednesday": {"start": "08:00", "end": "18:00"},
        "thursday": {"start": "08:00", "end": "18:00"},
        "friday": {"start": "08:00", "end": "17:00"},
    },
    "max_appointments_per_day": 6,
    "current_location": {"lat": 48.8566, "lng": 2.3522},
}

SPEC_SERVICE: dict[str, Any] = {
    "name": "Installation Climatisation",
    "description": "Installation complète d'un système de climatisation",
    "duration": 120,
    "buffer_before": 15,
    "buffer_after": 15,
    "price": 150.00,
    "currency": "EUR",
    "required_skills": ["climatisation", "electricite"],
    "available_online": True,
    "color": "#10B981",
    "category": "installation",
}


def test_customer_crud_and_filters(api: Api) -> None:
    resp = api.post("/v2/customers", SPEC_CUSTOMER)
    assert resp.status_code == 201, resp.json
    c = resp.json
    assert c["id"].startswith("cust_") and c["name"] == "Marie Dupont"
    for key in ("address", "preferences", "tags", "custom_fields", "email", "phone"):
        assert c[key] == SPEC_CUSTOMER[key]
    assert c["created_at"].endswith("Z") and c["updated_at"].endswith("Z")
    other = api.post(
        "/v2/customers",
        {"first_name": "Paul", "last_name": "Durand", "email": "Paul@Example.com", "tags": ["b2b"]},
    ).json
    assert api.get(f"/v2/customers/{c['id']}").json == c
    by_email = api.get("/v2/customers", email="paul@example.com").json
    assert [x["id"] for x in by_email["data"]] == [other["id"]]
    by_tag = api.get("/v2/customers", tag="premium").json
    assert c["id"] in [x["id"] for x in by_tag["data"]] and other["id"] not in [
        x["id"] for x in by_tag["data"]
    ]
    by_q = api.get("/v2/customers", q="durand").json
    assert [x["id"] for x in by_q["data"]] == [other["id"]]
    upd = api.put(f"/v2/customers/{c['id']}", {"phone": "+33700000000"})
    assert upd.status_code == 200
    assert upd.json["phone"] == "+33700000000" and upd.json["first_name"] == "Marie"
    assert upd.json["tags"] == ["premium", "fidele"]


def test_customer_appointments(api: Api, tenant: Tenant) -> None:
    resp = api.get(f"/v2/customers/{tenant.ids['customer_id']}/appointments")
    assert resp.status_code == 200
    assert resp.json["meta"]["total"] == 1
    assert resp.json["data"][0]["customer"]["id"] == tenant.ids["customer_id"]


def test_service_crud(api: Api) -> None:
    resp = api.post("/v2/services", SPEC_SERVICE)
    assert resp.status_code == 201, resp.json
    s = resp.json
    assert s["id"].startswith("srv_")
    for key, value in SPEC_SERVICE.items():
        assert s[key] == value, key
    upd = api.put(f"/v2/services/{s['id']}", {"price": "175.50"}).json
    assert upd["price"] == 175.5 and upd["duration"] == 120
    assert api.get(f"/v2/services/{s['id']}").json["price"] == 175.5
    listed = api.get("/v2/services", category="installation").json
    assert s["id"] in [x["id"] for x in listed["data"]]


def test_team_and_technician_crud(api: Api) -> None:
    team = api.post("/v2/teams", {"name": "Équipe Nord"})
    assert team.status_code == 201 and team.json["id"].startswith("team_")
    body = {**SPEC_TECHNICIAN, "team_id": team.json["id"]}
    resp = api.post("/v2/technicians", body)
    assert resp.status_code == 201, resp.json
    t = resp.json
    assert t["id"].startswith("tech_")
    for key, value in SPEC_TECHNICIAN.items():
        assert t[key] == value, key
    assert api.get(f"/v2/teams/{team.json['id']}").json["technician_ids"] == [t["id"]]
    upd = api.put(f"/v2/technicians/{t['id']}", {"zones": ["75*"], "max_appointments_per_day": 4})
    assert upd.status_code == 200
    assert upd.json["zones"] == ["75*"] and upd.json["skills"] == SPEC_TECHNICIAN["skills"]
    assert [
        x["id"]
        for x in api.get("/v2/technicians", skill="chauffage", zone="75011").json["data"]
        if x["id"] == t["id"]
    ] == [t["id"]]
    assert (
        api.put(f"/v2/teams/{team.json['id']}", {"name": "Équipe Nord-Est"}).json["name"]
        == "Équipe Nord-Est"
    )
    assert len(api.get("/v2/teams").json["data"]) == 2


def test_schedule_lists_the_day_in_time_order(api: Api, tenant: Tenant) -> None:
    apt = api.get("/v2/appointments").json["data"][0]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    day = (
        datetime.fromisoformat(apt["scheduled_at"].replace("Z", "+00:00"))
        .astimezone(ZoneInfo("Europe/Paris"))
        .date()
    )
    later = api.post(
        "/v2/appointments",
        {
            "customer_id": tenant.ids["customer_id"],
            "service_id": tenant.ids["service_id"],
            "technician_id": tenant.ids["technician_id"],
            "scheduled_at": f"{day.isoformat()}T13:00:00Z",
        },
    )
    assert later.status_code == 201, later.json
    sched = api.get(f"/v2/technicians/{tenant.ids['technician_id']}/schedule", date=day.isoformat())
    assert sched.status_code == 200
    ids = [a["id"] for a in sched.json["appointments"]]
    assert ids == [apt["id"], later.json["id"]]
    other_day = api.get(
        f"/v2/technicians/{tenant.ids['technician_id']}/schedule", date="2020-01-01"
    ).json
    assert other_day["appointments"] == []
