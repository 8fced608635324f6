"""Randomized convergence of iValid and Google Calendar (the fake, over HTTP).

200 seeded rounds of edits on both sides — create, move, cancel/delete, retitle, notes —
with worker ticks interleaved as `ivalid worker` runs them (the outbox fan-out of the dispatch
job, then the sync job), pulls killed midway (a BaseException raised after k pages, before or after
the cursor is saved, the lease left to expire), expired sync tokens, a 429, and a
disconnect/reconnect through the real OAuth flow. At the end both sides hold the same
appointments at the same times, nothing is duplicated, every foreign event is a busy period,
and the remote writes are exactly one per local change plus one per refused remote change
put back (no ping-pong).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.db import get_db
from hub.integrations import engine
from hub.integrations.runtime import SyncHooks, SyncRuntime
from hub.models import ExternalBusy
from scheduler.config import WorkerSettings
from scheduler.context import WorkerContext, install
from scheduler.runner import build_context
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import connection, connection_id, provider_for
from tests.integrations.scenario import PAGE_SIZE as PAGE_SIZE  # re-exported (Outlook's test)
from tests.integrations.scenario import ROUNDS, Scenario
from tests.integrations.scenario import _shows as _shows
from tests.integrations.scenario import _state as _state
from tests.integrations.scenario_model import WRITES, Crash
from tests.integrations.support import (
    JEAN_EMAIL,
    PIERRE_EMAIL,
    MovingClock,
    at,
    book,
    connect,
    dispatch,
    next_weekday,
)
from tests.support import Api, Tenant


@pytest.fixture
def worker(
    app: Flask,
    rt: SyncRuntime,
    clock: MovingClock,
    fake: FakeGoogleCalendar,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerContext]:
    """An `ivalid worker` context whose jobs the test runs by hand (IVALID_GOOGLE_* → fake)."""
    provider = provider_for(fake)
    env = {
        "IVALID_GOOGLE_CLIENT_ID": provider.client_id,
        "IVALID_GOOGLE_CLIENT_SECRET": provider.client_secret,
        "IVALID_GOOGLE_AUTH_URL": provider.authorize_url,
        "IVALID_GOOGLE_TOKEN_URL": provider.token_url,
        "IVALID_GOOGLE_REVOKE_URL": provider.revoke_url,
        "IVALID_GOOGLE_API_URL": provider.api_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value or "")
    ctx = build_context(app.config["IVALID"], WorkerSettings(name="conv"), get_db(app), "conv")
    ctx.clock = clock
    install(ctx)
    yield ctx
    install(None)
    ctx.dispatcher.client.close()


def test_both_sides_converge_without_ping_pong(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    clock: MovingClock,
    rt: SyncRuntime,
    worker: WorkerContext,
) -> None:
    """200 rounds; then both sides agree and remote writes = local changes + put-backs."""
    assert connect(api, client, fake).status_code == 200
    s = Scenario(app, api, client, tenant, fake, clock, worker)
    s.begin()
    s.play(ROUNDS)
    s.check()
    stats = s.model.stats
    conflicts = s.conflicts()
    print(
        f"\nconvergence: {dict(stats)}, conflicts put back: {conflicts}, remote writes: "
        f"{s.writes}, expected: {s.model.expected_writes} + {conflicts}"
    )
    assert stats["kills"] >= 3 and stats["remote_changes"] >= 20 and stats["local_changes"] >= 20
    assert s.writes == s.model.expected_writes + conflicts


# ------------------------------------------------------------------ convergence, made harder


def _ours(fake: FakeGoogleCalendar, calendar: str) -> dict[str, list[dict[str, Any]]]:
    """Live events of a calendar by the appointment id they carry."""
    found: dict[str, list[dict[str, Any]]] = {}
    for event in fake.events(calendar):
        apt = event.get("extendedProperties", {}).get("private", {}).get("ivalid_appointment_id")
        if apt:
            found.setdefault(apt, []).append(event)
    return found


def _successful_writes(fake: FakeGoogleCalendar) -> Callable[[], int]:
    """A counter of remote writes Google acknowledged (as the scenario counts them)."""
    count = [0]
    original = fake._dispatch

    def counting(request: Any) -> Any:
        response = original(request)
        endpoint = fake.requests[-1].endpoint if fake.requests else ""
        if endpoint in WRITES and response.status_code < 300:
            count[0] += 1
        return response

    fake._dispatch = counting  # type: ignore[method-assign]
    return lambda: count[0]


def _book_many(api: Api, tenant: Tenant, count: int, hour: int = 13) -> list[str]:
    ids = []
    for i in range(count):
        resp = book(api, tenant.ids, at(next_weekday(i + 1), hour))
        assert resp.status_code == 201, resp.json
        ids.append(resp.json["id"])
    return ids


def test_both_sides_edit_the_same_appointments_in_one_round(
    app: Flask,
    api: Api,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
) -> None:
    """Four appointments changed in iValid and in Google before the same run (moved on both
    sides, one retitled, one deleted remotely): iValid wins as documented, each PATCH meets
    412 and is resolved by re-reading; the one deleted remotely is put back; no duplicate,
    and one remote write per appointment changed here."""
    ids = _book_many(api, tenant, 4)
    dispatch(app)
    engine.sync_now(rt, connected)
    writes = _successful_writes(fake)
    events = {apt: evs[0] for apt, evs in _ours(fake, JEAN_EMAIL).items()}
    for n, apt in enumerate(ids):
        remote = at(next_weekday(n + 1), 9)
        if n == 3:
            fake.user_delete(events[apt]["id"], calendar_id=JEAN_EMAIL)
        else:
            fake.user_edit(
                events[apt]["id"],
                JEAN_EMAIL,
                start={"dateTime": remote.isoformat()},
                end={"dateTime": (remote + timedelta(hours=2)).isoformat()},
                **({"summary": "Renommé"} if n == 0 else {}),
            )
        local = at(next_weekday(n + 1), 15).strftime("%Y-%m-%dT%H:%M:%SZ")
        resp = api.post(f"/v2/appointments/{apt}/reschedule", {"scheduled_at": local})
        assert resp.status_code == 200, resp.json
    dispatch(app)
    stats = engine.sync_now(rt, connected)
    assert stats is not None and stats["push_conflicts"] >= 3
    refused = [r for r in fake.requests if r.endpoint == "events.patch" and r.if_match]
    assert len(refused) >= 3  # conditional PATCHes: the stale etag ones got 412
    dispatch(app)
    engine.sync_now(rt, connected)
    live = _ours(fake, JEAN_EMAIL)
    for n, apt in enumerate(ids):
        assert len(live[apt]) == 1, live[apt]
        event = live[apt][0]
        body = api.get(f"/v2/appointments/{apt}").json
        assert body["scheduled_at"] == at(next_weekday(n + 1), 15).strftime("%Y-%m-%dT%H:%M:%SZ")
        start = datetime.fromisoformat(event["start"]["dateTime"])
        assert start == at(next_weekday(n + 1), 15)
    assert live[ids[0]][0]["summary"] == "Renommé"  # the remote title is kept
    assert writes() == len(ids)


def test_a_push_killed_midway_resumes_without_duplicates(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    clock: MovingClock,
) -> None:
    """The worker dies after saving two of a batch's links (the batch's other inserts were
    done remotely, their links not saved): the next worker's batch meets 409s, adopts the
    existing events, and sends nothing twice."""
    ids = _book_many(api, tenant, 6)
    assert connect(api, client, fake).status_code == 200
    conn_id = connection_id(rt, tenant)
    writes = _successful_writes(fake)

    def crash(link_id: str, number: int) -> None:
        if number == 2:
            raise Crash()

    rt.hooks = SyncHooks(after_push=crash)
    with pytest.raises(Crash):
        engine.sync_now(rt, conn_id)
    rt.hooks = SyncHooks()
    clock.advance(rt.lease + timedelta(seconds=1))
    rt.worker_id = "another-worker"
    engine.sync_now(rt, conn_id)
    engine.sync_now(rt, conn_id)
    live = _ours(fake, JEAN_EMAIL)
    assert all(len(live[apt]) == 1 for apt in ids)
    assert writes() == len(live)  # one acknowledged insert per appointment, none twice


def test_a_lost_answer_is_retried_without_duplicates(
    app: Flask,
    api: Api,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
    clock: MovingClock,
) -> None:
    """Google applies an insert and the answer is lost (a 503): the run backs off, and the
    retry's insert with our id is a 409 answered with the event already there."""
    dispatch(app)
    engine.sync_now(rt, connected)
    resp = book(api, tenant.ids, at(next_weekday(2), 13))
    assert resp.status_code == 201, resp.json
    dispatch(app)
    fake.lost_answers["events.insert"] = 1
    engine.sync_now(rt, connected)
    assert connection(rt, connected).last_sync_status == "retrying"
    assert len(_ours(fake, JEAN_EMAIL)[resp.json["id"]]) == 1  # it was done
    clock.advance(timedelta(minutes=5))
    assert engine.run_due(rt) == 1
    assert len(_ours(fake, JEAN_EMAIL)[resp.json["id"]]) == 1
    assert connection(rt, connected).last_sync_status == "ok"


