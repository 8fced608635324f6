"""Randomized convergence of iValid and Outlook (the Graph fake, over HTTP, msal for tokens).

The Google test's scenario (`tests/integrations/test_convergence.py`) run against Microsoft 365: the
same 200 seeded rounds of edits on both sides, worker ticks, pulls killed midway, expired delta
tokens (410 syncStateNotFound), a 429/503, a disconnect and a reconnect through the real msal
code flow, and the same bars — both sides hold the same appointments at the same times, no
duplicates, every foreign event is a busy period, and remote writes are exactly one per local
change plus one per refused remote change put back.

The scenario drives the remote through the Google fake's test-facing methods; `GraphAsGoogle`
offers those over the Graph fake, so the scenario itself is shared, not copied.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from connectors.outlook import OutlookConnector
from connectors.outlook.api import property_name
from hub.db import get_db, transaction
from hub.integrations import engine
from hub.integrations.config import ProviderConfig
from hub.integrations.runtime import SyncHooks, SyncRuntime
from hub.models import ExternalBusy, IntegrationConnection, IntegrationStream
from hub.services.integration_inbound import local_services
from scheduler.config import WorkerSettings
from scheduler.context import WorkerContext, install
from scheduler.runner import build_context
from tests.dates import PARIS
from tests.fakes.graph import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeGraph
from tests.integrations.support import JEAN_EMAIL, PIERRE_EMAIL, MovingClock, at, next_weekday
from tests.integrations.test_convergence import PAGE_SIZE, ROUNDS, Scenario, _shows, _state
from tests.support import Api, Tenant, follow_callback

NAME = "outlook"
WRITES = ("events.create", "events.update", "events.delete")


class GraphAsGoogle:
    """The Graph fake behind the Google fake's test-facing methods the scenario calls.

    Calendars are named by their owner's e-mail (as the Google test names them); events come
    back Google-shaped: `summary`, offset-aware `dateTime`, `extendedProperties.private`.
    """

    def __init__(self, graph: FakeGraph, mailboxes: dict[str, str]) -> None:
        """Wrap the fake; `mailboxes` maps technicians' e-mails to their Graph user ids."""
        self.graph = graph
        # owner e-mail → the default calendar of that user's mailbox
        self.calendars = {email: graph.calendar_of(user) for email, user in mailboxes.items()}

    def _dispatch(self, request: Any) -> Any:  # replaced by the scenario's write counter
        raise NotImplementedError

    @property
    def requests(self) -> Any:
        """The Graph fake's request log."""
        return self.graph.requests

    def invalidate_sync_tokens(self) -> None:
        """Old delta tokens answer 410."""
        self.graph.invalidate_delta_tokens()

    def inject_fault(self, status: int, *, count: int = 1) -> None:
        """The next Graph call(s) fail with `status`."""
        self.graph.inject_fault(status, count=count)

    def events(self, calendar: str) -> list[dict[str, Any]]:
        """A calendar's live events, Google-shaped."""
        out = []
        for event in self.graph.events(self.calendars[calendar]):
            private = {
                name: prop["value"]
                for prop in event.get("singleValueExtendedProperties", [])
                if (name := property_name(prop["id"])) is not None
            }
            out.append(
                {
                    "id": event["id"],
                    "summary": event["subject"],
                    "start": {"dateTime": _aware(event["start"])},
                    "end": {"dateTime": _aware(event["end"])},
                    "extendedProperties": {"private": private},
                }
            )
        return out

    def user_create(
        self, summary: str, start: datetime, end: datetime, *, calendar_id: str
    ) -> dict[str, Any]:
        """The user creates an event in Outlook."""
        return self.graph.user_create(summary, start, end, calendar_id=self.calendars[calendar_id])

    def user_move(
        self, event_id: str, start: datetime, end: datetime, calendar_id: str | None = None
    ) -> None:
        """The user moves an event."""
        self.graph.user_move(event_id, start, end)

    def user_retitle(self, event_id: str, title: str, calendar_id: str | None = None) -> None:
        """The user renames an event."""
        self.graph.user_retitle(event_id, title)

    def user_delete(self, event_id: str, calendar_id: str | None = None) -> None:
        """The user deletes an event."""
        self.graph.user_delete(event_id)


