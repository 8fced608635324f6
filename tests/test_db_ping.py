"""Pooled PostgreSQL connections: pinged when they were idle, so a dead one is replaced."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from hub import db
from tests.conftest import PG_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"), reason="needs PostgreSQL (IVALID_TEST_DATABASE_URL)"
    ),
]


def _pid(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(pid: int) -> None:
    admin = create_engine(PG_URL)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    admin.dispose()
    time.sleep(0.2)


def test_a_connection_killed_while_idle_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.5)
    engine = db.make_engine(PG_URL)
    try:
        first = _pid(engine)
        _kill(first)  # e.g. the server restarted, or an idle timeout closed it
        time.sleep(0.6)
        second = _pid(engine)  # no error: the ping found it dead, the pool reconnected
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ping (no round trip) for a busy pool; a connection dead anyway fails once, then the
    pool starts afresh."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = db.make_engine(PG_URL)
    try:
        first = _pid(engine)
        _kill(first)
        with pytest.raises(OperationalError):
            _pid(engine)
        assert _pid(engine) != first
    finally:
        engine.dispose()
