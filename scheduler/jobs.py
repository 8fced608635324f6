"""The worker's jobs: thin functions (APScheduler stores references to them) calling services."""

from __future__ import annotations

import logging

from hub.services import reminders as reminder_service
from hub.services import retention, sandbox
from scheduler.context import current

log = logging.getLogger(__name__)


def dispatch() -> None:
    """Fan the outbox out and deliver webhooks until nothing is due (bounded in time)."""
    ctx = current()
    ctx.dispatcher.drain(ctx.stop, max_seconds=ctx.worker.drain)


def notify() -> None:
    """Send due customer notifications (e-mail, SMS)."""
    ctx = current()
    if not ctx.stop.is_set():
        ctx.notifier.drain()


def reminders() -> None:
    """Queue the reminders that are due, then send them."""
    ctx = current()
    queued = reminder_service.queue_due(ctx.db, ctx.clock.now())
    if queued:
        log.info("%d appointment reminder(s) queued", queued)
        ctx.notifier.drain()


def sandbox_reset() -> None:
    """Put every sandbox last reset 24 h ago back to the demo data."""
    ctx = current()
    count = sandbox.reset_due(ctx.db, ctx.clock.now())
    if count:
        log.info("%d sandbox(es) reset", count)


def cleanup() -> None:
    """Delete old events, logs, notifications; expired idempotency keys and OAuth tokens."""
    ctx = current()
    now = ctx.clock.now()
    removed = retention.purge(ctx.db, now)
    removed.update(retention.purge_credentials(ctx.db, ctx.settings, now))
    if any(removed.values()):
        log.info("clean-up: %s", removed)
