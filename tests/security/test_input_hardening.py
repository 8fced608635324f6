"""Replays of input attacks: none may answer 500, leak a secret, or be processed truncated.

Deep JSON, years at datetime's limits, a chunked body over the size limit, LIKE wildcards in a
search, OAuth secrets in the access log, and a new webhook endpoint handed an old backlog.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from hub.db import get_db, transaction
from hub.events.fanout import claim_events, fan_out
from hub.models import WebhookDelivery
from hub.timeutil import utcnow
from tests.support import Api, LiveServer, Tenant

MAX_BODY = 4096


def _error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    err = resp.json["error"]
    assert err["code"] == code and isinstance(err["message"], str) and err["message"]
    return err  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- deep JSON


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_400_not_a_500(api: Api, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    raw = '{"first_name": "Deep", "last_name": "Nest", "custom_fields": {"x": ' + nested + "}}"
    resp = api.client.post(
        "/v2/customers",
        data=raw,
        headers=api.headers({"Content-Type": "application/json"}),
    )
    err = _error(resp, 400, "INVALID_JSON")
    assert err["details"]["reason"] == "nested too deep"


def test_moderate_nesting_reaches_validation(api: Api) -> None:
    """Under the depth bound, a nested body is validated as usual (a field error, not 400)."""
    fields: Any = "leaf"
    for _ in range(40):
        fields = {"x": fields}
    resp = api.post(
        "/v2/customers", {"first_name": "Ok", "last_name": "Nest", "custom_fields": fields}
    )
    _error(resp, 422, "VALIDATION_ERROR")


# -------------------------------------------------------------------------- extreme years

YEARS = ["9999-12-31", "0001-01-01"]


def _date_routes(tenant: Tenant, day: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, url, body) for every route that takes a date or a date-time."""
    ids = tenant.ids
    stamp = f"{day}T23:30:00+14:00" if day.startswith("9999") else f"{day}T00:30:00-12:00"
    naive = f"{day}T12:00:00"
    book = {"customer_id": ids["customer_id"], "service_id": ids["service_id"]}
    q = f"service_id={ids['service_id']}&postal_code=75001"
    return [
        ("POST", "/v2/appointments", {**book, "scheduled_at": stamp}),
        ("POST", "/v2/appointments", {**book, "scheduled_at": naive}),
        ("PUT", "/v2/appointments/{apt}", {"scheduled_at": stamp}),
        ("POST", "/v2/appointments/{apt}/reschedule", {"scheduled_at": stamp}),
        (
            "POST",
            "/v2/availability/check",
            {"service_id": ids["service_id"], "scheduled_at": stamp, "postal_code": "75001"},
        ),
        ("GET", f"/v2/availability?{q}&date={day}", None),
        ("GET", f"/v2/availability/slots?{q}&date_from={day}&date_to={day}", None),
        ("GET", f"/v2/appointments?date_from={day}", None),
        ("GET", f"/v2/appointments?date_to={day}", None),
        ("GET", f"/v2/appointments?date_from={naive}", None),
        ("GET", f"/v2/events?date_from={day}", None),
        ("GET", f"/v2/events?date_to={stamp.replace('+', '%2B')}", None),
        ("GET", f"/v2/technicians/{ids['technician_id']}/schedule?date={day}", None),
    ]


@pytest.mark.parametrize("day", YEARS)
def test_years_at_the_limits_of_datetime_are_a_422_on_every_date_route(
    api: Api, tenant: Tenant, day: str
) -> None:
    apt = api.get("/v2/appointments").json["data"][0]["id"]
    for method, url, body in _date_routes(tenant, day):
        url = url.replace("{apt}", apt)
        resp = api.client.open(
            url,
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers=api.headers({"Content-Type": "application/json"}),
        )
        assert resp.status_code == 422, (method, url, resp.get_data(as_text=True))
        err = resp.json["error"]
        assert err["code"] == "VALIDATION_ERROR", (method, url)
        reasons = {e["reason"] for e in err["details"]["errors"]}
        assert reasons == {"year_out_of_range"}, (method, url, err)


def test_the_year_bound_is_stated_in_the_openapi_document(api: Api) -> None:
    doc = api.client.get("/v2/openapi.json").get_data(as_text=True)
    assert doc.count("Years 1970 to 2199.") >= 5


# ------------------------------------------------------------------ chunked oversize body


@pytest.fixture()
def live(base_config: dict[str, Any], data_dir: Path, tenant: Tenant) -> Iterator[LiveServer]:
    """`ivalid serve` (gunicorn, its access log in `live.log`) with a 4 KiB body limit."""
    env = {
        "IVALID_DATABASE_URL": base_config["database_url"],
        "IVALID_DATA_DIR": str(data_dir),
        "IVALID_RATE_LIMIT": "100000/minute",
        "IVALID_MAX_BODY_BYTES": str(MAX_BODY),
    }
    server = LiveServer(env, workers=1, threads=4)
    yield server
    server.stop()


