"""The worker's integration jobs: run due syncs, maintain push channels, purge OAuth states.

Thin: they find this process's SyncRuntime (built once from the WorkerContext) and call
hub.integrations. `SYNC_JOBS` is appended to the runner's job table. The push consumer is
registered by the outbox fan-out itself (hub.events.fanout.CONSUMER_MODULES), not by importing
this module.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import delete

from hub.db import transaction
from hub.integrations import channels, engine
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationOAuthState
from hub.services.integration_inbound import local_services
from scheduler.context import WorkerContext, current

log = logging.getLogger(__name__)

# (id, function reference, interval in seconds, run at start) — the runner's JOBS format.
SYNC_JOBS: tuple[tuple[str, str, float | None, bool], ...] = (
    ("integrations_sync", "scheduler.sync_jobs:sync", 2.0, True),
    ("integrations_channels", "scheduler.sync_jobs:renew_channels", 60.0, True),
    ("integrations_cleanup", "scheduler.sync_jobs:purge_states", 3600.0, False),
)

_lock = threading.Lock()
_runtimes: dict[int, SyncRuntime] = {}


def runtime(ctx: WorkerContext | None = None) -> SyncRuntime:
    """The SyncRuntime of this worker context (tests may adjust its hooks)."""
    ctx = ctx or current()
    with _lock:
        rt = _runtimes.get(id(ctx))
        if rt is None or rt.db is not ctx.db:
            rt = _runtimes[id(ctx)] = SyncRuntime(
                db=ctx.db,
                settings=ctx.settings,
                clock=ctx.clock,
                worker_id=ctx.worker_id,
                local=local_services(),
            )
        return rt


def sync() -> None:
    """Run every connection with a pull due or appointments to push."""
    ctx = current()
    if ctx.stop.is_set():
        return
    rt = runtime(ctx)
    for _ in range(10):  # drain, but let the scheduler breathe
        if not engine.run_due(rt, limit=20, stop=ctx.stop) or ctx.stop.is_set():
            return


def renew_channels() -> None:
    """Open, renew (a day before expiry) and stop push channels."""
    ctx = current()
    if not ctx.stop.is_set():
        count = channels.renew_due(runtime(ctx))
        if count:
            log.info("push channels maintained for %d connection(s)", count)


def purge_states() -> None:
    """Delete expired OAuth states (consent pages never finished)."""
    rt = runtime()
    with rt.db.session() as session, transaction(session):
        session.execute(
            delete(IntegrationOAuthState).where(IntegrationOAuthState.expires_at < rt.clock.now())
        )
