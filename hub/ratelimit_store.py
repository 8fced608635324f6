"""Rate-limit counters every process of one machine shares: a `limits` storage on a SQLite file.

Without Redis, each gunicorn worker used to count on its own, so two workers let twice the
documented budget through. This storage keeps the counters in one small SQLite file in the
data directory (WAL mode): every process that opens it sees the same counts, and each hit is
one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement, so concurrent hits from
any number of processes and threads are never lost. Counters need not survive a power cut,
hence `synchronous=OFF`: a hit costs a page write into the WAL, never an fsync.

Registered under the `ivalid-sqlite` scheme: `ivalid-sqlite:///absolute/path/ratelimit.db`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from limits.storage import Storage

from hub.db import create_exclusive

SCHEME = "ivalid-sqlite"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL"
    ") WITHOUT ROWID"
)
# One statement: a counter whose window has passed starts again from `amount`.
_INCR = (
    "INSERT INTO counters (key, value, expires_at) VALUES (?1, ?2, ?3 + ?4)"
    " ON CONFLICT (key) DO UPDATE SET"
    "  value = CASE WHEN expires_at <= ?3 THEN excluded.value ELSE value + excluded.value END,"
    "  expires_at = CASE WHEN expires_at <= ?3 THEN excluded.expires_at ELSE expires_at END"
    " RETURNING value, expires_at"
)
# Expired rows are removed now and then, not on every hit.
_SWEEP_EVERY = 5000
# How long the answer of a hit may stand in for the read that follows it in the same thread.
_FRESH_SECONDS = 1.0


def storage_uri(data_dir: Path) -> str:
    """The storage URI of the counters file in `data_dir`."""
    return f"{SCHEME}://{(data_dir / 'ratelimit.db').resolve()}"


class SQLiteCounterStorage(Storage):
    """Fixed-window counters in a SQLite file, shared by every local process (limits storage)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.removeprefix(f"{SCHEME}://")
        self._local = threading.local()
        self._hits = 0
        # The table, through a connection closed at once: a process that forks after this
        # (gunicorn's master) hands its workers no SQLite connection.
        create_exclusive(self.path)
        setup = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            setup.execute("PRAGMA journal_mode=WAL")
            setup.execute(_SCHEMA)
        finally:
            setup.close()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection; a forked process opens its own (SQLite forbids sharing)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            create_exclusive(self.path)  # owner-only, like the rest of the data directory
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to `key`'s counter (a new window of `expiry` s if it had none)."""
        now = time.time()
        conn = self._connection()
        value, expires_at = conn.execute(_INCR, (key, amount, now, float(expiry))).fetchone()
        # The limiter reads the counter and its expiry right after each hit (for the
        # X-RateLimit-* headers): the statement already returned both, so those two reads are
        # answered from here, once each, instead of by two more queries.
        self._local.last = [key, int(value), float(expires_at), now, True, True]
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(value)

    def _just_hit(self, key: str, field: int) -> Any:
        """The value the last hit of this thread returned for `key`, once; else None."""
        last = getattr(self._local, "last", None)
        if last is None or last[0] != key or not last[field + 3]:
            return None
        if time.time() - last[3] > _FRESH_SECONDS:
            return None
        last[field + 3] = False
        return last[field]

    def get(self, key: str) -> int:
        """The counter of `key` in its current window (0 if none)."""
        fresh = self._just_hit(key, 1)
        if fresh is not None:
            return int(fresh)
        row = (
            self._connection()
            .execute(
                "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When `key`'s window ends (now if it has none)."""
        fresh = self._just_hit(key, 2)
        if fresh is not None:
            return float(fresh)
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        """True when the file answers."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Forget `key`'s counter."""
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
