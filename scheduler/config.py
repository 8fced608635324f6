"""Worker settings from IVALID_WORKER_* environment variables, read once at start-up."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


@dataclass(frozen=True)
class WorkerSettings:
    """How one worker process runs.

    IVALID_WORKER_NAME          a stable name (default: the host name); it names the
                                scheduler's job table, so a restarted worker finds its state
    IVALID_WORKER_CONCURRENCY   webhook requests in flight (default 16)
    IVALID_WORKER_LEASE         seconds a claimed delivery stays this worker's (default 60;
                                must outlast a send, 10 s, and the queue before it)
    IVALID_WORKER_POLL          seconds between looks at the outbox when idle (default 1)
    IVALID_WORKER_DRAIN         longest run of one dispatch job, in seconds (default 30)
    """

    name: str
    concurrency: int = 16
    lease: timedelta = timedelta(seconds=60)
    poll: float = 1.0
    drain: float = 30.0

    @classmethod
    def from_env(cls) -> WorkerSettings:
        """Read the IVALID_WORKER_* variables."""
        return cls(
            name=os.environ.get("IVALID_WORKER_NAME") or socket.gethostname(),
            concurrency=int(_number("IVALID_WORKER_CONCURRENCY", 16)),
            lease=timedelta(seconds=_number("IVALID_WORKER_LEASE", 60)),
            poll=_number("IVALID_WORKER_POLL", 1.0),
            drain=_number("IVALID_WORKER_DRAIN", 30.0),
        )
