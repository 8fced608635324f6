"""Pooled PostgreSQL connections: pinged when they were idle, so a dead one is replaced."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from hub import db
from tests.conftest import PG_URL
from tests.support import Tenant

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


def test_a_list_read_on_a_connection_that_dies_mid_use_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The raw reader raises as SQLAlchemy would and drops the dead connection."""
    from sqlalchemy.exc import DBAPIError

    from hub.rawsql import read_snapshot

    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = db.make_engine(PG_URL)
    try:
        with read_snapshot(engine) as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        _kill(pid)
        with pytest.raises(OperationalError) as info, read_snapshot(engine) as cursor:
            cursor.execute("SELECT 1")
        assert isinstance(info.value, DBAPIError) and info.value.connection_invalidated
        with read_snapshot(engine) as cursor:  # the pool has recovered
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
    finally:
        engine.dispose()


def test_the_api_answers_503_then_recovers_when_the_database_restarts(
    monkeypatch: pytest.MonkeyPatch, base_config: dict[str, Any], tenant: Tenant
) -> None:
    """Connections dropped under a busy pool: a retryable 503, never a 500, then 200."""
    from hub import create_app
    from hub.db import get_db

    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    app = create_app(base_config)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    try:
        assert client.get("/v2/appointments", headers=auth).status_code == 200
        admin = create_engine(PG_URL)
        with admin.connect() as conn:  # every connection of this app's pool
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_start > now() - interval '1 minute' "
                    "AND pid = ANY(:pids)"
                ),
                {"pids": _pool_pids(app)},
            )
            conn.commit()
        admin.dispose()
        time.sleep(0.2)
        codes = [client.get("/v2/appointments", headers=auth) for _ in range(3)]
        assert codes[0].status_code == 503, codes[0].json
        assert codes[0].json["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert codes[0].headers["Retry-After"] == "1"
        assert codes[-1].status_code == 200
    finally:
        get_db(app).engine.dispose()


def _pool_pids(app: Any) -> list[int]:
    """The backend pids of the connections the app's pool holds (checked out all at once)."""
    from hub.db import get_db

    engine = get_db(app).engine
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        pids = []
        for connection in held:
            cursor = connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(int(cursor.fetchone()[0]))
            cursor.close()
        return pids
    finally:
        for connection in held:
            connection.close()
