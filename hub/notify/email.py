"""Customer e-mail over SMTP: configuration from one URL, proper MIME, clear failures.

``IVALID_SMTP_URL`` says where and how to send:

* ``smtp://relay.internal:25`` -- plain SMTP, typically a local relay (no credentials);
* ``smtp://user:pass@mail.example.com:587?starttls=1`` -- STARTTLS before ``AUTH``;
* ``smtps://user:pass@mail.example.com`` -- TLS from the first byte (port 465 by default).

User name and password are percent-decoded (``%40`` for ``@``). ``?timeout=20`` changes the
socket timeout (10 s by default). Certificates are verified against the system CAs.
``IVALID_SMTP_FROM`` is the sender, e.g. ``Clim Express <rdv@clim-express.fr>``; a per-message
display name (the account's company name) can replace its name part.

One connection per message: notifications are a trickle, and a fresh connection cannot be a
stale one.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from hub.notify.templates import Message

SMTP_URL_ENV = "IVALID_SMTP_URL"
SMTP_FROM_ENV = "IVALID_SMTP_FROM"
DEFAULT_SMTP_URL = "smtp://localhost:25"
DEFAULT_FROM = "iValid <no-reply@localhost>"
DEFAULT_TIMEOUT = 10.0

Security = Literal["none", "starttls", "tls"]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EmailError(Exception):
    """An e-mail that could not be sent; ``retryable`` says whether trying later may work."""

    def __init__(self, message: str, *, retryable: bool, smtp_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.smtp_code = smtp_code


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to reach the SMTP server."""

    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Parse ``smtp[s]://[user[:pass]@]host[:port][?starttls=1&timeout=10]``."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"invalid SMTP URL: {exc}") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL scheme must be smtp or smtps, not {parts.scheme!r}")
        if not parts.hostname:
            raise ValueError("SMTP URL has no host")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = set(query) - {"starttls", "timeout"}
        if unknown:
            raise ValueError(f"unknown SMTP URL option(s): {', '.join(sorted(unknown))}")
        starttls = query.get("starttls", "0").lower()
        if starttls not in _TRUE | _FALSE:
            raise ValueError(f"starttls must be 1 or 0, not {starttls!r}")
        if parts.scheme == "smtps":
            security: Security = "tls"
        else:
            security = "starttls" if starttls in _TRUE else "none"
        try:
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise ValueError("timeout must be a number of seconds") from None
        default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
        return cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            timeout=timeout,
        )


def _one_line(value: str) -> str:
    """Collapse whitespace so a value can never start a new header line."""
    return " ".join(value.split())


def _address(display_name: str | None, addr_spec: str) -> Address:
    """Build a header address, refusing malformed ones with ValueError."""
    if "@" not in addr_spec or any(c.isspace() for c in addr_spec):
        raise ValueError(f"invalid e-mail address {addr_spec!r}")
    return Address(display_name=_one_line(display_name or ""), addr_spec=addr_spec)


class EmailSender:
    """Builds French notification e-mails and sends them through one SMTP server."""

    def __init__(
        self,
        settings: SmtpSettings,
        sender: str = DEFAULT_FROM,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        name, addr = parseaddr(sender)
        self.sender = _address(name, addr)
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> EmailSender:
        """Build a sender from ``IVALID_SMTP_URL`` and ``IVALID_SMTP_FROM``."""
        env = os.environ if environ is None else environ
        settings = SmtpSettings.from_url(env.get(SMTP_URL_ENV) or DEFAULT_SMTP_URL)
        sender = env.get(SMTP_FROM_ENV) or DEFAULT_FROM
        return cls(settings, sender, ssl_context=ssl_context)

    def build(
        self,
        to: str,
        message: Message,
        *,
        to_name: str | None = None,
        sender_name: str | None = None,
        reply_to: str | None = None,
    ) -> EmailMessage:
        """Return the MIME message: UTF-8 text part, HTML alternative, Message-ID, Date."""
        mail = EmailMessage()
        mail["Subject"] = _one_line(message.subject or "")
        mail["From"] = _address(sender_name or self.sender.display_name, self.sender.addr_spec)
        mail["To"] = _address(to_name, to)
        if reply_to:
            reply_name, reply_addr = parseaddr(reply_to)
            mail["Reply-To"] = _address(reply_name, reply_addr)
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = make_msgid(domain=self.sender.domain or None)
        mail["Content-Language"] = "fr"
        # RFC 3834: tells autoresponders (out-of-office) not to answer a notification.
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text, charset="utf-8")
        if message.html:
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        return mail

    def send(
        self,
        to: str,
        message: Message,
        *,
        to_name: str | None = None,
        sender_name: str | None = None,
        reply_to: str | None = None,
    ) -> str:
        """Send one notification and return its Message-ID; raise EmailError on failure."""
        try:
            mail = self.build(
                to, message, to_name=to_name, sender_name=sender_name, reply_to=reply_to
            )
        except ValueError as exc:
            raise EmailError(str(exc), retryable=False) from exc
        self.send_message(mail)
        return str(mail["Message-ID"])

    def send_message(self, mail: EmailMessage) -> None:
        """Deliver a built message to the SMTP server; raise EmailError on failure."""
        try:
            with self._connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPNotSupportedError as exc:
            raise EmailError(
                f"SMTP server lacks a required feature: {exc}", retryable=False
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise EmailError(
                f"SMTP authentication failed: {exc.smtp_code} {exc.smtp_error!r}",
                retryable=False,
                smtp_code=exc.smtp_code,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise EmailError(
                f"recipient refused: {exc.recipients}",
                retryable=all(400 <= c < 500 for c in codes),
                smtp_code=codes[0] if codes else None,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise EmailError(
                f"SMTP error {exc.smtp_code}: {exc.smtp_error!r}",
                retryable=400 <= exc.smtp_code < 500,
                smtp_code=exc.smtp_code,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnections, refused connections, timeouts, TLS trouble: try again later.
            raise EmailError(f"cannot reach the SMTP server: {exc}", retryable=True) from exc

    def _connect(self) -> smtplib.SMTP:
        """Open an SMTP session: TLS as configured, then AUTH if credentials are set."""
        s = self.settings
        context = self._ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, local_hostname=self._local_hostname, timeout=s.timeout,
                context=context,
            )  # fmt: skip
        else:
            smtp = smtplib.SMTP(
                s.host, s.port, local_hostname=self._local_hostname, timeout=s.timeout
            )
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()  # capabilities change once encrypted (AUTH often appears only now)
            if s.username is not None:
                _login(smtp, s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """Authenticate, with UTF-8 credentials too (smtplib only encodes them as ASCII)."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    # SASL PLAIN (RFC 4616) carries UTF-8; smtplib would raise UnicodeEncodeError instead.
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError("non-ASCII credentials need AUTH PLAIN")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)