def _aware(when: dict[str, str]) -> str:
    """Graph's UTC wall time without offset → an ISO string with its offset."""
    assert when["timeZone"] == "UTC"
    return datetime.fromisoformat(when["dateTime"]).replace(tzinfo=UTC).isoformat()


class _Form(HTMLParser):
    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the form's action and hidden inputs."""
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]


def connect(api: Api, client: FlaskClient, graph: FakeGraph) -> Any:
    """The whole connect flow through the API, the user accepting on the fake's consent page."""
    resp = api.post(f"/v2/integrations/{NAME}/connect")
    assert resp.status_code == 200, resp.json
    with requests.Session() as browser:
        page = browser.get(resp.json["authorization_url"], timeout=10)
        assert page.status_code == 200, page.text
        form = _Form()
        form.feed(page.text)
        answer = browser.post(
            graph.base_url + form.action,
            data={**form.fields, "decision": "allow"},
            allow_redirects=False,
            timeout=10,
        )
    assert answer.status_code == 302, answer.text
    return follow_callback(client.application, client, answer.headers["Location"])


PERMISSIONS = "application"  # several technicians: admin consent, one mailbox each


def provider_for(graph: FakeGraph, permissions: str = PERMISSIONS) -> ProviderConfig:
    """The Entra ID app registration, pointed at the fake (token URL and Graph root).

    Application permissions: the connect page asks the tenant's admin for consent, and the
    hub reads and writes each technician's own mailbox (/users/{id}).
    """
    return ProviderConfig(
        connector=NAME,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        token_url=graph.token_url(),
        api_url=graph.api_base_url,
        oauth_options={"permissions": permissions},
    )


@pytest.fixture
def permissions() -> str:
    """How the connection is granted (a module testing the delegated code flow overrides it)."""
    return PERMISSIONS


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    """The tenant: the admin who consents, and (below) one mailbox per technician."""
    with FakeGraph(
        user_email="admin@company.com", user_name="Admin", validate_endpoints=False
    ) as fake:
        yield fake


@pytest.fixture
def calendars(graph: FakeGraph) -> dict[str, str]:
    """Technician e-mail → Graph user id: each technician has his own mailbox."""
    return {
        JEAN_EMAIL: graph.add_user("Jean Martin", JEAN_EMAIL),
        PIERRE_EMAIL: graph.add_user("Pierre Dubois", PIERRE_EMAIL),
    }


@pytest.fixture
def outlook_rt(
    app: Flask, graph: FakeGraph, clock: MovingClock, permissions: str
) -> Iterator[SyncRuntime]:
    """The app's SyncRuntime for this test, with the Outlook provider aimed at the fake."""
    runtime = SyncRuntime(
        db=get_db(app),
        settings=app.config["IVALID"],
        providers={NAME: provider_for(graph, permissions)},
        clock=clock,
        worker_id="test-worker",
        allow_http_push=True,
        local=local_services(),
        http_timeout=10.0,
    )
    previous = app.extensions.get("ivalid_sync")
    app.extensions["ivalid_sync"] = runtime
    yield runtime
    if previous is None:
        app.extensions.pop("ivalid_sync", None)
    else:
        app.extensions["ivalid_sync"] = previous


@pytest.fixture
def outlook_worker(
    app: Flask,
    outlook_rt: SyncRuntime,
    clock: MovingClock,
    graph: FakeGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerContext]:
    """An `ivalid worker` context whose jobs the test runs by hand (IVALID_OUTLOOK_* → fake)."""
    provider = provider_for(graph)
    monkeypatch.setenv("IVALID_OUTLOOK_CLIENT_ID", provider.client_id or "")
    monkeypatch.setenv("IVALID_OUTLOOK_CLIENT_SECRET", provider.client_secret or "")
    monkeypatch.setenv("IVALID_OUTLOOK_TOKEN_URL", provider.token_url or "")
    monkeypatch.setenv("IVALID_OUTLOOK_API_URL", provider.api_url or "")
    monkeypatch.setenv("IVALID_OUTLOOK_PERMISSIONS", PERMISSIONS)
    ctx = build_context(app.config["IVALID"], WorkerSettings(name="conv"), get_db(app), "conv")
    ctx.clock = clock
    install(ctx)
    yield ctx
    install(None)
    ctx.dispatcher.client.close()


