"""The webhook delivery queue in SQL: claim due rows under a lease, record outcomes.

Rows of `webhook_deliveries` are the queue. A worker claims due rows nobody holds by
stamping them with its id and a lease (`FOR UPDATE SKIP LOCKED` in the sub-select on
PostgreSQL; SQLite has a single writer), sends them, then records each outcome on the rows it
still holds: succeeded; pending again at +1 min / +5 min / +30 min (later if Retry-After asks);
failed after the fourth attempt or on 410. A worker that dies lets its leases run out and
another takes the rows again.

Statements are built once, with bind parameters: a busy worker runs them thousands of times a
second and building them is most of the cost. Multi-row statements rather than one per row:
fewer round trips, and on SQLite fewer times the loop gives up the GIL to the sending threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Table,
    bindparam,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from hub.events.http import DeliveryResult
from hub.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from hub.services import webhooks
from hub.services.events import TEST_EVENT

# The spec: "retente l'envoi 3 fois avec un délai exponentiel (1min, 5min, 30min)".
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
MAX_RETRY_AFTER = timedelta(hours=24)  # a receiver cannot park a delivery for longer
AUTO_DISABLE_AFTER = 20  # events in a row that failed every attempt
MAX_EXCERPT = 1024

D = cast(Table, WebhookDelivery.__table__)
EP = cast(Table, WebhookEndpoint.__table__)
AT = cast(Table, WebhookAttempt.__table__)


@dataclass(slots=True)
class Job:
    """A claimed delivery with everything needed to send it (no database access)."""

    delivery_id: str
    endpoint_id: str
    account_id: str
    environment: str
    url: str
    secrets: tuple[str, ...]
    event_id: str
    event_type: str
    body: bytes
    run_attempts: int
    attempt_count: int
    endpoint_streak: int = 0  # the endpoint's failure streak when claimed
    claim: str = ""  # the claim token the row carries in `claimed_by` while this job holds it


@dataclass(slots=True)
class Outcome:
    """A sent (or refused) attempt of a Job."""

    job: Job
    result: DeliveryResult
    attempted_at: datetime


def next_attempt(run_attempts: int, result: DeliveryResult, now: datetime) -> datetime | None:
    """When to try again after the `run_attempts`-th failed attempt; None: give up."""
    if result.gone or run_attempts > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[run_attempts - 1]
    if result.retry_after is not None:
        delay = max(delay, min(timedelta(seconds=result.retry_after), MAX_RETRY_AFTER))
    return now + delay


def _due() -> Any:
    return (
        D.c.status == "pending",
        D.c.next_attempt_at <= bindparam("now", type_=D.c.next_attempt_at.type),
        or_(
            D.c.lease_until.is_(None),
            D.c.lease_until < bindparam("now", type_=D.c.lease_until.type),
        ),
    )


ANYTHING_DUE = select(D.c.id).where(*_due()).limit(1)

# The rows to take, locked, skipping rows other workers hold locked. A materialized CTE on
# PostgreSQL: a plain `IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` may be re-run by the
# planner and take more rows than asked.
_TAKE = (
    select(D.c.id)
    .where(*_due())
    .order_by(D.c.next_attempt_at)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)
    .cte("take")
    .prefix_with("MATERIALIZED", dialect="postgresql")
)
CLAIM = (
    update(D)
    .where(D.c.id.in_(select(_TAKE.c.id)))
    .values(
        lease_until=bindparam("stamp", type_=D.c.lease_until.type),
        claimed_by=bindparam("worker", type_=D.c.claimed_by.type),
    )
)

CLAIMED = (
    select(
        D.c.id,
        D.c.endpoint_id,
        D.c.account_id,
        D.c.environment,
        D.c.run_attempts,
        D.c.attempt_count,
        EP.c.url,
        EP.c.secret,
        EP.c.previous_secret,
        EP.c.previous_secret_expires_at,
        EP.c.active,
        EP.c.consecutive_failures,
        D.c.event_id,
        D.c.event_type,
        D.c.body,
    )
    .join(EP, EP.c.id == D.c.endpoint_id)
    .where(
        D.c.claimed_by == bindparam("worker", type_=D.c.claimed_by.type),
        D.c.lease_until == bindparam("stamp", type_=D.c.lease_until.type),
    )
    .order_by(D.c.next_attempt_at)
)

# PostgreSQL: take the rows and read what sending needs in one round trip (its RETURNING may
# name the endpoint's columns; SQLite's may not, so SQLite runs CLAIM then CLAIMED).
CLAIM_RETURNING = (
    update(D)
    .where(D.c.id == _TAKE.c.id, EP.c.id == D.c.endpoint_id)
    .values(
        lease_until=bindparam("stamp", type_=D.c.lease_until.type),
        claimed_by=bindparam("worker", type_=D.c.claimed_by.type),
    )
    .returning(*CLAIMED.selected_columns)
)

CANCEL = (
    update(D)
    .where(D.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status="cancelled",
        next_attempt_at=None,
        lease_until=None,
        claimed_by=None,
        completed_at=bindparam("now", type_=D.c.completed_at.type),
        last_error="endpoint_disabled",
        updated_at=bindparam("now", type_=D.c.updated_at.type),
    )
)

HELD = (
    select(D.c.id, D.c.claimed_by)
    .where(D.c.id.in_(bindparam("ids", expanding=True)))
    .with_for_update()
)

LOG_ATTEMPTS = insert(AT)

SUCCEEDED = (
    update(D)
    .where(tuple_(D.c.id, D.c.claimed_by).in_(bindparam("pairs", expanding=True)))
    .values(
        status="succeeded",
        attempt_count=D.c.attempt_count + 1,
        run_attempts=D.c.run_attempts + 1,
        next_attempt_at=None,
        last_attempt_at=bindparam("now", type_=D.c.last_attempt_at.type),
        last_status_code=bindparam("code", type_=D.c.last_status_code.type),
        last_error=None,
        completed_at=bindparam("now", type_=D.c.completed_at.type),
        updated_at=bindparam("now", type_=D.c.updated_at.type),
        lease_until=None,
        claimed_by=None,
    )
)

# Failures, one row each (executemany): each has its own next due time and error.
FAILED = (
    update(D)
    .where(D.c.id == bindparam("b_id"), D.c.claimed_by == bindparam("b_worker"))
    .values(
        {
            name: bindparam(f"v_{name}", type_=D.c[name].type)
            for name in (
                "status",
                "attempt_count",
                "run_attempts",
                "next_attempt_at",
                "last_attempt_at",
                "last_status_code",
                "last_error",
                "completed_at",
                "updated_at",
            )
        }
        | {"lease_until": None, "claimed_by": None}
    )
)

RESET_STREAK = (
    update(EP)
    .where(EP.c.id == bindparam("endpoint"), EP.c.consecutive_failures != bindparam("streak"))
    .values(consecutive_failures=bindparam("streak"))
)
ADD_TO_STREAK = (
    update(EP)
    .where(EP.c.id == bindparam("endpoint"))
    .values(consecutive_failures=EP.c.consecutive_failures + bindparam("streak", type_=Integer))
)
STREAK = select(EP.c.consecutive_failures).where(EP.c.id == bindparam("endpoint"))


def anything_due(conn: Connection, now: datetime) -> bool:
    """Whether some delivery is due and free (a plain read)."""
    return conn.execute(ANYTHING_DUE, {"now": now}).first() is not None


def claim(
    conn: Connection, token: str, now: datetime, lease: timedelta, limit: int
) -> list[Row[Any]]:
    """Take up to `limit` due rows under a lease; returns those of active endpoints.

    `token` is unique to this claim (worker id and a sequence number): the UPDATE writes it
    into `claimed_by` and the SELECT finds the rows by it, two statements in all. Outcomes are
    later recorded only on rows still carrying it.
    """
    stamp = now + lease
    params = {"now": now, "limit": limit, "stamp": stamp, "worker": token}
    if conn.dialect.name == "postgresql":
        rows = conn.execute(CLAIM_RETURNING, params).all()
    elif conn.execute(CLAIM, params).rowcount:
        rows = conn.execute(CLAIMED, {"worker": token, "stamp": stamp}).all()
    else:
        return []
    inactive = [r.id for r in rows if not r.active]
    if inactive:  # disabled between the fan-out and now
        conn.execute(CANCEL, {"ids": inactive, "now": now})
    return [r for r in rows if r.active]


@dataclass
class _Tally:
    """What a batch of outcomes does to one endpoint's failure streak."""

    reset: bool = False
    streak: int = 0
    gone: bool = False


