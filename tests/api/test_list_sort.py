"""`sort` and `updated_since` on GET /v2/appointments and GET /v2/customers.

The rows' `created_at` and `updated_at` are set by hand (ties included) so the expected order is
known exactly; every order is checked whole and page by page (no object skipped or repeated).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from hub.db import get_db
from hub.models import Appointment, Customer
from tests.support import Api, Tenant

T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
# Offsets in seconds of (created_at, updated_at) for each object, ties on purpose; a seventh
# object (the demo data's own) gets the last pair.
STAMPS = [(0, 50), (0, 10), (5, 10), (5, 40), (5, 40), (9, 20), (12, 12)]
SORTS = ["-created_at", "-updated_at", "created_at", "updated_at"]
MODELS: dict[str, Any] = {"appointments": Appointment, "customers": Customer}


def _make_customers(api: Api, count: int) -> None:
    for n in range(count):
        body = {"first_name": f"Client{n}", "last_name": "Tri", "email": f"tri{n}@example.com"}
        assert api.post("/v2/customers", body).status_code == 201


def _make_appointments(api: Api, tenant: Tenant, count: int) -> None:
    for n in range(count):
        # One a day on working days from Monday 2030-01-07, far from the demo appointment.
        day = datetime(2030, 1, 7, 9, 0, tzinfo=UTC) + timedelta(days=n + 2 * (n // 5))
        body = {
            "customer_id": tenant.ids["customer_id"],
            "service_id": tenant.ids["service_id"],
            "technician_id": tenant.ids["technician_id"],
            "scheduled_at": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": 60,
            "location": {"postal_code": "75001"},
        }
        resp = api.post("/v2/appointments", body)
        assert resp.status_code == 201, resp.json


def _all_ids(api: Api, resource: str) -> list[str]:
    resp = api.get(f"/v2/{resource}", per_page=100)
    assert resp.status_code == 200, resp.json
    return [item["id"] for item in resp.json["data"]]


@pytest.fixture
def stamped(app: Flask, api: Api, tenant: Tenant, request: pytest.FixtureRequest) -> Any:
    """`resource` with 7 objects whose timestamps are STAMPS; {id: (created_at, updated_at)}."""
    resource: str = request.param
    existing = len(_all_ids(api, resource))
    if resource == "customers":
        _make_customers(api, len(STAMPS) - existing)
    else:
        _make_appointments(api, tenant, len(STAMPS) - existing)
    ids = sorted(_all_ids(api, resource))
    assert len(ids) == len(STAMPS)
    model = MODELS[resource]
    stamps: dict[str, tuple[datetime, datetime]] = {}
    with get_db(app).engine.begin() as conn:
        for object_id, (created, updated) in zip(ids, STAMPS, strict=True):
            pair = (
                T0 + timedelta(seconds=created),
                T0 + timedelta(seconds=updated, microseconds=7),
            )
            conn.execute(
                update(model)
                .where(model.id == object_id)
                .values(created_at=pair[0], updated_at=pair[1])
            )
            stamps[object_id] = pair
    return resource, stamps


def _expected(stamps: dict[str, tuple[datetime, datetime]], sort: str) -> list[str]:
    which = 0 if sort.lstrip("-") == "created_at" else 1
    return sorted(stamps, key=lambda i: (stamps[i][which], i), reverse=sort.startswith("-"))


BOTH = pytest.mark.parametrize("stamped", ["appointments", "customers"], indirect=True)


@BOTH
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("per_page", [1, 2, 3, 100])
def test_sorted_pages_cover_the_list_once_in_order(
    api: Api, stamped: Any, sort: str, per_page: int
) -> None:
    resource, stamps = stamped
    seen: list[str] = []
    page = 1
    while True:
        resp = api.get(f"/v2/{resource}", sort=sort, per_page=per_page, page=page)
        assert resp.status_code == 200, resp.json
        assert resp.json["meta"]["total"] == len(stamps)
        seen += [item["id"] for item in resp.json["data"]]
        if page >= resp.json["meta"]["total_pages"]:
            break
        page += 1
    assert seen == _expected(stamps, sort)


@pytest.mark.parametrize(
    "stamped,default",
    [("appointments", "scheduled_at"), ("customers", "-created_at")],
    indirect=["stamped"],
)
def test_without_sort_the_order_is_unchanged(api: Api, stamped: Any, default: str) -> None:
    resource, stamps = stamped
    data = api.get(f"/v2/{resource}", per_page=100).json["data"]
    if default == "scheduled_at":
        assert data == sorted(data, key=lambda a: (a["scheduled_at"], a["id"]))
    else:
        assert [c["id"] for c in data] == _expected(stamps, "-created_at")


@BOTH
@pytest.mark.parametrize(
    "since,sort,offsets",
    [
        # (updated_since, sort, the updated_at offsets in seconds expected, in order)
        pytest.param("2030-01-07T08:00:20Z", "-updated_at", [50, 40, 40, 20], id="utc"),
        pytest.param("2030-01-07T09:00:20+01:00", "updated_at", [20, 40, 40, 50], id="offset"),
        # No offset: the account's time zone (Paris, UTC+1 in January).
        pytest.param("2030-01-07T09:00:41", "updated_at", [50], id="local-time"),
        # updated_at is 40 s and 7 microseconds: at or after 40.000007 s is included.
        pytest.param("2030-01-07T08:00:40.000007Z", "updated_at", [40, 40, 50], id="inclusive"),
        pytest.param("2030-01-07T08:00:40.000008Z", "updated_at", [50], id="just-after"),
        pytest.param("2030-01-07T08:00:51Z", "-updated_at", [], id="nothing-newer"),
        pytest.param("2029-12-31T00:00:00Z", "-created_at", None, id="everything"),
    ],
)
def test_updated_since(
    api: Api, stamped: Any, since: str, sort: str, offsets: list[int] | None
) -> None:
    resource, stamps = stamped
    resp = api.get(f"/v2/{resource}", updated_since=since, sort=sort, per_page=100)
    assert resp.status_code == 200, resp.json
    ids = [item["id"] for item in resp.json["data"]]
    if offsets is None:
        assert ids == _expected(stamps, sort)
    else:
        got = [int((stamps[i][1] - T0).total_seconds()) for i in ids]
        assert got == offsets
        chosen = {i for i in stamps if int((stamps[i][1] - T0).total_seconds()) in offsets}
        assert ids == [i for i in _expected(stamps, sort) if i in chosen]
    assert resp.json["meta"]["total"] == len(ids)


@pytest.mark.parametrize("resource", ["appointments", "customers"])
@pytest.mark.parametrize(
    "params,field,reason",
    [
        pytest.param({"sort": "newest"}, "sort", "literal_error", id="unknown-sort"),
        pytest.param({"sort": "-id"}, "sort", "literal_error", id="id-is-not-a-sort"),
        pytest.param({"sort": "-scheduled_at"}, "sort", "literal_error", id="scheduled-at"),
        pytest.param({"sort": "CREATED_AT"}, "sort", "literal_error", id="case-matters"),
        pytest.param({"sort": ""}, "sort", "literal_error", id="empty"),
        pytest.param({"updated_since": "yesterday"}, "updated_since", None, id="not-a-date"),
        pytest.param(
            {"updated_since": "2030-01-07"}, "updated_since", "datetime_required", id="bare-date"
        ),
        pytest.param(
            {"updated_since": "1900-01-01T00:00:00Z"},
            "updated_since",
            "year_out_of_range",
            id="year-out-of-range",
        ),
    ],
)
def test_bad_sort_or_since_is_a_validation_error(
    api: Api, resource: str, params: dict[str, str], field: str, reason: str | None
) -> None:
    resp = api.get(f"/v2/{resource}", **params)
    assert resp.status_code == 422, resp.json
    error = resp.json["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [e["field"] for e in error["details"]["errors"]] == [field]
    if reason:
        assert error["details"]["errors"][0]["reason"] == reason


def test_a_customers_appointments_sort_too(api: Api, tenant: Tenant) -> None:
    _make_appointments(api, tenant, 3)
    path = f"/v2/customers/{tenant.ids['customer_id']}/appointments"
    newest = [a["id"] for a in api.get(path, sort="-created_at").json["data"]]
    oldest = [a["id"] for a in api.get(path, sort="created_at").json["data"]]
    assert len(newest) == 4 and newest == oldest[::-1]


@pytest.mark.parametrize("path", ["/v2/appointments", "/v2/customers"])
def test_the_openapi_document_lists_sort_and_updated_since(api: Api, path: str) -> None:
    doc = api.client.get("/v2/openapi.json").json
    params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
    sort = params["sort"]["schema"]
    values = sort.get("enum") or next(s["enum"] for s in sort["anyOf"] if "enum" in s)
    assert sorted(values) == sorted(SORTS)
    assert "id" in params["sort"].get("description", "") + str(sort.get("description", ""))
    assert "updated_since" in params
