"""Cursors saved per page, crashes resumed, 410 → full sync, back-off without sleeping, leases."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hub.integrations import engine, state
from hub.integrations.runtime import SyncHooks, SyncRuntime
from hub.models import ExternalBusy, IntegrationConnection, IntegrationStream
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import connection
from tests.integrations.support import JEAN_EMAIL, MovingClock, at, next_weekday


class Crash(BaseException):
    """The worker process dies."""


def _seed_foreign(fake: FakeGoogleCalendar, count: int) -> list[str]:
    day = next_weekday()
    ids = []
    for i in range(count):
        start = at(day + timedelta(days=i // 8), 8 + i % 8)
        ids.append(
            fake.user_create(
                f"Perso {i}", start, start + timedelta(minutes=30), calendar_id=JEAN_EMAIL
            )["id"]
        )
    return ids


def _page_size(rt: SyncRuntime, connection_id: str, size: int) -> None:
    with rt.db.session() as session, session.begin():
        session.execute(update(IntegrationConnection).values(config={"page_size": size}))


def _busy_count(rt: SyncRuntime) -> int:
    with rt.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ExternalBusy)) or 0)


def _cursor(rt: SyncRuntime, calendar_id: str) -> dict | None:
    with rt.db.session() as session:
        return session.scalars(
            select(IntegrationStream.cursor).where(IntegrationStream.remote_id == calendar_id)
        ).one()


@pytest.mark.parametrize("where", ["after_page", "after_cursor"])
def test_a_killed_full_sync_resumes_where_it_stopped(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str, clock: MovingClock, where: str
) -> None:
    """Killed on page 3 of 5 (before or after saving its cursor): the next worker continues
    from the saved page token, re-reading at most one page; nothing is duplicated."""
    _seed_foreign(fake, 12)
    _page_size(rt, connected, 3)
    pages = 0

    def crash(calendar: str, number: int) -> None:
        nonlocal pages
        if calendar == JEAN_EMAIL:
            pages = number
            if number == 3:
                raise Crash()

    rt.hooks = SyncHooks(**{where: crash})
    with pytest.raises(Crash):
        engine.sync_now(rt, connected)
    rt.hooks = SyncHooks()
    assert _cursor(rt, JEAN_EMAIL)["page_token"]  # saved after every page
    assert not state.claim(rt, connected)  # the dead worker's lease still holds
    fake.reset_counters()
    clock.advance(rt.lease + timedelta(seconds=1))
    rt.worker_id = "another-worker"
    engine.sync_now(rt, connected)
    jean_lists = [r for r in fake.requests if r.endpoint == "events.list" and JEAN_EMAIL in r.path]
    assert len(jean_lists) == (3 if where == "after_page" else 2)  # pages 3(,4),5 only
    assert _busy_count(rt) == 12
    assert _cursor(rt, JEAN_EMAIL).keys() == {"sync_token", "window"}


def test_incremental_sync_is_one_call(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """After the first full sync, a pull with nothing new costs one list call per calendar."""
    engine.sync_now(rt, connected)
    fake.reset_counters()
    engine.sync_now(rt, connected)
    assert fake.calls == {"events.list": 2}


def test_expired_sync_token_means_a_full_sync(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """410: the cursor is cleared and everything listed again; events deleted meanwhile and
    no longer listed are checked one by one and their busy periods removed."""
    ids = _seed_foreign(fake, 4)
    engine.sync_now(rt, connected)
    assert _busy_count(rt) == 4
    fake.user_delete(ids[0], calendar_id=JEAN_EMAIL)
    # Google eventually forgets deleted events: a full listing no longer shows them.
    del fake.store.calendar(JEAN_EMAIL).events[ids[0]]
    fake.invalidate_sync_tokens()
    stats = engine.sync_now(rt, connected)
    assert stats is not None and stats["full_resyncs"] == 2
    assert _busy_count(rt) == 3
    assert connection(rt, connected).last_sync_status == "ok"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, None),
        (403, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
        (500, None),
        (503, None),
    ],
)
def test_rate_limits_and_server_errors_back_off(
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
    clock: MovingClock,
    status: int,
    reason: str | None,
) -> None:
    """The run stops at once (no sleeping), the connection waits an exponential, jittered
    delay before it is due again, then syncs normally."""
    engine.sync_now(rt, connected)
    fake.inject_fault(status, reason=reason, count=1, endpoint="events.list")
    started = time.monotonic()
    engine.sync_now(rt, connected)
    assert time.monotonic() - started < 2
    row = connection(rt, connected)
    assert row.failure_count == 1 and row.last_sync_status == "retrying"
    assert clock.now() < row.backoff_until <= clock.now() + timedelta(seconds=6)
    assert engine.run_due(rt) == 0  # held back
    fake.inject_fault(status, reason=reason, count=1, endpoint="events.list")
    clock.advance(timedelta(seconds=6))
    engine.run_due(rt)
    row = connection(rt, connected)
    assert row.failure_count == 2
    assert row.backoff_until <= clock.now() + timedelta(seconds=11)  # 5 s x 2, jittered
    clock.advance(timedelta(seconds=11))
    assert engine.run_due(rt) == 1
    row = connection(rt, connected)
    assert row.failure_count == 0 and row.backoff_until is None
    assert row.last_sync_status == "ok"


def test_retry_after_is_honoured(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str, clock: MovingClock
) -> None:
    """A 429 with Retry-After: 120 waits at least that long."""
    fake.inject_fault(429, count=1, endpoint="events.list", retry_after=120)
    engine.sync_now(rt, connected)
    assert connection(rt, connected).backoff_until >= clock.now() + timedelta(seconds=119)


def test_a_connection_is_never_synced_by_two_workers(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """Four workers race for the due connection: one runs it, the others skip it."""
    import dataclasses

    workers = [dataclasses.replace(rt, worker_id=f"w{i}") for i in range(4)]
    ran: list[int] = []
    barrier = threading.Barrier(len(workers))

    def work(runtime: SyncRuntime) -> None:
        barrier.wait()
        ran.append(engine.run_due(runtime))

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(ran) == [0, 0, 0, 1]
    assert connection(rt, connected).lease_owner is None  # released after the run