def _chunks(body: bytes, size: int = 500) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _customer_body(notes_size: int) -> bytes:
    return json.dumps(
        {"first_name": "Chunk", "last_name": "Ed", "custom_fields": {"pad": "x" * notes_size}}
    ).encode()


def test_a_chunked_body_over_the_limit_is_refused_not_truncated(
    live: LiveServer, tenant: Tenant
) -> None:
    headers = {"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/json"}
    # A body whose first 4 KiB would parse as JSON if cut there: the old cut-and-process bug.
    body = _customer_body(100) + b" " * (MAX_BODY * 2)
    resp = requests.post(
        f"{live.url}/v2/customers", data=_chunks(body), headers=headers, timeout=30
    )
    assert resp.status_code == 413, resp.text
    err = resp.json()["error"]
    assert err["code"] == "PAYLOAD_TOO_LARGE" and err["details"]["max_bytes"] == MAX_BODY
    listed = requests.get(
        f"{live.url}/v2/customers", params={"q": "chunk"}, headers=headers, timeout=30
    )
    assert listed.json()["meta"]["total"] == 0  # nothing was created

    small = _customer_body(1000)
    resp = requests.post(
        f"{live.url}/v2/customers", data=_chunks(small), headers=headers, timeout=30
    )
    assert resp.status_code == 201, resp.text  # within the limit, chunked works
    assert resp.json()["custom_fields"]["pad"] == "x" * 1000


# ------------------------------------------------------------------ OAuth secrets in logs


def test_the_access_log_never_records_an_oauth_code_or_state(live: LiveServer) -> None:
    url = f"{live.url}/oauth/callback/google_calendar"
    params = {"code": "4/SECRETCODE-xyz", "state": "SECRETSTATE123", "scope": "calendar"}
    requests.get(
        url,
        params=params,
        headers={"Referer": f"{url}?code=REFERERCODE&state=REFERERSTATE"},
        timeout=30,
    )
    requests.get(f"{live.url}/healthz", timeout=30)  # the callback's line is flushed by now
    log = Path(live.log.name).read_text()
    assert "/oauth/callback/google_calendar?code=REDACTED&state=REDACTED&scope=REDACTED" in log
    for secret in ("SECRETCODE", "SECRETSTATE123", "REFERERCODE", "REFERERSTATE"):
        assert secret not in log


def test_the_development_server_log_is_redacted_too() -> None:
    import logging

    from hub.accesslog import RedactingFilter

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - [%s] "%s" %s %s',
        ("127.0.0.1", "now", "GET /oauth/callback/x?code=SECRET&state=S2 HTTP/1.1", "200", "-"),
        None,
    )
    assert RedactingFilter().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line and "S2" not in line and "code=REDACTED&state=REDACTED" in line


# ------------------------------------------------------------------------- LIKE wildcards


@pytest.mark.parametrize(
    "q,expected",
    [
        pytest.param("%", ["Cent%Pour"], id="percent"),
        pytest.param("_", ["Sous_Tiret"], id="underscore"),
        pytest.param("\\", ["Barre\\Oblique"], id="escape-character"),
        pytest.param("e%o", [], id="percent-inside"),  # a wildcard would match Tempo
        pytest.param("s_t", ["Sous_Tiret"], id="underscore-inside"),  # …and Sousxtiret
    ],
)
def test_customer_search_treats_like_wildcards_literally(
    api: Api, q: str, expected: list[str]
) -> None:
    for first in ("Cent%Pour", "Sous_Tiret", "Barre\\Oblique", "Sousxtiret", "Tempo"):
        assert api.post("/v2/customers", {"first_name": first, "last_name": "Joker"}).status_code
    found = api.get("/v2/customers", q=q, per_page=100).json["data"]
    assert sorted(c["first_name"] for c in found) == expected


# ------------------------------------------------------------------- webhook backfill


def test_a_new_endpoint_is_not_handed_events_recorded_before_it(app: Flask, api: Api) -> None:
    """Events still waiting to be dispatched when an endpoint is created are not its own."""
    for name in ("Avant", "Aussi"):
        assert api.post("/v2/customers", {"first_name": name, "last_name": "X"}).status_code == 201
    hook = api.post(
        "/v2/webhooks", {"url": "https://127.0.0.1:9/hook", "events": ["customer.created"]}
    )
    assert hook.status_code == 201, hook.json
    assert api.post("/v2/customers", {"first_name": "Après", "last_name": "X"}).status_code == 201
    db = get_db(app)
    with db.session() as s, transaction(s):
        fan_out(s, claim_events(s, 500), utcnow())
    with db.session() as s:
        deliveries = s.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == hook.json["id"])
        ).all()
        assert len(deliveries) == 1 and b"Apr" in deliveries[0].body
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
