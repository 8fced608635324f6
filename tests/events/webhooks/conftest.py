"""Fixtures of the webhook tests: an app whose allow-list admits loopback, a real receiver,
a manual clock and the delivery engine driven by it, a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from hub.clock import ManualClock
from hub.config import Settings
from hub.db import get_db
from hub.events.http import DeliveryClient
from hub.events.urlcheck import parse_allowlist
from hub.notify.email import EmailSender, SmtpSettings
from hub.notify.sms import SmsResult
from hub.services.dispatch import DispatchConfig, Dispatcher
from hub.services.notifications import NotificationSender
from hub.timeutil import utcnow
from tests.events.webhooks.receiver import Receiver
from tests.support import Api

ALLOWLIST = "127.0.0.1/32,::1,localhost"


@pytest.fixture(scope="session")
def session_app(base_config: dict[str, Any]) -> Iterator[Flask]:
    """The app with IVALID_WEBHOOK_ALLOWLIST admitting loopback receivers."""
    from hub import create_app
    from hub.db import get_db

    app = create_app({**base_config, "webhook_allowlist": ALLOWLIST})
    yield app
    get_db(app).engine.dispose()  # pooled PostgreSQL connections closed, not garbage-collected


@pytest.fixture()
def settings(app: Flask) -> Settings:
    return app.config["IVALID"]  # type: ignore[no-any-return]


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def clock() -> ManualClock:
    """The worker's clock, a minute ahead of the wall clock: rows the API queues (stamped with
    the real time: test pings, manual retries, recoveries) are due at once."""
    return ManualClock(utcnow() + timedelta(minutes=1))


@pytest.fixture()
def make_dispatcher(app: Flask, clock: ManualClock) -> Iterator[Callable[..., Dispatcher]]:
    """Build delivery engines on the test database (closed after the test)."""
    clients: list[DeliveryClient] = []

    def make(
        worker_id: str = "test-worker",
        timeout: float = 3.0,
        allowlist: str = ALLOWLIST,
        lease: float = 60.0,
        concurrency: int = 4,
    ) -> Dispatcher:
        client = DeliveryClient(parse_allowlist(allowlist), timeout=timeout, pool_size=concurrency)
        clients.append(client)
        return Dispatcher(
            get_db(app),
            app.config["IVALID"],
            client,
            worker_id,
            clock,
            DispatchConfig(concurrency=concurrency, lease=timedelta(seconds=lease)),
        )

    yield make
    for c in clients:
        c.close()


@pytest.fixture()
def dispatcher(make_dispatcher: Callable[..., Dispatcher]) -> Dispatcher:
    return make_dispatcher()


def create_hook(
    api: Api, url: str, events: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """Register a webhook through the API; returns its body (with the secret)."""
    resp = api.post("/v2/webhooks", {"url": url, "events": events or ["customer.created"], **extra})
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


def create_customer(api: Api, first_name: str = "Zoé", **extra: Any) -> dict[str, Any]:
    """A customer through the API (records customer.created)."""
    resp = api.post("/v2/customers", {"first_name": first_name, "last_name": "Lefèvre", **extra})
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


# --- SMTP and SMS -------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the aiosmtpd server received."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or b"")))
        return "250 OK"


@dataclass
class SmtpServer:
    """A running aiosmtpd server."""

    port: int
    mailbox: Mailbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(port, mailbox)
    controller.stop()


class RecordingSms:
    """An SMS provider (the hub's provider interface) that keeps what it is given."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> SmsResult:
        self.sent.append((to, body))
        return SmsResult(provider=self.name, message_id=f"sms{len(self.sent)}", status="queued")


@pytest.fixture()
def sms() -> RecordingSms:
    return RecordingSms()


@pytest.fixture()
def notifier(
    app: Flask, clock: ManualClock, smtp_server: SmtpServer, sms: RecordingSms
) -> NotificationSender:
    """The notification sender wired to the test SMTP server and the recording SMS provider."""
    email = EmailSender(SmtpSettings.from_url(smtp_server.url), "Clim Express <rdv@clim.test>")
    return NotificationSender(get_db(app), email, sms, "test-worker", clock)
