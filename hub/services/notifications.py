"""Customer notifications: decided from outbox events and reminders, sent by the worker.

`notify_customer` on an appointment means an e-mail to the customer when it is created,
confirmed, rescheduled or cancelled. The decision is taken by an outbox consumer (in the
worker's fan-out transaction, never in the API request): it renders the account's French
template and writes a `notifications` row. Sending is a separate step with leases and
retries, like webhook deliveries, so a crash or an SMTP outage loses nothing.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.clock import SYSTEM_CLOCK, Clock
from hub.config import Settings
from hub.db import Database, transaction
from hub.events.fanout import register_consumer
from hub.ids import new_id
from hub.models import Account, Appointment, Customer, Event, Notification
from hub.notify.email import SMTP_FROM_ENV, EmailError, EmailSender, SmtpSettings
from hub.notify.sms import SmsError, SmsProvider, sms_provider_from_env
from hub.notify.templates import Message, TemplateError, appointment_context, render
from hub.services import events
from hub.timeutil import parse_datetime

log = logging.getLogger(__name__)

KIND_BY_EVENT = {
    "appointment.created": "created",
    "appointment.confirmed": "confirmed",
    "appointment.cancelled": "cancelled",
    "appointment.updated": "rescheduled",  # only when the time changed
}
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
TEMPLATES_SETTING = "notification_templates"


def e164(phone: str | None) -> str | None:
    """A phone number in E.164 (French national numbers get +33), or None if unusable."""
    if not phone:
        return None
    digits = re.sub(r"[\s.()-]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif re.fullmatch(r"0[1-9][0-9]{8}", digits):
        digits = "+33" + digits[1:]
    return digits if re.fullmatch(r"\+[1-9][0-9]{6,14}", digits) else None


def _address(data: dict[str, Any]) -> str | None:
    loc = data.get("location") or {}
    parts = [
        loc.get("address"),
        " ".join(p for p in (loc.get("postal_code"), loc.get("city")) if p),
    ]
    text = ", ".join(p for p in parts if p)
    return text or None


def render_for(
    account: Account,
    customer: Customer,
    kind: str,
    channel: str,
    data: dict[str, Any],
    previous_scheduled_at: datetime | None = None,
) -> Message:
    """Render one notification from an appointment's event data, in the account's words."""
    technician = data.get("technician") or {}
    context = appointment_context(
        customer_name=customer.name,
        customer_first_name=customer.first_name,
        service_name=(data.get("service") or {}).get("name", ""),
        scheduled_at=parse_datetime(data["scheduled_at"]),
        timezone=account.timezone or "Europe/Paris",
        technician_name=technician.get("name"),
        address=_address(data),
        company_name=account.name,
        duration_minutes=data.get("duration"),
        previous_scheduled_at=previous_scheduled_at,
    )
    overrides = (account.settings or {}).get(TEMPLATES_SETTING)
    try:
        return render(kind, channel, context, overrides)
    except TemplateError:
        # A broken override must not cost the customer the message: fall back to ours.
        log.warning("account %s: bad %s/%s template, default used", account.id, kind, channel)
        return render(kind, channel, context)


def notification_row(
    event_account: str,
    environment: str,
    appointment_id: str | None,
    kind: str,
    channel: str,
    recipient: str,
    message: Message,
    now: datetime,
    **extra: Any,
) -> Notification:
    """A pending notification, due now."""
    return Notification(
        id=new_id("ntf"),
        account_id=event_account,
        environment=environment,
        appointment_id=appointment_id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=message.subject,
        body=message.text,
        html=message.html,
        status="pending",
        attempt_count=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
        **extra,
    )


def _previous_time(session: Session, event: Event) -> datetime | None:
    """The appointment's time in the event before this one (None if there is none)."""
    prev = session.scalars(
        select(Event)
        .where(
            Event.object_id == event.object_id,
            Event.account_id == event.account_id,
            Event.seq < event.seq,
            Event.type.like("appointment.%"),
        )
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    if prev is None or not (prev.data or {}).get("scheduled_at"):
        return None
    return parse_datetime(prev.data["scheduled_at"])


def on_event(session: Session, event: Event) -> None:
    """The outbox consumer: queue the customer's e-mail when `notify_customer` asks for one."""
    data = event.data or {}
    kind = KIND_BY_EVENT.get(event.type)
    if kind is None or not data.get("notify_customer") or not data.get("scheduled_at"):
        return
    previous = None
    if kind == "rescheduled":
        previous = _previous_time(session, event)
        if previous is None or previous == parse_datetime(data["scheduled_at"]):
            return  # an update that did not move the appointment: nothing to tell
    customer = session.get(Customer, (data.get("customer") or {}).get("id", ""))
    account = session.get(Account, event.account_id)
    if customer is None or account is None or not customer.email:
        return
    message = render_for(account, customer, kind, "email", data, previous)
    appointment_id = data.get("id")
    exists = session.get(Appointment, appointment_id) is not None if appointment_id else False
    session.add(
        notification_row(
            event.account_id,
            event.environment,
            appointment_id if exists else None,
            kind,
            "email",
            customer.email,
            message,
            event.dispatched_at or event.created_at,
            event_id=event.id,
            recipient_name=customer.name,
            sender_name=account.name,
        )
    )


def register() -> None:
    """Register the consumer with the fan-out (idempotent)."""
    register_consumer("customer-notifications", on_event, types=KIND_BY_EVENT)


register()


class _LogEmailSender:
    """Used when no SMTP server is configured (development): the e-mail goes to the log."""

    def send(self, to: str, message: Message, **_: Any) -> str:
        """Write the e-mail to the log."""
        log.info("e-mail to %s: %s\n%s", to, message.subject, message.text)
        return "logged"


def email_sender_from(settings: Settings) -> EmailSender | _LogEmailSender:
    """The SMTP sender of IVALID_SMTP_URL (and IVALID_SMTP_FROM); the log without a URL."""
    if not settings.smtp_url:
        return _LogEmailSender()
    sender = os.environ.get(SMTP_FROM_ENV)
    smtp = SmtpSettings.from_url(settings.smtp_url)
    return EmailSender(smtp, sender) if sender else EmailSender(smtp)


@dataclass(frozen=True)
class _Sent:
    """What happened to one notification."""

    id: str
    ok: bool
    provider_id: str | None = None
    error: str | None = None
    retryable: bool = False


@dataclass
class NotificationSender:
    """Claims due notifications under a lease, sends them, records the outcome."""

    db: Database
    email: EmailSender | _LogEmailSender
    sms: SmsProvider
    worker_id: str
    clock: Clock = SYSTEM_CLOCK
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20

    @classmethod
    def from_settings(
        cls, db: Database, settings: Settings, worker_id: str, clock: Clock = SYSTEM_CLOCK
    ) -> NotificationSender:
        """A sender wired to the configured SMTP server and SMS provider."""
        return cls(db, email_sender_from(settings), sms_provider_from_env(), worker_id, clock)

    def claim(self) -> list[Notification]:
        """Take a batch of due notifications (skipping rows other workers hold)."""
        now = self.clock.now()
        n = Notification
        session = self.db.session()
        try:
            with transaction(session):
                rows = list(
                    session.scalars(
                        select(n)
                        .where(
                            n.status == "pending",
                            n.next_attempt_at <= now,
                            or_(n.lease_until.is_(None), n.lease_until < now),
                        )
                        .order_by(n.next_attempt_at)
                        .limit(self.batch)
                        .with_for_update(skip_locked=True)
                    )
                )
                for row in rows:
                    row.lease_until = now + self.lease
                    row.claimed_by = self.worker_id
                return rows
        finally:
            session.close()

    def _send_one(self, row: Notification) -> _Sent:
        """Send one message; never raises."""
        try:
            if row.channel == "sms":
                result = self.sms.send(row.recipient, row.body)
                return _Sent(row.id, True, result.message_id)
            message = Message(subject=row.subject, text=row.body, html=row.html)
            message_id = self.email.send(
                row.recipient, message, to_name=row.recipient_name, sender_name=row.sender_name
            )
            return _Sent(row.id, True, message_id)
        except (EmailError, SmsError) as exc:
            return _Sent(row.id, False, error=str(exc)[:1000], retryable=exc.retryable)
        except Exception as exc:
            log.exception("notification %s: unexpected error", row.id)
            return _Sent(row.id, False, error=str(exc)[:1000], retryable=True)

    def record(self, results: Sequence[_Sent]) -> None:
        """Store outcomes; a reminder's first success emits `appointment.reminder`."""
        now = self.clock.now()
        session = self.db.session()
        try:
            with transaction(session):
                for sent in results:
                    row = session.get(Notification, sent.id, with_for_update=True)
                    if row is None or row.claimed_by != self.worker_id:
                        continue
                    row.attempt_count += 1
                    row.lease_until, row.claimed_by, row.updated_at = None, None, now
                    if sent.ok:
                        row.status, row.sent_at, row.provider_id = "sent", now, sent.provider_id
                        row.next_attempt_at, row.error = None, None
                        if row.kind == "reminder":
                            self._announce_reminder(session, row)
                        continue
                    row.error = sent.error
                    if sent.retryable and row.attempt_count <= len(RETRY_DELAYS):
                        row.next_attempt_at = now + RETRY_DELAYS[row.attempt_count - 1]
                    else:
                        row.status, row.next_attempt_at = "failed", None
                        log.warning("notification %s failed: %s", row.id, sent.error)
        finally:
            session.close()

    def _announce_reminder(self, session: Session, row: Notification) -> None:
        """Emit `appointment.reminder` once per reminder, whichever channel succeeds first."""
        if row.appointment_id is None:
            return
        # The appointment's row lock orders two workers finishing the e-mail and the SMS.
        appointment = session.get(
            Appointment, row.appointment_id, with_for_update={"of": Appointment}
        )
        if appointment is None:
            return
        already = session.scalar(
            select(Notification.id).where(
                Notification.group_id == row.group_id,
                Notification.status == "sent",
                Notification.id != row.id,
            )
        )
        if already is not None:
            return
        data = rep.appointment_event(appointment)
        data["reminder"] = {"channels": self._channels(session, row.group_id)}
        events.record(
            session, appointment.account_id, appointment.environment, "appointment.reminder", data
        )

    @staticmethod
    def _channels(session: Session, group_id: str | None) -> list[str]:
        return sorted(
            set(
                session.scalars(
                    select(Notification.channel).where(Notification.group_id == group_id)
                )
            )
        )

    def drain(self, max_batches: int = 50) -> int:
        """Send every due notification (a bounded number of batches); returns how many."""
        done = 0
        for _ in range(max_batches):
            rows = self.claim()
            if not rows:
                break
            self.record([self._send_one(r) for r in rows])
            done += len(rows)
        return done


def cancel_for_inactive(session: Session) -> None:
    """Drop pending reminders of appointments cancelled since (nothing to remind)."""
    session.execute(
        update(Notification)
        .where(
            Notification.status == "pending",
            Notification.kind == "reminder",
            Notification.appointment_id.in_(
                select(Appointment.id).where(Appointment.status.in_(("cancelled", "completed")))
            ),
        )
        .values(status="failed", error="appointment no longer active", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
