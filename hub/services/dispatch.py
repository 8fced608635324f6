"""The delivery engine of one worker: fan events out, claim, send, record — in a loop.

Every step is a short transaction; nothing waits on the network while holding a lock:

1. **fan-out** (`Dispatcher.fan_out`): claim undispatched events, create their deliveries and
   call the registered consumers (hub/events/fanout.py), mark them dispatched.
2. **claim** (`hub.services.delivery_queue.claim`): take due deliveries nobody holds under
   this worker's lease. A worker that dies (kill -9) lets its leases run out; another worker
   then takes the rows again. The lease must outlast a send (10 s) and the queue before it.
3. **send** (`Dispatcher.send`, on the sending threads): sign the event's bytes and POST them
   through the pooled, SSRF-guarded DeliveryClient. No database access.
4. **record** (`hub.services.delivery_queue.record`): log each attempt and schedule what comes
   next (+1 min, +5 min, +30 min, Retry-After, failed; 410 and 20 failed events in a row
   disable the endpoint).

Records and claims share one transaction per batch of about `concurrency` deliveries. Retries
are rows with a due time: a worker never sleeps on one. Times come from a Clock so tests move
time instead of waiting.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import crypto
from hub.clock import SYSTEM_CLOCK, Clock
from hub.config import Settings
from hub.db import Database, transaction
from hub.events.fanout import claim_events, fan_out, load_consumers
from hub.events.http import DeliveryClient, DeliveryResult
from hub.events.signing import delivery_headers
from hub.models import Event
from hub.services import delivery_queue
from hub.services.delivery_queue import (
    AUTO_DISABLE_AFTER,
    RETRY_DELAYS,
    Job,
    Outcome,
    next_attempt,
)

__all__ = [
    "AUTO_DISABLE_AFTER",
    "RETRY_DELAYS",
    "DispatchConfig",
    "Dispatcher",
    "Job",
    "Outcome",
    "next_attempt",
]

log = logging.getLogger(__name__)

IDLE_POLL = 0.1  # seconds between looks at the outbox while a drain lingers
BATCH_WINDOW = 0.01  # seconds outcomes may wait to be recorded together
COLLECT_PAUSE = 0.002  # seconds the loop lets outcomes pile up while senders have a backlog
UNDISPATCHED = select(Event.seq).where(Event.dispatched_at.is_(None)).limit(1)


@dataclass(frozen=True)
class DispatchConfig:
    """Tuning of one worker's delivery engine."""

    concurrency: int = 16  # HTTP requests in flight
    lease: timedelta = timedelta(seconds=60)  # > send deadline (10 s) x queue depth (2)
    fanout_batch: int = 500  # events per fan-out transaction
    fanout_interval: float = 0.05  # seconds between fan-out polls while deliveries flow
    linger: float = 0.0  # seconds a drain keeps polling once idle (the worker: until its end)
    depth: int = 2  # jobs claimed ahead: depth x concurrency in flight or queued
    batch_size: int = 0  # outcomes recorded (and jobs claimed) together; 0: concurrency

    @property
    def batch(self) -> int:
        """How many outcomes to record, and jobs to claim, per transaction."""
        return self.batch_size or self.concurrency


