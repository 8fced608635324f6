"""A unique, stable name per running worker, held by a lock for the process's lifetime.

The name keys the worker's own APScheduler job table (APScheduler 3 forbids two schedulers
sharing one job store). Two workers started with the same name do not collide: the second
takes `name_2`, and so on. The lock is a PostgreSQL advisory lock (held by one connection,
released by the server when the process dies, even by kill -9) or, on SQLite, an flock on a
file in the data directory (released by the kernel the same way).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlalchemy import text

from hub.db import Database

MAX_SUFFIX = 64


def slug(name: str) -> str:
    """A name usable in a table name: lower-case letters, digits and underscores."""
    cleaned = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return (cleaned or "worker")[:40]


def _pg_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a worker name."""
    digest = hashlib.sha256(f"ivalid-worker:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim_name(db: Database, data_dir: Path, wanted: str) -> tuple[str, Callable[[], None]]:
    """The first free name among `wanted`, `wanted_2`, ...; returns it and its release."""
    base = slug(wanted)
    for i in range(1, MAX_SUFFIX + 1):
        name = base if i == 1 else f"{base}_{i}"
        release = _try_pg(db, name) if db.dialect == "postgresql" else _try_file(data_dir, name)
        if release is not None:
            return name, release
    raise RuntimeError(f"{MAX_SUFFIX} workers named {base!r} already run")


def _try_pg(db: Database, name: str) -> Callable[[], None] | None:
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _pg_key(name)}).scalar()
    if not got:
        conn.close()
        return None

    def release() -> None:
        """Give the name back."""
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _pg_key(name)})
        conn.close()

    return release


def _try_file(data_dir: Path, name: str) -> Callable[[], None] | None:
    path = data_dir / f"worker-{name}.lock"
    handle: IO[str] = open(path, "a")  # noqa: SIM115 - held open for the process's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None

    def release() -> None:
        """Give the name back."""
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()

    return release
