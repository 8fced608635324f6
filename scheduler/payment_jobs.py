"""The worker's payment jobs: Checkout Sessions and refunds due, then Stripe's events.

Thin: they build this process's PaymentsRuntime from the WorkerContext and call the
services. `PAYMENT_JOBS` is appended to the runner's job table.
"""

from __future__ import annotations

import logging

from hub.services import payments_worker, stripe_state
from hub.services.payments_runtime import PaymentsRuntime
from scheduler.context import WorkerContext, current

log = logging.getLogger(__name__)

# (id, function reference, interval in seconds, run at start) — the runner's JOBS format.
PAYMENT_JOBS: tuple[tuple[str, str, float | None, bool], ...] = (
    ("payments", "scheduler.payment_jobs:run", 2.0, True),
)


def runtime(ctx: WorkerContext) -> PaymentsRuntime:
    """The payments runtime of a worker context."""
    return PaymentsRuntime(db=ctx.db, settings=ctx.settings, clock=ctx.clock)


def run() -> None:
    """Create due sessions and refunds, then handle Stripe's recorded events (bounded)."""
    ctx = current()
    rt = runtime(ctx)
    for _ in range(10):
        if ctx.stop.is_set():
            return
        worked = payments_worker.run_due(rt, limit=20)
        handled = stripe_state.process_events(rt, limit=50)
        if not worked and not handled:
            return