def test_two_workers_never_sync_one_connection_at_once(
    app: Flask,
    api: Api,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
) -> None:
    """Rounds of local and remote changes, each followed by four workers racing (two by
    `run_due`, two by "sync now"): the fake, slowed so runs would overlap, never sees two
    calls of the connection in flight at once; both sides converge without duplicates."""
    dispatch(app)
    engine.sync_now(rt, connected)
    fake.delay = 0.01
    fake.max_concurrent = 0
    workers = [dataclasses.replace(rt, worker_id=f"w{i}") for i in range(4)]
    booked: list[str] = []
    for round_ in range(4):
        resp = book(api, tenant.ids, at(next_weekday(round_ + 1), 13))
        assert resp.status_code == 201, resp.json
        booked.append(resp.json["id"])
        start = at(next_weekday(round_ + 1), 9)
        fake.user_create("Perso", start, start + timedelta(hours=1), calendar_id=PIERRE_EMAIL)
        dispatch(app)
        engine.request_sync(rt, connected)
        barrier = threading.Barrier(len(workers))
        ran: list[Any] = []

        def work(
            index: int,
            runtime: SyncRuntime,
            barrier: threading.Barrier = barrier,
            ran: list[Any] = ran,
        ) -> None:
            barrier.wait()
            if index % 2:
                ran.append(engine.sync_now(runtime, connected))
            else:
                ran.append(engine.run_due(runtime))

        threads = [threading.Thread(target=work, args=(i, w)) for i, w in enumerate(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert any(r not in (None, 0, {}) for r in ran)
    assert fake.max_concurrent == 1
    fake.delay = 0.0
    engine.request_sync(rt, connected)
    engine.sync_now(rt, connected)
    live = _ours(fake, JEAN_EMAIL)
    assert all(len(live[apt]) == 1 for apt in booked)
    with rt.db.session() as session:
        busy = session.scalars(select(ExternalBusy)).all()
    assert len(busy) == 4
