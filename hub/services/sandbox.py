"""The sandbox reset: every 24 h each account's sandbox goes back to the demo data set.

Only the `sandbox` environment is ever touched: the deletion is `hub.services.demo.clear` with
environment="sandbox" written out, and the tests check production rows survive. Credentials,
webhook endpoints, integration connections and their mappings are configuration, not data:
they are kept. The demo objects come back with the same ids at every reset (`demo.demo_id`),
so an integrator's sandbox fixtures keep working; what the integrator added is deleted.

A reset is three steps because `demo.seed` owns its transaction: claim (mark the ledger row
`resetting`, delete the sandbox data), seed, then mark `done`. Two workers cannot claim the
same account (row lock / single writer); a worker killed between the steps leaves the row
`resetting`, and the next run after `STALE` takes the reset over and redoes it from the start.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.db import Database, transaction
from hub.models import Account, SandboxReset
from hub.services import demo

log = logging.getLogger(__name__)

ENVIRONMENT = "sandbox"
PERIOD = timedelta(hours=24)
STALE = timedelta(minutes=10)


def _ensure_rows(session: Session, account_ids: list[str], now: datetime) -> None:
    """A ledger row per account; a new account counts from its creation (no reset at once)."""
    if not account_ids:
        return
    created = dict(
        session.execute(select(Account.id, Account.created_at).where(Account.id.in_(account_ids)))
        .tuples()
        .all()
    )
    rows = [
        {
            "account_id": a,
            "state": "done",
            "started_at": created.get(a, now),
            "reset_at": created.get(a, now),
            "runs": 0,
        }
        for a in account_ids
    ]
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SandboxReset)
    session.execute(ins.on_conflict_do_nothing(), rows)


def _claim(db: Database, account_id: str, now: datetime, force: bool) -> bool:
    """Take the reset of one account if it is due (or forced) and nobody holds it; clears it."""
    session = db.session()
    try:
        with transaction(session):
            _ensure_rows(session, [account_id], now)
            row = session.scalars(
                select(SandboxReset)
                .where(SandboxReset.account_id == account_id)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return False  # another worker holds it right now
            busy = row.state == "resetting" and row.started_at > now - STALE
            due = row.reset_at is None or row.reset_at <= now - PERIOD
            if busy or not (due or force or row.state == "resetting"):
                return False
            row.state, row.started_at, row.last_error = "resetting", now, None
            demo.clear(session, account_id, ENVIRONMENT)
            return True
    finally:
        session.close()


def _finish(db: Database, account_id: str, now: datetime) -> None:
    session = db.session()
    try:
        with transaction(session):
            row = session.get(SandboxReset, account_id, with_for_update=True)
            if row is not None:
                row.state, row.reset_at, row.runs = "done", now, row.runs + 1
    finally:
        session.close()


def reset(db: Database, account_id: str, now: datetime, *, force: bool = True) -> bool:
    """Reset one account's sandbox now (the CLI forces it); returns whether it was reset."""
    if not _claim(db, account_id, now, force):
        return False
    session = db.session()
    try:
        demo.seed(session, account_id, ENVIRONMENT, now)
    finally:
        session.close()
    _finish(db, account_id, now)
    log.info("sandbox of account %s reset to the demo data", account_id)
    return True


def due_accounts(db: Database, now: datetime) -> list[str]:
    """Accounts whose sandbox was last reset 24 h ago or more (or whose reset was cut short)."""
    session = db.session()
    try:
        with transaction(session):
            _ensure_rows(session, list(session.scalars(select(Account.id))), now)
        return list(
            session.scalars(
                select(SandboxReset.account_id).where(
                    (SandboxReset.reset_at <= now - PERIOD)
                    | (
                        (SandboxReset.state == "resetting")
                        & (SandboxReset.started_at <= now - STALE)
                    )
                )
            )
        )
    finally:
        session.close()


def reset_due(db: Database, now: datetime) -> int:
    """Reset every sandbox that is due; returns how many were reset."""
    count = 0
    for account_id in due_accounts(db, now):
        try:
            if reset(db, account_id, now, force=False):
                count += 1
        except Exception:
            log.exception("sandbox reset of account %s failed", account_id)
    return count


def schedule(session: Session, account_id: str) -> tuple[datetime | None, datetime | None]:
    """When the account's sandbox was last reset, and when the worker resets it next."""
    row = session.get(SandboxReset, account_id)
    if row is not None:
        last = row.reset_at
    else:
        account = session.get(Account, account_id)
        last = account.created_at if account is not None else None
    return last, (last + PERIOD if last is not None else None)
