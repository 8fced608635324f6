"""`ivalid worker`: one APScheduler per process, its job store in the database.

Each worker process runs its own BackgroundScheduler whose SQLAlchemyJobStore lives in the
hub's database, in a table named after the worker (`ivalid_scheduler_<name>`): APScheduler 3
forbids sharing one job store between schedulers, and a per-name table still survives
restarts. Jobs have fixed ids, are replaced at start-up, coalesce missed runs and never
overlap themselves (max_instances=1). Several workers side by side are safe because the work
itself is claimed with row locks and leases (see hub/services/dispatch.py), not because of the
scheduler.

Jobs: dispatch (every IVALID_WORKER_POLL seconds, draining while there is work), notify
(2 s), reminders (1 min), sandbox reset (hourly check, each sandbox every 24 h), clean-up
(hourly). SIGTERM/SIGINT stop claiming, finish the requests in flight, record them, exit.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
from datetime import UTC, datetime
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from hub.clock import SYSTEM_CLOCK
from hub.config import Settings
from hub.db import Database, make_engine
from hub.events.http import DeliveryClient
from hub.services.dispatch import DispatchConfig, Dispatcher
from hub.services.notifications import NotificationSender
from hub.services.webhooks import allowlist
from scheduler.config import WorkerSettings
from scheduler.context import WorkerContext, install
from scheduler.identity import claim_name
from scheduler.payment_jobs import PAYMENT_JOBS
from scheduler.sync_jobs import SYNC_JOBS

log = logging.getLogger("ivalid.worker")

# (id, function reference, interval in seconds or None for the poll interval, run at start)
JOBS: tuple[tuple[str, str, float | None, bool], ...] = (
    ("dispatch", "scheduler.jobs:dispatch", None, True),
    ("notify", "scheduler.jobs:notify", 2.0, True),
    ("reminders", "scheduler.jobs:reminders", 60.0, True),
    ("sandbox_reset", "scheduler.jobs:sandbox_reset", 3600.0, True),
    ("cleanup", "scheduler.jobs:cleanup", 3600.0, True),
)
JOBS += SYNC_JOBS  # integrations: syncs, push channels (scheduler/sync_jobs.py)
JOBS += PAYMENT_JOBS  # Stripe: sessions, refunds, Stripe's events (scheduler/payment_jobs.py)


def build_context(
    settings: Settings, worker: WorkerSettings, db: Database, name: str
) -> WorkerContext:
    """The objects the jobs of this process share."""
    worker_id = f"{name}:{os.getpid()}:{secrets.token_hex(3)}"
    client = DeliveryClient(allowlist(settings.webhook_allowlist), pool_size=worker.concurrency)
    dispatcher = Dispatcher(
        db,
        settings,
        client,
        worker_id,
        SYSTEM_CLOCK,
        DispatchConfig(concurrency=worker.concurrency, lease=worker.lease, linger=worker.drain),
    )
    notifier = NotificationSender.from_settings(db, settings, worker_id, SYSTEM_CLOCK)
    return WorkerContext(settings, worker, db, worker_id, SYSTEM_CLOCK, dispatcher, notifier)


def build_scheduler(settings: Settings, worker: WorkerSettings, name: str) -> BackgroundScheduler:
    """A scheduler with this worker's job store and the hub's jobs."""
    store = SQLAlchemyJobStore(
        engine=make_engine(settings.database_url), tablename=f"ivalid_scheduler_{name}"
    )
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(len(JOBS) + 1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        timezone=UTC,
    )
    now = datetime.now(UTC)
    for job_id, func, interval, at_start in JOBS:
        scheduler.add_job(
            func,
            "interval",
            seconds=interval or worker.poll,
            id=job_id,
            name=job_id,
            replace_existing=True,
            next_run_time=now if at_start else None,
        )
    return scheduler


def _quiet_scheduler_logs() -> None:
    # Every run of the 1 s dispatch job would log twice at INFO, and "skipped: maximum number
    # of running instances reached" is the normal case while a long drain runs.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def run_worker() -> None:
    """Run the worker until SIGTERM or SIGINT."""
    logging.basicConfig(
        level=os.environ.get("IVALID_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _quiet_scheduler_logs()
    settings = Settings.from_env()
    worker = WorkerSettings.from_env()
    db = Database(settings.database_url, settings=settings)
    name, release = claim_name(db, settings.data_dir, worker.name)
    context = build_context(settings, worker, db, name)
    install(context)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the deliveries in flight", signum)
        context.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler = build_scheduler(settings, worker, name)
    scheduler.start()
    log.info(
        "worker %s started (%s, concurrency %d)", context.worker_id, db.dialect, worker.concurrency
    )
    try:
        while not context.stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        context.dispatcher.client.close()
        install(None)
        release()
        db.engine.dispose()
        log.info("worker %s stopped", context.worker_id)
