"""Helpers of the sync tests: a clock that moves, the consent page played by a script,
appointments booked through the API, the outbox fan-out as the worker runs it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_db, transaction
from hub.events.fanout import claim_events, fan_out
from hub.timeutil import utcnow
from tests.dates import anchor_monday
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.support import Api, follow_callback

PARIS = ZoneInfo("Europe/Paris")
JEAN_EMAIL = "jean.martin@company.com"
PIERRE_EMAIL = "pierre.dubois@company.com"
NAME = "google-calendar"


class MovingClock:
    """Real time plus an offset tests can advance (leases expire without waiting)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current instant, shifted."""
        with self._lock:
            return utcnow() + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move forward."""
        with self._lock:
            self._offset += delta


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]


def consent(fake: FakeGoogleCalendar, authorization_url: str, decision: str = "allow") -> str:
    """Play the user on the fake's consent page; returns where it redirects the browser."""
    with requests.Session() as browser:
        page = browser.get(authorization_url, timeout=10)
        assert page.status_code == 200, page.text
        form = _Form()
        form.feed(page.text)
        answer = browser.post(
            fake.base_url + "/o/oauth2/v2/auth",
            data={**form.fields, "decision": decision},
            allow_redirects=False,
            timeout=10,
        )
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def connect(api: Api, client: FlaskClient, fake: FakeGoogleCalendar) -> Any:
    """The whole connect flow through the API; returns the callback response."""
    resp = api.post(f"/v2/integrations/{NAME}/connect")
    assert resp.status_code == 200, resp.json
    location = consent(fake, resp.json["authorization_url"])
    return follow_callback(client.application, client, location)


def dispatch(app: Flask) -> int:
    """The outbox fan-out, as the worker's dispatch job runs it."""
    db = get_db(app)
    total = 0
    while True:
        with db.session() as session, transaction(session):
            batch = claim_events(session, 500)
            fan_out(session, batch, utcnow())
        if not batch:
            return total
        total += len(batch)


def next_weekday(index: int = 0) -> datetime:
    """The `index`-th Monday-to-Thursday day from the pinned anchor (tests/dates.py), at local
    midnight in Paris: the same weekday whatever day the suite runs."""
    day = anchor_monday() + timedelta(weeks=index // 4, days=index % 4)
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    """`day` at hh:mm Paris time, in UTC."""
    return day.replace(hour=hour, minute=minute).astimezone(UTC)


def book(
    api: Api, ids: dict[str, str], start: datetime, technician: str = "technician_id", **extra: Any
) -> Any:
    """POST /v2/appointments for the demo customer and service."""
    body = {
        "customer_id": ids["customer_id"],
        "service_id": ids["service_id"],
        "technician_id": ids[technician],
        "scheduled_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
    return api.post("/v2/appointments", body)
