"""Customer e-mails from outbox events, and reminders exactly once (real SMTP: aiosmtpd)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from flask import Flask
from sqlalchemy import select

from hub.clock import ManualClock
from hub.db import get_db, transaction
from hub.models import Account, Appointment, Event, Notification
from hub.services import reminders
from hub.services.dispatch import Dispatcher
from hub.services.notifications import NotificationSender, e164
from tests.dates import paris, workday
from tests.events.webhooks.conftest import RecordingSms, SmtpServer, create_hook
from tests.events.webhooks.receiver import Receiver
from tests.support import Api, Tenant


def _slot(n: int, hour: int = 14) -> datetime:
    """Working day `n` from the pinned anchor (tests/dates.py), at `hour` in Paris, as UTC."""
    return paris(workday(n), hour)


def _book(api: Api, tenant: Tenant, when: datetime, **flags: bool) -> dict[str, object]:
    resp = api.post(
        "/v2/appointments",
        {
            "customer_id": tenant.ids["customer_id"],
            "service_id": tenant.ids["service_id"],
            "scheduled_at": when.isoformat().replace("+00:00", "Z"),
            **flags,
        },
    )
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


def _mails(smtp: SmtpServer) -> list[EmailMessage]:
    return [message_from_bytes(raw, policy=default) for _to, raw in smtp.mailbox.messages]  # type: ignore[misc]


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()  # type: ignore[no-any-return]


def test_notify_customer_sends_french_emails_from_the_outbox(
    app: Flask,
    api: Api,
    tenant: Tenant,
    dispatcher: Dispatcher,
    notifier: NotificationSender,
    smtp_server: SmtpServer,
) -> None:
    when = _slot(7)
    apt = _book(api, tenant, when, notify_customer=True)
    assert notifier.drain() == 0  # nothing is decided in the request
    dispatcher.run_until_idle()
    assert notifier.drain() == 1
    [mail] = _mails(smtp_server)
    assert mail["To"] == "Marie Dupont <marie.dupont@example.com>"
    assert mail["Subject"].startswith("Rendez-vous enregistré : Installation Climatisation le ")
    assert "Bonjour Marie Dupont" in _text(mail) and "14h00" in _text(mail)
    assert mail["From"] == "Tenant A <rdv@clim.test>"

    api.post(f"/v2/appointments/{apt['id']}/confirm")
    api.put(f"/v2/appointments/{apt['id']}", {"notes": "Sonner deux fois"})  # not a move
    moved = _slot(8, hour=10)
    api.post(
        f"/v2/appointments/{apt['id']}/reschedule",
        {"scheduled_at": moved.isoformat().replace("+00:00", "Z")},
    )
    api.delete(f"/v2/appointments/{apt['id']}")
    dispatcher.run_until_idle()
    notifier.drain()
    subjects = [m["Subject"].split(" :")[0] for m in _mails(smtp_server)]
    assert subjects == [
        "Rendez-vous enregistré",
        "Rendez-vous confirmé",
        "Rendez-vous déplacé",
        "Rendez-vous annulé",
    ]
    moved_mail = _mails(smtp_server)[2]
    assert "Ancien créneau" in _text(moved_mail) and "10h00" in _text(moved_mail)


def test_no_email_without_notify_customer(
    app: Flask,
    api: Api,
    tenant: Tenant,
    dispatcher: Dispatcher,
    notifier: NotificationSender,
    smtp_server: SmtpServer,
) -> None:
    _book(api, tenant, _slot(7))
    dispatcher.run_until_idle()
    assert notifier.drain() == 0 and smtp_server.mailbox.messages == []


def test_templates_are_per_account(
    app: Flask,
    api: Api,
    tenant: Tenant,
    dispatcher: Dispatcher,
    notifier: NotificationSender,
    smtp_server: SmtpServer,
) -> None:
    with get_db(app).session() as s, transaction(s):
        account = s.get(Account, tenant.account_id)
        assert account is not None
        account.settings = {
            **(account.settings or {}),
            "notification_templates": {
                "created": {"email": {"subject": "C'est noté, $customer_first_name !"}}
            },
        }
    _book(api, tenant, _slot(7), notify_customer=True)
    dispatcher.run_until_idle()
    notifier.drain()
    [mail] = _mails(smtp_server)
    assert mail["Subject"] == "C'est noté, Marie !"


def _set_hours(app: Flask, tenant: Tenant, hours: float) -> None:
    with get_db(app).session() as s, transaction(s):
        account = s.get(Account, tenant.account_id)
        assert account is not None
        account.settings = {**(account.settings or {}), "reminder_hours_before": hours}


def _clear_demo_reminders(app: Flask, tenant: Tenant) -> None:
    """The demo appointment (tomorrow) asks for reminders too: keep it out of the way."""
    with get_db(app).session() as s, transaction(s):
        for a in s.scalars(select(Appointment).where(Appointment.account_id == tenant.account_id)):
            a.reminder_email = a.reminder_sms = False


def test_a_reminder_goes_out_once_by_email_and_sms_then_the_event(
    app: Flask,
    api: Api,
    tenant: Tenant,
    clock: ManualClock,
    dispatcher: Dispatcher,
    notifier: NotificationSender,
    smtp_server: SmtpServer,
    sms: RecordingSms,
    receiver: Receiver,
) -> None:
    _clear_demo_reminders(app, tenant)
    _set_hours(app, tenant, 48)
    create_hook(api, receiver.url(), ["appointment.reminder"])
    when = _slot(10)
    apt = _book(api, tenant, when, reminder_email=True, reminder_sms=True)
    db = get_db(app)
    clock.set(when - timedelta(hours=48, minutes=1))
    assert reminders.queue_due(db, clock.now()) == 0
    clock.set(when - timedelta(hours=47))
    assert reminders.queue_due(db, clock.now()) == 1
    assert reminders.queue_due(db, clock.now()) == 0  # exactly once
    clock.advance(hours=1)
    assert reminders.queue_due(db, clock.now()) == 0
    assert notifier.drain() == 2
    [mail] = _mails(smtp_server)
    assert mail["Subject"].startswith("Rappel : votre rendez-vous du ")
    [(to, text)] = sms.sent
    assert to == "+33612345678" and text.startswith("Rappel : votre RDV Installation Climatisation")
    dispatcher.run_until_idle()
    [event] = receiver.received()
    assert event.headers["x-ivalid-event"] == "appointment.reminder"
    assert apt["id"].encode() in event.body
    with db.session() as s:
        reminder_events = s.scalars(select(Event).where(Event.type == "appointment.reminder")).all()
        assert len(reminder_events) == 1
        assert reminder_events[0].data["reminder"]["channels"] == ["email", "sms"]


def test_two_workers_claim_a_reminder_once(
    app: Flask,
    api: Api,
    tenant: Tenant,
    clock: ManualClock,
) -> None:
    _clear_demo_reminders(app, tenant)
    for day in (3, 4, 5):
        _book(api, tenant, _slot(day), reminder_email=True)
    _set_hours(app, tenant, 24 * 7)
    clock.set(paris(workday(1), 0))  # all three are within the week ahead
    db = get_db(app)
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        counts.append(reminders.queue_due(db, clock.now()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 3
    with db.session() as s:
        rows = s.scalars(select(Notification).where(Notification.kind == "reminder")).all()
        assert len(rows) == 3 and len({r.appointment_id for r in rows}) == 3


def test_a_reschedule_earns_a_new_reminder_and_a_cancel_drops_a_pending_one(
    app: Flask,
    api: Api,
    tenant: Tenant,
    clock: ManualClock,
    notifier: NotificationSender,
    smtp_server: SmtpServer,
) -> None:
    _clear_demo_reminders(app, tenant)
    apt = _book(api, tenant, _slot(2), reminder_email=True)
    _set_hours(app, tenant, 24 * 7)
    clock.set(paris(workday(1), 0))  # both slots (working days 2 and 3) are due a reminder
    db = get_db(app)
    assert reminders.queue_due(db, clock.now()) == 1
    api.post(
        f"/v2/appointments/{apt['id']}/reschedule",
        {"scheduled_at": _slot(3).isoformat().replace("+00:00", "Z")},
    )
    assert reminders.queue_due(db, clock.now()) == 1
    api.delete(f"/v2/appointments/{apt['id']}")
    assert reminders.queue_due(db, clock.now()) == 0
    assert notifier.drain() == 0  # both pending reminders were dropped with the cancellation
    assert smtp_server.mailbox.messages == []


def test_smtp_down_is_retried_later(
    app: Flask,
    api: Api,
    tenant: Tenant,
    clock: ManualClock,
    dispatcher: Dispatcher,
    notifier: NotificationSender,
    smtp_server: SmtpServer,
) -> None:
    from hub.notify.email import EmailSender, SmtpSettings

    good = notifier.email
    notifier.email = EmailSender(SmtpSettings.from_url("smtp://127.0.0.1:1?timeout=1"))
    _book(api, tenant, _slot(7), notify_customer=True)
    dispatcher.run_until_idle()
    assert notifier.drain() == 1
    with get_db(app).session() as s:
        [row] = s.scalars(select(Notification)).all()
        assert row.status == "pending" and row.attempt_count == 1 and row.error
    notifier.email = good
    assert notifier.drain() == 0  # not due before a minute
    clock.advance(minutes=1, seconds=1)
    assert notifier.drain() == 1 and len(smtp_server.mailbox.messages) == 1


def test_e164() -> None:
    assert e164("06 12 34 56 78") == "+33612345678"
    assert e164("+33 6 12 34 56 78") == "+33612345678"
    assert e164("0033612345678") == "+33612345678"
    assert e164("12") is None and e164(None) is None
