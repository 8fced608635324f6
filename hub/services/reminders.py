"""Appointment reminders: e-mail and/or SMS, `reminder_hours_before` the appointment, once.

The claim is the guarantee: in one transaction a worker locks due appointments (`SKIP
LOCKED` on PostgreSQL, the single writer on SQLite), sets `reminder_sent_at` and writes the
messages to the notifications outbox. A second worker cannot claim the same appointment, and
a reschedule clears `reminder_sent_at` (the new time gets its own reminder). The messages are
then sent with retries by the notification sender; the first one that goes out emits
`appointment.reminder`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.db import Database, transaction
from hub.ids import new_id
from hub.models import Account, Appointment
from hub.models.appointment import ACTIVE_STATUSES
from hub.services import notifications

log = logging.getLogger(__name__)

SETTING = "reminder_hours_before"
DEFAULT_HOURS = 24.0
MAX_HOURS = 24.0 * 14


def hours_before(settings: dict[str, Any] | None) -> float:
    """An account's `reminder_hours_before` (24 by default; bad values fall back to it)."""
    value = (settings or {}).get(SETTING, DEFAULT_HOURS)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return DEFAULT_HOURS
    return float(value) if 0 < value <= MAX_HOURS else DEFAULT_HOURS


def _queue(session: Session, account: Account, a: Appointment, now: datetime) -> int:
    """Write the reminder messages of one appointment; returns how many."""
    data = rep.appointment_event(a)
    customer = a.customer
    group = new_id("rmd")
    count = 0
    targets = []
    if a.reminder_email and customer.email:
        targets.append(("email", customer.email))
    phone = notifications.e164(customer.phone)
    if a.reminder_sms and phone:
        targets.append(("sms", phone))
    for channel, recipient in targets:
        message = notifications.render_for(account, customer, "reminder", channel, data)
        session.add(
            notifications.notification_row(
                a.account_id,
                a.environment,
                a.id,
                "reminder",
                channel,
                recipient,
                message,
                now,
                group_id=group,
                recipient_name=customer.name,
                sender_name=account.name,
            )
        )
        count += 1
    return count


def queue_due(db: Database, now: datetime, limit: int = 200) -> int:
    """Claim the appointments whose reminder is due and queue their messages; returns how many.

    Due: active, a reminder asked for and not yet sent, starting after `now` and no more than
    the account's `reminder_hours_before` from now.
    """
    ap = Appointment
    session = db.session()
    try:
        with transaction(session):
            notifications.cancel_for_inactive(session)
            candidates = session.execute(
                select(ap.id, ap.account_id, ap.scheduled_at)
                .where(
                    ap.status.in_(ACTIVE_STATUSES),
                    ap.reminder_sent_at.is_(None),
                    or_(ap.reminder_email.is_(True), ap.reminder_sms.is_(True)),
                    ap.scheduled_at > now,
                    ap.scheduled_at <= now + timedelta(hours=MAX_HOURS),
                )
                .order_by(ap.scheduled_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not candidates:
                return 0
            accounts = {
                acc.id: acc
                for acc in session.scalars(
                    select(Account).where(Account.id.in_({c.account_id for c in candidates}))
                )
            }
            claimed = 0
            for c in candidates:
                account = accounts.get(c.account_id)
                if account is None:
                    continue
                if c.scheduled_at > now + timedelta(hours=hours_before(account.settings)):
                    continue
                a = session.get(ap, c.id)
                if a is None:
                    continue
                a.reminder_sent_at = now
                _queue(session, account, a, now)
                claimed += 1
            return claimed
    finally:
        session.close()