class OutlookScenario(Scenario):
    """The shared scenario, with Outlook's connection, connect flow and write counter."""

    def __init__(
        self,
        app: Flask,
        api: Api,
        client: FlaskClient,
        tenant: Tenant,
        graph: FakeGraph,
        calendars: dict[str, str],
        clock: MovingClock,
        ctx: WorkerContext,
    ) -> None:
        """Share the Google scenario; count Graph writes that changed something."""
        super().__init__(app, api, client, tenant, GraphAsGoogle(graph, calendars), clock, ctx)  # type: ignore[arg-type]
        self.graph = graph
        original = graph._dispatch

        self.statuses: list[tuple[str, int]] = []  # (endpoint, status) of every answer

        def counting(request: Any) -> Any:
            """Dispatch, counting effective writes."""
            before = graph.store.seq
            response = original(request)
            endpoint = graph.requests[-1].endpoint if graph.requests else ""
            self.statuses.append((endpoint, response.status_code))
            # A write that changed something (a create de-duplicated by transactionId did not).
            if endpoint in WRITES and response.status_code < 300 and graph.store.seq != before:
                self.writes += 1
            return response

        graph._dispatch = counting  # type: ignore[method-assign]

    def connection(self) -> IntegrationConnection:
        """The tenant's Outlook connection row."""
        with self.db.session() as session:
            conn = session.scalars(
                select(IntegrationConnection).where(
                    IntegrationConnection.account_id == self.tenant.account_id,
                    IntegrationConnection.connector == NAME,
                )
            ).first()
            assert conn is not None
            session.expunge(conn)
            return conn

    def disconnect(self) -> None:
        """Disconnect through the API."""
        resp = self.api.delete(f"/v2/integrations/{NAME}")
        assert resp.status_code == 200 and resp.json["status"] == "disconnected", resp.json
        self.model.connected = False
        self.model.stats["disconnects"] += 1

    def reconnect(self) -> None:
        """Reconnect through the consent flow; what changed meanwhile is pushed."""
        resp = connect(self.api, self.client, self.graph)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.model.connected = True
        for apt in self.model.local_dirty:
            if _shows(self.model.local[apt]) != _shows(self.model.pushed.get(apt)):
                self.model.expected_writes += 1
            self.model.pushed[apt] = _shows(self.model.local[apt])
        self.model.local_dirty.clear()
        self.tick()


def test_outlook_and_ivalid_converge_without_ping_pong(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    graph: FakeGraph,
    calendars: dict[str, str],
    clock: MovingClock,
    outlook_rt: SyncRuntime,
    outlook_worker: WorkerContext,
) -> None:
    """Same rounds, same bars as Google: 0 duplicates, remote writes = changes (+ put-backs);
    app tokens that expire mid-run are renewed through msal (client credentials) by the hub's
    token store; every technician's mailbox is reached as /users/{id}, never /me."""
    assert connect(api, client, graph).status_code == 200
    with get_db(app).session() as session, transaction(session):
        session.execute(update(IntegrationConnection).values(config={"page_size": PAGE_SIZE}))
    s = OutlookScenario(app, api, client, tenant, graph, calendars, clock, outlook_worker)
    s.tick()  # the initial export (the demo appointment) and the first full sync
    with get_db(app).session() as session:
        linked = set(
            session.scalars(
                select(IntegrationStream.remote_id).where(
                    IntegrationStream.connection_id == s.connection().id
                )
            )
        )
    assert linked == set(calendars.values()), "each technician linked to his own mailbox"
    s.writes = 0
    for apt in api.get("/v2/appointments").json["data"]:
        s.model.local[apt["id"]] = _state(apt)
        s.model.pushed[apt["id"]] = _shows(_state(apt))
        s.model.technician[apt["id"]] = apt["technician"]["id"]
    actions = [
        (s.local_create, 16), (s.local_move, 14), (s.local_cancel, 6), (s.local_notes, 6),
        (s.remote_foreign, 12), (s.remote_move, 14), (s.remote_delete, 5),
        (s.remote_retitle, 7), (s.pull, 20),
    ]  # fmt: skip
    funcs, weights = zip(*actions, strict=True)
    for round_number in range(ROUNDS):
        if round_number in (40, 90):
            graph.identity.expire_access_tokens()  # Graph now answers 401: the hub refreshes
        if round_number == 110:
            s.disconnect()
        elif round_number == 130:
            s.reconnect()
        action = s.rng.choices(funcs, weights)[0]
        if os.environ.get("IVALID_CONVERGENCE_DEBUG"):
            print(round_number, action.__name__, sorted(s.model.remote_dirty))
        action()
    s.settle()
    s.check()
    stats = s.model.stats
    conflicts = s.conflicts()
    print(
        f"\noutlook convergence: {dict(stats)}, conflicts put back: {conflicts}, remote "
        f"writes: {s.writes}, expected: {s.model.expected_writes} + {conflicts}, graph calls: "
        f"{dict(graph.calls)}"
    )
    assert stats["kills"] >= 3 and stats["remote_changes"] >= 20 and stats["local_changes"] >= 20
    assert stats["expired_tokens"] >= 1 and graph.calls["batch"] > 0
    grants = [
        r for r in graph.identity.state.token_requests if r["grant_type"] == "client_credentials"
    ]
    assert len(grants) >= 3, "expired app tokens were renewed through msal"
    assert {r.mailbox for r in graph.requests if r.mailbox} == set(calendars.values())
    assert not any(r.path.startswith("/v1.0/me/") for r in graph.requests)
    assert all('IdType="ImmutableId"' in (r.prefer or "") for r in graph.requests if r.mailbox)
    assert graph.throttled == {}, "the hub paced itself within the mailbox limits"
    assert s.writes == s.model.expected_writes + conflicts