def record(session: Session, worker_id: str, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Log every attempt; move each row this worker still holds to its next state."""
    conn = session.connection()
    # Which rows are still ours (a lease may have run out and another worker taken the row).
    # Successes need not know: their update is guarded by claimed_by and has no side effect;
    # failures do, since they count towards disabling the endpoint.
    held: set[str] | None = None
    if not all(o.result.ok for o in outcomes):
        ids = [o.job.delivery_id for o in outcomes]
        claims = {o.job.delivery_id: o.job.claim for o in outcomes}
        held = {i for i, by in conn.execute(HELD, {"ids": ids}).tuples() if by == claims[i]}
    attempts: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    succeeded: dict[int | None, list[tuple[str, str]]] = {}
    tallies: dict[str, _Tally] = {}
    for o in outcomes:
        r, job = o.result, o.job
        attempts.append(
            {
                "delivery_id": job.delivery_id,
                "endpoint_id": job.endpoint_id,
                "number": job.attempt_count + 1,
                "attempted_at": o.attempted_at,
                "success": r.ok,
                "status_code": r.status,
                "latency_ms": r.latency_ms,
                "response_body": (r.response_excerpt or "")[:MAX_EXCERPT],
                "error": str(r.error) if r.error else None,
                "detail": r.detail,
                "worker": worker_id,
            }
        )
        if held is not None and job.delivery_id not in held:
            continue  # another worker holds the row now: it decides
        counted = job.event_type != TEST_EVENT  # pings do not count towards disabling
        if r.ok:
            succeeded.setdefault(r.status, []).append((job.delivery_id, job.claim))
            if counted:
                tally = tallies.setdefault(job.endpoint_id, _Tally())
                # Reset only a streak there is: a healthy endpoint costs no write.
                tally.reset = tally.reset or tally.streak > 0 or job.endpoint_streak > 0
                tally.streak = 0
            continue
        run = job.run_attempts + 1
        due = next_attempt(run, r, now)
        status = "pending" if due else "failed"
        failures.append(
            {
                "b_id": job.delivery_id,
                "b_worker": job.claim,
                "v_status": status,
                "v_attempt_count": job.attempt_count + 1,
                "v_run_attempts": run,
                "v_next_attempt_at": due,
                "v_last_attempt_at": o.attempted_at,
                "v_last_status_code": r.status,
                "v_last_error": str(r.error) if r.error else None,
                "v_completed_at": None if due else now,
                "v_updated_at": now,
            }
        )
        if counted and status == "failed":
            tally = tallies.setdefault(job.endpoint_id, _Tally())
            tally.streak += 1
            tally.gone = tally.gone or r.gone
    conn.execute(LOG_ATTEMPTS, attempts)
    for code, pairs in succeeded.items():
        conn.execute(SUCCEEDED, {"pairs": pairs, "now": now, "code": code})
    if failures:
        conn.execute(FAILED, failures)
    for endpoint_id, tally in tallies.items():
        _apply(session, conn, endpoint_id, tally, now)


def _apply(
    session: Session, conn: Connection, endpoint_id: str, tally: _Tally, now: datetime
) -> None:
    """Update one endpoint's failure streak; disable it on 410 or 20 failed events in a row."""
    if tally.gone:
        webhooks.disable(session, endpoint_id, "gone", now)
        return
    if tally.reset:
        conn.execute(RESET_STREAK, {"endpoint": endpoint_id, "streak": tally.streak})
    elif tally.streak:
        conn.execute(ADD_TO_STREAK, {"endpoint": endpoint_id, "streak": tally.streak})
    if tally.streak:
        streak = conn.execute(STREAK, {"endpoint": endpoint_id}).scalar()
        if streak is not None and streak >= AUTO_DISABLE_AFTER:
            webhooks.disable(session, endpoint_id, "failing", now)


# PostgreSQL's happy path, in ONE statement and one round trip (autocommit): log the attempts,
# mark the successes, claim the next rows. Each round trip makes the loop give up the GIL, and
# with sixteen sending threads getting it back costs far more than the query (measured: a
# 0.4 ms INSERT takes 7 ms). Arrays and unnest keep the text fixed whatever the batch size.
# The claim skips the rows being marked: one statement must not update a row twice.
_SETTLE_PG = text(
    """
WITH log AS (
  INSERT INTO webhook_attempts (delivery_id, endpoint_id, number, attempted_at, success,
                                status_code, latency_ms, response_body, error, detail, worker)
  SELECT * FROM unnest(
    CAST(:a_delivery AS text[]), CAST(:a_endpoint AS text[]), CAST(:a_number AS int[]),
    CAST(:a_at AS timestamptz[]), CAST(:a_success AS boolean[]), CAST(:a_status AS int[]),
    CAST(:a_latency AS int[]), CAST(:a_body AS text[]), CAST(:a_error AS text[]),
    CAST(:a_detail AS text[]), CAST(:a_worker AS text[]))
),
ok AS (
  UPDATE webhook_deliveries AS d
  SET status = 'succeeded', attempt_count = d.attempt_count + 1,
      run_attempts = d.run_attempts + 1, next_attempt_at = NULL, last_attempt_at = :now,
      last_status_code = u.code, last_error = NULL, completed_at = :now, updated_at = :now,
      lease_until = NULL, claimed_by = NULL
  FROM unnest(CAST(:ok_ids AS text[]), CAST(:ok_claims AS text[]), CAST(:ok_codes AS int[]))
       AS u(id, claim, code)
  WHERE d.id = u.id AND d.claimed_by = u.claim
),
take AS MATERIALIZED (
  SELECT id FROM webhook_deliveries
  WHERE status = 'pending' AND next_attempt_at <= :now
    AND (lease_until IS NULL OR lease_until < :now)
    AND NOT (id = ANY(CAST(:ok_ids AS text[])))
  ORDER BY next_attempt_at
  LIMIT :limit
  FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries AS d
SET lease_until = :stamp, claimed_by = :token
FROM take, webhook_endpoints AS ep
WHERE d.id = take.id AND ep.id = d.endpoint_id
RETURNING d.id, d.endpoint_id, d.account_id, d.environment, d.run_attempts, d.attempt_count,
          ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, ep.active,
          ep.consecutive_failures, d.event_id, d.event_type, d.body
"""
)


def fast_path(outcomes: Sequence[Outcome]) -> bool:
    """Whether `settle_pg` may record these outcomes: successes only, no streak to reset."""
    return all(o.result.ok and not o.job.endpoint_streak for o in outcomes)


def settle_pg(
    conn: Connection,
    worker_id: str,
    token: str,
    outcomes: Sequence[Outcome],
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Row[Any]]:
    """PostgreSQL, autocommit: record successful `outcomes` and claim up to `limit` rows."""
    jobs = [o.job for o in outcomes]
    results = [o.result for o in outcomes]
    params = {
        "a_delivery": [j.delivery_id for j in jobs],
        "a_endpoint": [j.endpoint_id for j in jobs],
        "a_number": [j.attempt_count + 1 for j in jobs],
        "a_at": [o.attempted_at for o in outcomes],
        "a_success": [True] * len(jobs),
        "a_status": [r.status for r in results],
        "a_latency": [r.latency_ms for r in results],
        "a_body": [(r.response_excerpt or "")[:MAX_EXCERPT] for r in results],
        "a_error": [None] * len(jobs),
        "a_detail": [r.detail for r in results],
        "a_worker": [worker_id] * len(jobs),
        "ok_ids": [j.delivery_id for j in jobs],
        "ok_claims": [j.claim for j in jobs],
        "ok_codes": [r.status for r in results],
        "now": now,
        "limit": max(limit, 0),
        "stamp": now + lease,
        "token": token,
    }
    rows = conn.execute(_SETTLE_PG, params).all()
    inactive = [r.id for r in rows if not r.active]
    if inactive:  # disabled between the fan-out and now
        conn.execute(CANCEL, {"ids": inactive, "now": now})
    return [r for r in rows if r.active]
