"""Date-times without an offset are read on the account's wall clock (DST included)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from hub.db import get_db, transaction
from hub.models import Account
from hub.schemas.appointments import AppointmentQuery, Reschedule
from tests.support import Api, Tenant

MONDAY_9Z = "2030-01-07T09:00:00Z"  # 10:00 in Paris (UTC+1 in January)


def _book(api: Api, tenant: Tenant, when: str) -> dict[str, object]:
    resp = api.post(
        "/v2/appointments",
        {
            "customer_id": tenant.ids["customer_id"],
            "service_id": tenant.ids["service_id"],
            "scheduled_at": when,
        },
    )
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "local,utc",
    [
        pytest.param("2030-01-07T10:00:00", "2030-01-07T09:00:00Z", id="winter"),
        pytest.param("2030-07-08T10:00:00", "2030-07-08T08:00:00Z", id="summer"),
    ],
)
def test_a_naive_scheduled_at_is_paris_time(api: Api, tenant: Tenant, local: str, utc: str) -> None:
    assert _book(api, tenant, local)["scheduled_at"] == utc


def test_naive_filter_bounds_follow_the_accounts_zone(app: Flask, api: Api, tenant: Tenant) -> None:
    apt = _book(api, tenant, MONDAY_9Z)

    def listed(**q: str) -> bool:
        return apt["id"] in {a["id"] for a in api.get("/v2/appointments", **q).json["data"]}

    assert listed(date_from="2030-01-07T10:00:00")  # 10:00 Paris is 09:00Z
    assert not listed(date_from="2030-01-07T10:00:01")
    assert listed(date_to="2030-01-07T10:00:01") and not listed(date_to="2030-01-07T10:00:00")
    with get_db(app).session() as s, transaction(s):
        account = s.get(Account, tenant.account_id)
        assert account is not None
        account.timezone = "UTC"
    assert listed(date_from="2030-01-07T09:00:00")  # now read as UTC
    assert not listed(date_from="2030-01-07T09:00:01")


@pytest.mark.parametrize(
    "local,utc",
    [
        pytest.param("2027-03-28T01:30:00", "2027-03-28T00:30:00Z", id="before-spring-gap"),
        pytest.param("2027-03-28T02:30:00", "2027-03-28T01:30:00Z", id="in-spring-gap-forward"),
        pytest.param("2027-03-28T03:30:00", "2027-03-28T01:30:00Z", id="after-spring-gap"),
        pytest.param("2027-10-31T02:30:00", "2027-10-31T00:30:00Z", id="autumn-first-pass"),
        pytest.param("2027-10-31T03:30:00", "2027-10-31T02:30:00Z", id="after-autumn-change"),
        pytest.param("2027-10-31T02:30:00+01:00", "2027-10-31T01:30:00Z", id="offset-wins"),
    ],
)
def test_naive_times_on_dst_nights(local: str, utc: str) -> None:
    paris = {"zone": lambda: ZoneInfo("Europe/Paris")}
    body = Reschedule.model_validate({"scheduled_at": local}, context=paris)
    assert body.scheduled_at == datetime.fromisoformat(utc.replace("Z", "+00:00"))
    assert body.scheduled_at.tzinfo is UTC
    q = AppointmentQuery.model_validate({"date_from": local}, context=paris)
    assert q.date_from == (local if "+" in local else utc)  # an offset is kept as sent


def test_the_openapi_document_says_how_naive_times_are_read(api: Api) -> None:
    doc = api.client.get("/v2/openapi.json").get_data(as_text=True)
    assert "is read in the account's time zone" in doc