@dataclass
class Dispatcher:
    """One worker's delivery engine (thread-safe sends, one caller for the loop)."""

    db: Database
    settings: Settings
    client: DeliveryClient
    worker_id: str
    clock: Clock = SYSTEM_CLOCK
    config: DispatchConfig = field(default_factory=DispatchConfig)

    def __post_init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._loop_session: Session | None = None
        self._fast: Connection | None = None
        self._claims = itertools.count(1)
        load_consumers()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """The drain loop's session (one connection for the whole loop), or a fresh one."""
        if self._loop_session is not None:
            yield self._loop_session
            return
        session = self.db.session()
        try:
            yield session
        finally:
            session.close()

    # --- 1. fan-out ------------------------------------------------------------------------

    def fan_out(self, limit: int | None = None) -> int:
        """Fan one batch of undispatched events out; returns how many events it took."""
        with self._session() as session:
            return self._fan_out_with(session, self._fast, limit)

    def _fan_out_with(self, session: Session, fast: Connection | None, limit: int | None) -> int:
        # A plain read first: an idle worker polling must not take the write lock.
        if fast is not None:
            waiting = fast.execute(UNDISPATCHED).first()
        else:
            waiting = session.connection().execute(UNDISPATCHED).first()
            session.commit()
        if waiting is None:
            return 0
        with transaction(session):
            batch = claim_events(session, limit or self.config.fanout_batch)
            fan_out(session, batch, self.clock.now())
            return len(batch)

    # --- 2 and 4. claim and record -----------------------------------------------------------

    def claim(self, limit: int) -> list[Job]:
        """Take up to `limit` due deliveries under this worker's lease."""
        return self.settle([], limit)

    def record(self, outcomes: Sequence[Outcome]) -> None:
        """Log the attempts and move each delivery this worker still holds to its next state."""
        self.settle(outcomes, 0)

    def settle(self, outcomes: Sequence[Outcome], limit: int) -> list[Job]:
        """Record `outcomes` and claim up to `limit` more deliveries, in one transaction."""
        if not outcomes and limit <= 0:
            return []
        now = self.clock.now()
        if self._fast is not None and delivery_queue.fast_path(outcomes):
            token = f"{self.worker_id}~{next(self._claims)}"
            rows = delivery_queue.settle_pg(
                self._fast, self.worker_id, token, outcomes, now, self.config.lease, limit
            )
            return self._jobs(rows, now, token)
        with self._session() as session:
            if not outcomes:
                # Checked with a plain read: an idle poll never takes the write lock.
                due = delivery_queue.anything_due(session.connection(), now)
                session.commit()
                if not due:
                    return []
            with transaction(session):
                if outcomes:
                    delivery_queue.record(session, self.worker_id, outcomes, now)
                if limit <= 0:
                    return []
                token = f"{self.worker_id}~{next(self._claims)}"
                rows = delivery_queue.claim(
                    session.connection(), token, now, self.config.lease, limit
                )
                return self._jobs(rows, now, token)

    def _unseal(self, stored: str) -> str:
        """A decrypted secret (cached: the same few endpoints sign thousands of bodies)."""
        clear = self._secrets.get(stored)
        if clear is None:
            if len(self._secrets) > 10_000:
                self._secrets.clear()
            clear = self._secrets[stored] = crypto.decrypt(self.settings, stored)
        return clear

    def _jobs(self, rows: Sequence[Any], now: datetime, token: str) -> list[Job]:
        """Jobs from claimed rows, with the signing secrets in force now."""
        jobs = []
        for r in rows:
            secrets = [self._unseal(r.secret)]
            expires = r.previous_secret_expires_at
            if r.previous_secret and expires is not None and expires > now:
                secrets.append(self._unseal(r.previous_secret))
            jobs.append(
                Job(
                    r.id,
                    r.endpoint_id,
                    r.account_id,
                    r.environment,
                    r.url,
                    tuple(secrets),
                    r.event_id,
                    r.event_type,
                    bytes(r.body),
                    r.run_attempts,
                    r.attempt_count,
                    r.consecutive_failures,
                    token,
                )
            )
        return jobs

    # --- 3. send ---------------------------------------------------------------------------

    def send(self, job: Job) -> Outcome:
        """Sign and POST one job (thread-safe, no database)."""
        attempted_at = self.clock.now()
        headers = delivery_headers(
            job.event_type, job.delivery_id, job.event_id, int(time.time()), job.body, job.secrets
        )
        try:
            result = self.client.send(job.url, job.body, headers)
        except Exception as exc:  # the client promises not to raise; never lose the row if it does
            log.exception("delivery %s: unexpected client error", job.delivery_id)
            result = DeliveryResult(
                ok=False, status=None, latency_ms=0, error="internal_error", detail=str(exc)[:300]
            )
        return Outcome(job, result, attempted_at)

    # --- the loop --------------------------------------------------------------------------

    def drain(self, stop: threading.Event | None = None, max_seconds: float | None = None) -> int:
        """Fan out and deliver until nothing is due (or `stop`, or `max_seconds`).

        Up to 2 x concurrency requests are queued so the HTTP pool never idles between
        database round trips, and outcomes are recorded in batches, in the same transaction
        as the next claim: the database sees a few transactions per batch, not per delivery.
        Returns the number of attempts made.
        """
        conn = self.db.engine.connect()
        self._loop_session = Session(bind=conn, expire_on_commit=False)
        if self.db.dialect == "postgresql":
            # The one-statement happy path commits as it goes (see delivery_queue.settle_pg).
            self._fast = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return self._drain(stop, max_seconds)
        finally:
            self._loop_session.close()
            self._loop_session = None
            conn.close()
            if self._fast is not None:
                self._fast.close()
                self._fast = None

    def _sender(
        self, todo: queue.SimpleQueue[Job | None], done: queue.SimpleQueue[Outcome]
    ) -> None:
        """A sending thread: jobs in, outcomes out, until it gets None."""
        while (job := todo.get()) is not None:
            done.put(self.send(job))

    def _drain(self, stop: threading.Event | None, max_seconds: float | None) -> int:
        cfg = self.config
        started = time.monotonic()
        attempts = 0
        in_flight = 0
        done: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        finished: list[Outcome] = []
        finished_since = 0.0
        batch = cfg.batch
        last_fanout, fanned = -1.0, 0
        last_claim, exhausted = -1.0, False
        idle_checked, idle_since = False, 0.0
        # Plain threads and queues rather than an executor: no Future per delivery.
        todo: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        threads = [
            threading.Thread(
                target=self._sender, args=(todo, done), daemon=True, name=f"ivalid-send-{i}"
            )
            for i in range(cfg.concurrency)
        ]
        for t in threads:
            t.start()
        try:
            while True:
                now = time.monotonic()
                stopping = (stop is not None and stop.is_set()) or (
                    max_seconds is not None and now - started > max_seconds
                )
                if not stopping and (
                    fanned >= cfg.fanout_batch or now - last_fanout >= cfg.fanout_interval
                ):
                    fanned, last_fanout = self.fan_out(), now
                    if fanned:
                        exhausted = False
                room = cfg.depth * cfg.concurrency - in_flight
                want_claim = (
                    not stopping
                    and room >= cfg.batch
                    and (not exhausted or now - last_claim >= cfg.fanout_interval)
                )
                want_record = bool(finished) and (
                    len(finished) >= batch
                    or now - finished_since >= BATCH_WINDOW
                    or want_claim
                    or not in_flight
                    or stopping
                )
                claimed: list[Job] = []
                if want_claim or want_record:
                    claimed = self.settle(
                        finished if want_record else [], room if want_claim else 0
                    )
                    if want_record:
                        attempts += len(finished)
                        finished = []
                    if want_claim:
                        last_claim, exhausted = now, len(claimed) < room
                    for job in claimed:
                        todo.put(job)
                    in_flight += len(claimed)
                if claimed or fanned:
                    idle_checked = False
                if not in_flight and not finished:
                    if stopping:
                        return attempts
                    if idle_checked:
                        # Idle. Linger (polling the outbox every IDLE_POLL) so a burst that
                        # starts now is sent at once rather than at the scheduler's next run.
                        if now - idle_since >= cfg.linger:
                            return attempts
                        if stop is not None:
                            stop.wait(IDLE_POLL)
                        else:
                            time.sleep(IDLE_POLL)
                    else:
                        idle_since = now
                    # Everything is settled: one more look at the outbox and the due rows
                    # (a settle may have emitted events, such as webhook.disabled).
                    idle_checked, last_fanout, exhausted = True, -1.0, False
                    continue
                # Collect outcomes in batches: waking the loop (and taking the GIL from the
                # sending threads) once per completion would cost more than the work.
                if not in_flight:
                    continue
                try:
                    outcome = done.get(timeout=BATCH_WINDOW)
                except queue.Empty:
                    continue
                if not finished:
                    finished_since = time.monotonic()
                finished.append(outcome)
                in_flight -= 1
                if in_flight > cfg.concurrency:
                    # Jobs are queued behind the busy senders: let a few more finish
                    # before waking again.
                    time.sleep(COLLECT_PAUSE)
                while in_flight:
                    try:
                        finished.append(done.get_nowait())
                    except queue.Empty:
                        break
                    in_flight -= 1
        finally:
            for _ in threads:
                todo.put(None)
            for t in threads:
                t.join()

    def run_until_idle(self) -> int:
        """Deliver everything due now (tests with a manual clock); returns attempts made."""
        return self.drain()
