"""Fixtures for notification tests: a real SMTP server (aiosmtpd) and a fake Twilio API."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import secrets
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "agenda@clim-express.fr"
SMTP_PASSWORD = "pàss:wörd/1"  # non-ASCII and URL-reserved characters on purpose


@dataclass(frozen=True)
class SmtpLogin:
    """The only credentials the test SMTP server accepts."""

    user: str = SMTP_USER
    password: str = SMTP_PASSWORD

    @property
    def url_userinfo(self) -> str:
        """Return ``user:password@`` percent-encoded for an SMTP URL."""
        return f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@"


@pytest.fixture
def smtp_login() -> SmtpLogin:
    """Credentials accepted by ``start_smtp(auth=True)`` servers."""
    return SmtpLogin()


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago (aiosmtpd needs a fixed one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None
    tls: bool


@dataclass
class MailSink:
    """aiosmtpd handler that keeps every message and can refuse recipients."""

    received: list[ReceivedMail] = field(default_factory=list)
    refuse_rcpt: str | None = None  # e.g. "550 5.1.1 Unknown user"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Accept the recipient unless the test asked for a refusal."""
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message."""
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        self.received.append(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=bytes(envelope.original_content or b""),
                login=login,
                # session.ssl is only set by STARTTLS; implicit TLS shows on the transport.
                tls=session.ssl is not None
                or (
                    server.transport is not None
                    and server.transport.get_extra_info("ssl_object") is not None
                ),
            )
        )
        return "250 Message accepted for delivery"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept exactly SMTP_USER / SMTP_PASSWORD."""
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_USER
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@dataclass(frozen=True)
class SelfSigned:
    """A self-signed certificate for localhost / 127.0.0.1, and contexts built on it."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        """TLS context for the SMTP server."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """TLS context for the sender, trusting only this certificate (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.cert_path))


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> SelfSigned:
    """Make a self-signed certificate valid for 127.0.0.1 and localhost."""
    directory = tmp_path_factory.mktemp("smtp-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = SelfSigned(directory / "cert.pem", directory / "key.pem")
    files.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass
class SmtpServer:
    """A running aiosmtpd server and what it received."""

    port: int
    sink: MailSink

    @property
    def received(self) -> list[ReceivedMail]:
        """Messages received so far."""
        return self.sink.received


StartSmtp = Callable[..., SmtpServer]


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """Start aiosmtpd servers on 127.0.0.1 with the given options; stop them afterwards."""
    controllers: list[Controller] = []

    def start(*, auth: bool = False, **options: Any) -> SmtpServer:
        if auth:
            options["authenticator"] = authenticator
        sink = MailSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(port=controller.port, sink=sink)

    yield start
    for controller in controllers:
        controller.stop()


# --- fake Twilio ---------------------------------------------------------------------------

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-9f86d081884c7d65"


@dataclass
class TwilioRequest:
    """One Messages request as the fake Twilio saw it."""

    path: str
    form: dict[str, str]
    authorization: str
    content_type: str


class FakeTwilio(ThreadingHTTPServer):
    """A loopback imitation of Twilio's Messages resource, errors included."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TwilioHandler)
        self.account_sid = ACCOUNT_SID
        self.auth_token = AUTH_TOKEN
        self.requests: list[TwilioRequest] = []
        self.forced: tuple[int, bytes, dict[str, str]] | None = None  # status, body, headers

    @property
    def base_url(self) -> str:
        """Return the base URL to give the provider."""
        return f"http://127.0.0.1:{self.server_address[1]}"


def _twilio_error(status: int, code: int, message: str) -> bytes:
    """Return a Twilio REST error body."""
    return json.dumps(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
    ).encode()


class _TwilioHandler(BaseHTTPRequestHandler):
    """Serves POST /2010-04-01/Accounts/{sid}/Messages.json like Twilio does."""

    server: FakeTwilio

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """Create a Message, or answer the error Twilio would."""
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode("utf-8")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        authorization = self.headers.get("Authorization", "")
        self.server.requests.append(
            TwilioRequest(self.path, form, authorization, self.headers.get("Content-Type", ""))
        )
        if self.server.forced is not None:
            self._answer(*self.server.forced)
            return
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if authorization != expected:
            self._answer(401, _twilio_error(401, 20003, "Authenticate"))
            return
        if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            self._answer(404, _twilio_error(404, 20404, "The requested resource was not found"))
            return
        to = form.get("To", "")
        if not _E164.match(to):
            message = f"The 'To' number {to} is not a valid phone number."
            self._answer(400, _twilio_error(400, 21211, message))
            return
        sid = "SM" + secrets.token_hex(16)
        self._answer(
            201,
            json.dumps(
                {
                    "sid": sid,
                    "account_sid": ACCOUNT_SID,
                    "to": to,
                    "from": form.get("From"),
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": form.get("Body"),
                    "status": "accepted" if "MessagingServiceSid" in form else "queued",
                    "num_segments": "1",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "error_code": None,
                    "error_message": None,
                    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                }
            ).encode(),
        )


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """Run the fake Twilio API on loopback for one test."""
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
