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
        # Create the file and its table once, owner-only like the rest of the data directory.
        self._connection().execute(_SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection; a forked process opens its own (SQLite forbids sharing)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
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
        value, _ = conn.execute(_INCR, (key, amount, now, float(expiry))).fetchone()
        self._hits += 1
        if self._hits % _SWEEP_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(value)

    def get(self, key: str) -> int:
        """The counter of `key` in its current window (0 if none)."""
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
