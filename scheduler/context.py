"""What the jobs of one worker process share: database, delivery engine, clock, stop flag.

APScheduler stores jobs in the database as references to plain functions, so the functions
cannot carry objects; they find this process's context here instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from hub.clock import Clock
from hub.config import Settings
from hub.db import Database
from hub.services.dispatch import Dispatcher
from hub.services.notifications import NotificationSender
from scheduler.config import WorkerSettings


@dataclass
class WorkerContext:
    """The shared objects of one worker process."""

    settings: Settings
    worker: WorkerSettings
    db: Database
    worker_id: str
    clock: Clock
    dispatcher: Dispatcher
    notifier: NotificationSender
    stop: threading.Event = field(default_factory=threading.Event)


_current: WorkerContext | None = None


def install(context: WorkerContext | None) -> None:
    """Make `context` the one the jobs use (None uninstalls it)."""
    global _current
    _current = context


def current() -> WorkerContext:
    """The context installed by run_worker (or a test)."""
    if _current is None:
        raise RuntimeError("no worker context: jobs run inside `ivalid worker`")
    return _current