# ------------------------------------------------------------------ convergence, made harder


@pytest.fixture
def harder(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    graph: FakeGraph,
    calendars: dict[str, str],
    clock: MovingClock,
    outlook_rt: SyncRuntime,
    outlook_worker: WorkerContext,
) -> OutlookScenario:
    """Connected by admin consent, first sync done, one appointment of Jean's pushed."""
    assert connect(api, client, graph).status_code == 200
    s = OutlookScenario(app, api, client, tenant, graph, calendars, clock, outlook_worker)
    s.tick()
    return s


def _ours(graph: FakeGraph, user: str) -> list[dict[str, Any]]:
    """The events of a mailbox that carry our appointment id."""
    return [
        e
        for e in graph.events(graph.calendar_of(user))
        if any(property_name(p["id"]) == "ivalid_appointment_id" for p in e.get(_PROPS, []))
    ]


_PROPS = "singleValueExtendedProperties"


def _book(s: OutlookScenario, day: int, hour: int) -> dict[str, Any]:
    body = {
        "customer_id": s.tenant.ids["customer_id"],
        "service_id": s.tenant.ids["service_id"],
        "technician_id": s.tenant.ids["technician_id"],
        "scheduled_at": at(next_weekday(day), hour).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    resp = s.api.post("/v2/appointments", body)
    assert resp.status_code == 201, resp.json
    s.tick()
    return dict(resp.json)


def _event_of(graph: FakeGraph, user: str, appointment_id: str) -> dict[str, Any]:
    found = [
        e
        for e in _ours(graph, user)
        if any(p["value"] == appointment_id for p in e.get(_PROPS, []))
    ]
    assert len(found) == 1, f"{len(found)} events for {appointment_id}"
    return found[0]


def test_the_same_appointment_edited_on_both_sides_in_one_round(
    harder: OutlookScenario, graph: FakeGraph, calendars: dict[str, str]
) -> None:
    """Moved in iValid and moved + renamed in Outlook before the next sync: iValid wins (as
    documented), its PATCH meets 412 (If-Match on the old @odata.etag), the event is re-read
    and our time written over it with the new etag, the typed title kept; one write."""
    s, jean = harder, calendars[JEAN_EMAIL]
    apt = _book(s, 1, 9)
    before = _event_of(graph, jean, apt["id"])
    slot = at(next_weekday(2), 14)
    resp = s.api.post(f"/v2/appointments/{apt['id']}/reschedule", {"scheduled_at": _z(slot)})
    assert resp.status_code == 200, resp.json
    graph.user_move(before["id"], at(next_weekday(3), 10), at(next_weekday(3), 12))
    graph.user_retitle(before["id"], "Chantier Dupont (portail bleu)")
    s.writes, s.statuses = 0, []
    s.tick()
    assert ("events.update", 412) in s.statuses, s.statuses
    after = _event_of(graph, jean, apt["id"])
    assert after["id"] == before["id"] and after["subject"] == "Chantier Dupont (portail bleu)"
    assert _aware(after["start"]) == slot.isoformat()
    assert s.writes == 1, "one effective write: ours, over the remote edit"
    local = s.api.get(f"/v2/appointments/{apt['id']}").json
    assert local["scheduled_at"] == _z(slot)
    s.settle()
    assert s.writes == 1 and _event_of(graph, jean, apt["id"])["id"] == before["id"]


def test_a_cancel_meeting_a_remote_edit_deletes_after_a_412(
    harder: OutlookScenario, graph: FakeGraph, calendars: dict[str, str]
) -> None:
    """Cancelled in iValid while moved in Outlook: DELETE with the stale etag → 412 → re-read
    → DELETE with the fresh one. The event is gone, the appointment stays cancelled."""
    s, jean = harder, calendars[JEAN_EMAIL]
    apt = _book(s, 1, 11)
    event = _event_of(graph, jean, apt["id"])
    assert s.api.post(f"/v2/appointments/{apt['id']}/cancel").status_code == 200
    graph.user_move(event["id"], at(next_weekday(4), 9), at(next_weekday(4), 10))
    s.statuses = []
    s.settle()
    removed = ("events.delete", 412) in s.statuses or ("events.update", 412) in s.statuses
    assert removed, s.statuses
    assert s.api.get(f"/v2/appointments/{apt['id']}").json["status"] == "cancelled"
    live = [e for e in _ours(graph, jean) if e["id"] == event["id"]]
    assert all(e.get("showAs") == "free" for e in live)  # deleted, or shown free


class _Killed(BaseException):
    """The worker dies (not an Exception: nothing catches it)."""


@pytest.mark.parametrize("method", ["create", "update"])
def test_a_sync_killed_in_the_middle_of_a_push(
    harder: OutlookScenario,
    graph: FakeGraph,
    calendars: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
) -> None:
    """Graph accepted the write, then the worker died before saving the link. A create is
    sent again with the same transactionId and Graph de-duplicates it. An update is sent
    again with the old @odata.etag: 412 (our own write moved it), the event is re-read, and
    it holds the digest of this very body: nothing is written twice. One write either way."""
    s, jean = harder, calendars[JEAN_EMAIL]
    apt = _book(s, 1, 13) if method == "update" else None
    original = getattr(OutlookConnector, method)
    kills = {"left": 1}

    def dying(self: OutlookConnector, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        if kills["left"]:
            kills["left"] -= 1
            raise _Killed()
        return result

    monkeypatch.setattr(OutlookConnector, method, dying)
    s.writes, s.statuses = 0, []
    if apt is None:
        body = {
            "customer_id": s.tenant.ids["customer_id"],
            "service_id": s.tenant.ids["service_id"],
            "technician_id": s.tenant.ids["technician_id"],
            "scheduled_at": _z(at(next_weekday(2), 9)),
        }
        resp = s.api.post("/v2/appointments", body)
        assert resp.status_code == 201, resp.json
        apt = dict(resp.json)
    else:
        slot = _z(at(next_weekday(3), 15))
        resp = s.api.post(f"/v2/appointments/{apt['id']}/reschedule", {"scheduled_at": slot})
        assert resp.status_code == 200, resp.json
    with pytest.raises(_Killed):
        s.tick()
    assert kills["left"] == 0
    s.clock.advance(s.rt.lease + timedelta(seconds=1))  # the dead worker's lease runs out
    s.settle()
    event = _event_of(graph, jean, apt["id"])  # exactly one
    assert (
        _aware(event["start"])
        == datetime.fromisoformat(
            s.api.get(f"/v2/appointments/{apt['id']}").json["scheduled_at"].replace("Z", "+00:00")
        ).isoformat()
    )
    assert s.writes == 1, "the retried write was recognised: no second effective write"
    if method == "update":
        assert ("events.update", 412) in s.statuses


def test_two_workers_never_sync_one_connection_at_once(
    app: Flask,
    harder: OutlookScenario,
    graph: FakeGraph,
    calendars: dict[str, str],
    clock: MovingClock,
) -> None:
    """Two workers race for the same connection round after round: the lease lets one in at a
    time — each mailbox never sees two requests in flight (each run is sequential), and the
    loser of a race gets nothing to do."""
    s = harder
    workers = [replace(s.rt, worker_id=f"worker-{name}", hooks=SyncHooks()) for name in ("a", "b")]
    connection_id = s.connection().id
    graph.latency = 0.01
    graph.peak_in_flight.clear()
    outcomes: list[object] = []
    lost = 0
    for round_number in range(6):
        _book(s, round_number % 4, 9 + round_number) if round_number % 2 else None
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def race(
            index: int, barrier: threading.Barrier = barrier, results: list[object] = results
        ) -> None:
            barrier.wait()
            results[index] = engine.sync_now(workers[index], connection_id)

        threads = [threading.Thread(target=race, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        outcomes.extend(results)
        lost += results.count(None)
    assert lost >= 1, "the workers did race"
    assert graph.peak_in_flight and max(graph.peak_in_flight.values()) == 1, graph.peak_in_flight
    s.settle()
    for user in calendars.values():
        ids = [
            p["value"]
            for e in _ours(graph, user)
            for p in e.get(_PROPS, [])
            if property_name(p["id"]) == "ivalid_appointment_id"
        ]
        assert len(ids) == len(set(ids)), "no duplicate"


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_recurring_remote_event_blocks_every_occurrence(
    app: Flask,
    harder: OutlookScenario,
    graph: FakeGraph,
    calendars: dict[str, str],
) -> None:
    """A weekly series without end in Jean's mailbox: calendarView delta lists its
    occurrences inside the window (never decades of them), each one a busy period; a booking
    on one is refused, the same hour another day is not; the series deleted frees them."""
    s, jean = harder, calendars[JEAN_EMAIL]
    monday = next_weekday(0)  # a Monday
    start = at(monday, 10).astimezone(PARIS)
    series = graph.user_create(
        "Réunion d'équipe",
        start.replace(tzinfo=None).isoformat(),
        (start + timedelta(hours=2)).replace(tzinfo=None).isoformat(),
        calendar_id=graph.calendar_of(jean),
        zone="Romance Standard Time",
        recurrence={
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "noEnd", "startDate": start.date().isoformat()},
        },
    )
    engine.request_sync(s.rt, s.connection().id)
    s.tick()
    synced = s.connection()
    assert synced.last_sync_status == "ok", (synced.last_error_code, synced.last_error)
    with get_db(app).session() as session:
        busy = session.scalars(
            select(ExternalBusy).where(ExternalBusy.technician_id == s.tenant.ids["technician_id"])
        ).all()
    weekly = sorted(b.starts_at for b in busy if b.ends_at - b.starts_at == timedelta(hours=2))
    assert 100 <= len(weekly) <= 106, len(weekly)  # ~two years ahead of the window, no more
    assert all(w.astimezone(PARIS).weekday() == 0 for w in weekly)

    def book(day: datetime) -> Any:
        body = {
            "customer_id": s.tenant.ids["customer_id"],
            "service_id": s.tenant.ids["service_id"],
            "technician_id": s.tenant.ids["technician_id"],
            "scheduled_at": _z(at(day, 10, 30)),
        }
        return s.api.post("/v2/appointments", body)

    week_later = monday + timedelta(days=7)
    refused = book(week_later)
    assert refused.status_code == 409, (refused.json, len(weekly))
    assert refused.json["error"]["code"] == "SLOT_NOT_AVAILABLE"
    tuesday = book(week_later + timedelta(days=1))
    assert tuesday.status_code == 201, tuesday.json  # Tuesday: free
    graph.user_delete(series["id"])
    engine.request_sync(s.rt, s.connection().id)
    s.tick()
    synced = s.connection()
    assert synced.last_sync_status == "ok", (synced.last_error_code, synced.last_error)
    freed = book(week_later)
    assert freed.status_code == 201, ("the deleted series no longer blocks", freed.json)
