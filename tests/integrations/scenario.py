"""The randomized two-sided scenario of the convergence tests (shared by every calendar).

A `Scenario` edits both sides at random (seeded), runs the worker's jobs by hand — the outbox
fan-out of the dispatch job, then the sync job — kills pulls midway, expires sync tokens,
injects a 429/503, disconnects and reconnects through the real OAuth flow, and keeps a model
of what each side should show and how many remote writes that takes. `check()` compares both
sides at the end. A provider other than Google wraps its fake behind the Google fake's
test-facing methods (see test_outlook_convergence.py) and overrides connect/disconnect.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from hub.db import get_db, transaction
from hub.integrations import engine
from hub.integrations.runtime import SyncHooks, SyncRuntime
from hub.models import IntegrationConnection
from scheduler import sync_jobs
from scheduler.context import WorkerContext
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import connection_id
from tests.integrations.scenario_model import (
    PAGE_SIZE,
    ROUNDS,
    SEED,
    WRITES,
    Crash,
    Model,
    State,
    _shows,
    _state,
    count_conflicts,
    verify,
)
from tests.integrations.support import (
    JEAN_EMAIL,
    NAME,
    PIERRE_EMAIL,
    MovingClock,
    at,
    connect,
    next_weekday,
)
from tests.support import Api, Tenant


class Scenario:
    """Drives both sides and keeps the model in step."""

    def __init__(
        self,
        app: Flask,
        api: Api,
        client: FlaskClient,
        tenant: Tenant,
        fake: FakeGoogleCalendar,
        clock: MovingClock,
        ctx: WorkerContext,
    ) -> None:
        self.app, self.api, self.client, self.tenant = app, api, client, tenant
        self.fake, self.clock, self.ctx = fake, clock, ctx
        self.rng = random.Random(SEED)
        self.db = get_db(app)
        self.days = [next_weekday(i) for i in range(8)]  # two weeks of Monday to Thursday
        self.model = Model(
            {
                tenant.ids["technician_id"]: JEAN_EMAIL,
                tenant.ids["second_technician_id"]: PIERRE_EMAIL,
            }
        )
        self.writes = 0
        self.round = 0
        # A killed pull is resumed from its saved cursor: that listing only covers the remote
        # changes made before it began (later ones come with the next one).
        self.resume_covers: int | None = None
        original = fake._dispatch

        def counting(request: Any) -> Any:
            response = original(request)
            endpoint = fake.requests[-1].endpoint if fake.requests else ""
            if endpoint in WRITES and response.status_code < 300:
                self.writes += 1
            return response

        fake._dispatch = counting  # type: ignore[method-assign]

    # ----------------------------------------------------------------------- the worker

    @property
    def rt(self) -> SyncRuntime:
        return sync_jobs.runtime(self.ctx)

    def connection(self) -> IntegrationConnection:
        with self.db.session() as session:
            conn = session.get(IntegrationConnection, connection_id(self.rt, self.tenant))
            assert conn is not None
            session.expunge(conn)
            return conn

    def tick(self) -> None:
        """One round of the worker: the outbox dispatch job, then the sync job."""
        covers = self.round if self.resume_covers is None else self.resume_covers
        if self.resume_covers is None:
            self.started = self.round  # if this pull is killed, its resumption covers this
        before = self.connection().last_sync_at
        self.fan_out()
        sync_jobs.sync()
        self.fan_out()  # the changes a pull applied reach the outbox (pushes: none expected)
        sync_jobs.sync()
        if self.connection().last_sync_at != before:
            self._pulled(covers)

    def fan_out(self) -> None:
        """The outbox stage of the worker's dispatch job (the webhook sending stage lingers
        for new work, and there are no webhooks here)."""
        while self.ctx.dispatcher.fan_out():
            pass

    def _pulled(self, covers: int) -> None:
        """A pull completed: remote edits made before its listing began are now in step."""
        self.resume_covers = None
        for apt, changed_at in list(self.model.remote_dirty.items()):
            if changed_at < covers:
                now = self._fetch(apt)
                if now != self.model.local[apt]:
                    self.model.stats["remote_applied"] += 1
                self.model.local[apt] = now
                self.model.pushed[apt] = _shows(now)
                del self.model.remote_dirty[apt]

    def pull(self) -> None:
        """A push notification (or the polling interval) makes a pull due; maybe a crash."""
        if not self.model.connected:
            self.clock.advance(timedelta(minutes=16))
            self.tick()
            return
        if self.rng.random() < 0.5:
            self.clock.advance(timedelta(minutes=16))
        else:
            engine.request_sync(self.rt, self.connection().id)
        roll = self.rng.random()
        if roll < 0.08:
            self.fake.invalidate_sync_tokens()
            self.model.stats["expired_tokens"] += 1
        elif roll < 0.12:
            self.fake.inject_fault(self.rng.choice([429, 503]), count=1)
            self.model.stats["faults"] += 1
            self.tick()
            self.clock.advance(timedelta(hours=2))  # past any back-off
        if self.rng.random() < 0.3:
            self._killed_tick()
        else:
            self.tick()

    def _killed_tick(self) -> None:
        pages = self.rng.randint(1, 3)
        before_cursor = self.rng.random() < 0.5
        seen = Counter[str]()

        def crash(calendar: str, number: int) -> None:
            seen[calendar] += 1
            if sum(seen.values()) >= pages:
                raise Crash()

        hooks = SyncHooks(after_page=crash) if before_cursor else SyncHooks(after_cursor=crash)
        self.rt.hooks = hooks
        try:
            self.tick()
        except Crash:
            self.model.stats["kills"] += 1
            if self.resume_covers is None:
                self.resume_covers = self.started
        finally:
            self.rt.hooks = SyncHooks()
        self.clock.advance(self.rt.lease + timedelta(seconds=1))  # the dead worker's lease

    # ------------------------------------------------------------------------ local side

    def _fetch(self, apt: str) -> State:
        resp = self.api.get(f"/v2/appointments/{apt}")
        assert resp.status_code == 200, resp.json
        return _state(resp.json)

    def _slot(self) -> datetime:
        return at(self.rng.choice(self.days), self.rng.randint(9, 15))

    def _local_candidates(self) -> list[str]:
        return [a for a in self.model.active() if a not in self.model.remote_dirty]

    def _after_local(self, apt: str, state: State) -> None:
        self.model.local[apt] = state
        self.model.stats["local_changes"] += 1
        if self.model.connected:
            if _shows(state) != _shows(self.model.pushed.get(apt)):
                self.model.expected_writes += 1
            self.model.pushed[apt] = _shows(state)
            self.tick()
        else:
            self.model.local_dirty.add(apt)

    def local_create(self) -> None:
        tech = self.rng.choice(sorted(self.model.calendars))
        body = {
            "customer_id": self.tenant.ids["customer_id"],
            "service_id": self.tenant.ids["service_id"],
            "technician_id": tech,
            "scheduled_at": self._slot().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        resp = self.api.post("/v2/appointments", body)
        if resp.status_code == 201:
            self.model.technician[resp.json["id"]] = tech
            self._after_local(resp.json["id"], _state(resp.json))
        else:
            assert resp.status_code in (409, 422), resp.json

    def local_move(self) -> None:
        candidates = self._local_candidates()
        if candidates:
            apt = self.rng.choice(candidates)
            slot = self._slot().strftime("%Y-%m-%dT%H:%M:%SZ")
            resp = self.api.post(f"/v2/appointments/{apt}/reschedule", {"scheduled_at": slot})
            if resp.status_code == 200 and _state(resp.json) != self.model.local[apt]:
                self._after_local(apt, _state(resp.json))
            else:
                assert resp.status_code in (200, 409, 422), resp.json

    def local_cancel(self) -> None:
        candidates = self._local_candidates()
        if candidates:
            apt = self.rng.choice(candidates)
            resp = self.api.post(f"/v2/appointments/{apt}/cancel")
            assert resp.status_code == 200, resp.json
            self._after_local(apt, _state(resp.json))

    def local_notes(self) -> None:
        candidates = self._local_candidates()
        if candidates:
            apt = self.rng.choice(candidates)
            resp = self.api.put(f"/v2/appointments/{apt}", {"notes": f"note {self.rng.random()}"})
            assert resp.status_code == 200, resp.json
            self._after_local(apt, _state(resp.json))

    # ----------------------------------------------------------------------- remote side

    def _ours(self) -> list[tuple[str, dict[str, Any]]]:
        """(appointment id, live event) of the events the remote user may touch."""
        out = []
        for calendar in sorted(set(self.model.calendars.values())):
            for event in self.fake.events(calendar):
                private = event.get("extendedProperties", {}).get("private", {})
                apt = private.get("ivalid_appointment_id")
                if apt and apt not in self.model.local_dirty:
                    out.append((apt, {**event, "calendar": calendar}))
        return out

    def remote_move(self) -> None:
        ours = self._ours()
        if ours:
            apt, event = self.rng.choice(ours)
            start = self._slot()
            self.fake.user_move(
                event["id"], start, start + timedelta(minutes=120), calendar_id=event["calendar"]
            )
            self.model.remote_dirty[apt] = self.round
            self.model.stats["remote_changes"] += 1

    def remote_delete(self) -> None:
        ours = self._ours()
        if ours:
            apt, event = self.rng.choice(ours)
            self.fake.user_delete(event["id"], calendar_id=event["calendar"])
            # If the deletion is refused, the event comes back as we render it.
            self.model.titles.pop(apt, None)
            self.model.remote_dirty[apt] = self.round
            self.model.stats["remote_changes"] += 1

    def remote_retitle(self) -> None:
        ours = self._ours()
        if ours:
            apt, event = self.rng.choice(ours)
            title = f"Chantier {self.rng.randint(1, 10_000)}"
            self.fake.user_retitle(event["id"], title, calendar_id=event["calendar"])
            self.model.titles[apt] = title
            self.model.remote_dirty[apt] = self.round
            self.model.stats["remote_changes"] += 1

    def remote_foreign(self) -> None:
        foreign = sorted(self.model.foreign.items())
        if foreign and self.rng.random() < 0.4:
            event_id, calendar = self.rng.choice(foreign)
            if self.rng.random() < 0.5:
                self.fake.user_delete(event_id, calendar_id=calendar)
                del self.model.foreign[event_id]
            else:
                start = self._slot()
                self.fake.user_move(
                    event_id, start, start + timedelta(minutes=60), calendar_id=calendar
                )
            return
        calendar = self.rng.choice(sorted(self.model.calendars.values()))
        start = self._slot()
        created = self.fake.user_create(
            "Perso", start, start + timedelta(minutes=60), calendar_id=calendar
        )
        self.model.foreign[created["id"]] = calendar

    # ------------------------------------------------------------------ connection

    def disconnect(self) -> None:
        resp = self.api.delete(f"/v2/integrations/{NAME}")
        assert resp.status_code == 200 and resp.json["status"] == "disconnected", resp.json
        self.model.connected = False
        self.model.stats["disconnects"] += 1

    def reconnect(self) -> None:
        resp = connect(self.api, self.client, self.fake)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.model.connected = True
        for apt in self.model.local_dirty:
            if _shows(self.model.local[apt]) != _shows(self.model.pushed.get(apt)):
                self.model.expected_writes += 1
            self.model.pushed[apt] = _shows(self.model.local[apt])
        self.model.local_dirty.clear()
        self.tick()

    # ----------------------------------------------------------------------- checks

    def begin(self) -> None:
        """The first run (the demo appointment exported, a full sync), then count from zero."""
        with self.db.session() as session, transaction(session):
            session.execute(update(IntegrationConnection).values(config={"page_size": PAGE_SIZE}))
        self.tick()
        self.writes = 0
        for apt in self.api.get("/v2/appointments").json["data"]:
            self.model.local[apt["id"]] = _state(apt)
            self.model.pushed[apt["id"]] = _shows(_state(apt))
            self.model.technician[apt["id"]] = apt["technician"]["id"]

    def play(self, rounds: int = ROUNDS, disconnect_at: int = 110, reconnect_at: int = 130) -> None:
        """`rounds` random actions (weighted), a disconnection in the middle, then settle."""
        actions = [
            (self.local_create, 16),
            (self.local_move, 14),
            (self.local_cancel, 6),
            (self.local_notes, 6),
            (self.remote_foreign, 12),
            (self.remote_move, 14),
            (self.remote_delete, 5),
            (self.remote_retitle, 7),
            (self.pull, 20),
        ]
        funcs, weights = zip(*actions, strict=True)
        for number in range(rounds):
            self.round = number
            if number == disconnect_at:
                self.disconnect()
            elif number == reconnect_at:
                self.reconnect()
            action = self.rng.choices(funcs, weights)[0]
            if os.environ.get("IVALID_CONVERGENCE_DEBUG"):
                print(number, action.__name__, sorted(self.model.remote_dirty))
            action()
        self.round = rounds
        self.settle()

    def settle(self) -> None:
        """Quiesce: pull and push until nothing moves."""
        for _ in range(4):
            engine.request_sync(self.rt, self.connection().id)
            self.tick()

    def conflicts(self) -> int:
        """How many remote changes were refused (each put back: one remote write)."""
        return count_conflicts(self.db, self.tenant.account_id)

    def check(self) -> None:
        """Both sides agree (see scenario_model.verify)."""
        verify(self)
