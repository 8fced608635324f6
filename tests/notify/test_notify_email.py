"""E-mail notifications sent to a real SMTP server (aiosmtpd on loopback) and read back."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import pytest

from hub.notify.email import EmailError, EmailSender, SmtpSettings
from hub.notify.templates import Message, appointment_context, render

if TYPE_CHECKING:
    from tests.notify.conftest import ReceivedMail, SelfSigned, SmtpLogin, StartSmtp

CONTEXT = appointment_context(
    customer_name="Zoé Lefèvre",
    customer_first_name="Zoé",
    service_name="Entretien chaudière",
    scheduled_at=datetime(2025, 1, 20, 9, 0, tzinfo=UTC),
    timezone="Europe/Paris",
    technician_name="Jérôme Müller",
    address="15 rue des Lilas, 75001 Paris",
    company_name="Chauffage Éclair",
)
MESSAGE = render("confirmed", "email", CONTEXT)


def parse(received: ReceivedMail) -> EmailMessage:
    """Parse the bytes the server received with the modern e-mail policy."""
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_plain_smtp_delivers_a_proper_french_email(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    sender = EmailSender(
        SmtpSettings.from_url(f"smtp://127.0.0.1:{server.port}"),
        "Agenda <agenda@clim-express.fr>",
    )
    message_id = sender.send(
        "zoe@example.com", MESSAGE, to_name="Zoé Lefèvre", sender_name="Chauffage Éclair"
    )

    [received] = server.received
    assert received.mail_from == "agenda@clim-express.fr"
    assert received.rcpt_tos == ["zoe@example.com"]
    mail = parse(received)
    assert mail["Subject"] == "Rendez-vous confirmé : Entretien chaudière le lundi 20 janvier 2025"
    assert mail["From"].addresses[0].display_name == "Chauffage Éclair"
    assert mail["From"].addresses[0].addr_spec == "agenda@clim-express.fr"
    assert mail["To"].addresses[0].display_name == "Zoé Lefèvre"
    assert mail["Message-ID"] == message_id
    assert message_id.endswith("@clim-express.fr>")
    sent_at = parsedate_to_datetime(mail["Date"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"

    text_part = mail.get_body(preferencelist=("plain",))
    html_part = mail.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content_charset() == "utf-8"
    text = text_part.get_content()
    assert "Bonjour Zoé Lefèvre," in text
    assert "lundi 20 janvier 2025 à 10h00" in text  # 09:00 UTC is 10h00 in Paris in winter
    assert "Technicien : Jérôme Müller" in text
    html = html_part.get_content()
    assert '<html lang="fr">' in html and "Jérôme Müller" in html
    # The raw message is 7-bit clean: any relay can carry it.
    assert all(b < 128 for b in received.content)


def test_html_escapes_customer_supplied_values(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    context = {**CONTEXT, "customer_name": "<script>alert(1)</script>"}
    sender = EmailSender(SmtpSettings("127.0.0.1", server.port), "rdv@example.com")
    sender.send("zoe@example.com", render("created", "email", context))
    html_part = parse(server.received[0]).get_body(preferencelist=("html",))
    assert html_part is not None
    assert "&lt;script&gt;" in html_part.get_content()
    assert "<script>" not in html_part.get_content()


def test_header_values_cannot_inject_headers(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    sender = EmailSender(SmtpSettings("127.0.0.1", server.port), "rdv@example.com")
    message = Message(subject="Bonjour\r\nBcc: victim@example.com", text="Texte", html=None)
    sender.send("zoe@example.com", message, to_name="Zoé\nBcc: x@example.com")
    [received] = server.received
    mail = parse(received)
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Bonjour Bcc: victim@example.com"
    assert received.rcpt_tos == ["zoe@example.com"]
    assert mail.get_content_type() == "text/plain"


def test_starttls_then_auth(
    start_smtp: StartSmtp, self_signed: SelfSigned, smtp_login: SmtpLogin
) -> None:
    server = start_smtp(tls_context=self_signed.server_context(), require_starttls=True, auth=True)
    url = f"smtp://{smtp_login.url_userinfo}127.0.0.1:{server.port}?starttls=1"
    sender = EmailSender(
        SmtpSettings.from_url(url), "rdv@example.com", ssl_context=self_signed.client_context()
    )
    sender.send("zoe@example.com", MESSAGE)
    [received] = server.received
    assert received.login == smtp_login.user
    assert received.tls


def test_implicit_tls_smtps(
    start_smtp: StartSmtp, self_signed: SelfSigned, smtp_login: SmtpLogin
) -> None:
    # aiosmtpd only offers AUTH on implicit TLS with auth_require_tls off: the socket is TLS
    # from the first byte, which aiosmtpd does not track as "TLS" for that check.
    server = start_smtp(ssl_context=self_signed.server_context(), auth=True, auth_require_tls=False)
    url = f"smtps://{smtp_login.url_userinfo}127.0.0.1:{server.port}"
    sender = EmailSender(
        SmtpSettings.from_url(url), "rdv@example.com", ssl_context=self_signed.client_context()
    )
    sender.send("zoe@example.com", MESSAGE)
    [received] = server.received
    assert received.login == smtp_login.user
    assert received.tls


def test_untrusted_certificate_is_refused(start_smtp: StartSmtp, self_signed: SelfSigned) -> None:
    server = start_smtp(tls_context=self_signed.server_context(), require_starttls=True)
    sender = EmailSender(
        SmtpSettings.from_url(f"smtp://127.0.0.1:{server.port}?starttls=1"), "rdv@example.com"
    )  # system CAs only: our self-signed certificate is unknown
    with pytest.raises(EmailError) as caught:
        sender.send("zoe@example.com", MESSAGE)
    assert "certificate" in str(caught.value).lower()
    assert server.received == []


def test_wrong_password_is_not_retryable(
    start_smtp: StartSmtp, self_signed: SelfSigned, smtp_login: SmtpLogin
) -> None:
    server = start_smtp(tls_context=self_signed.server_context(), require_starttls=True, auth=True)
    wrong = dataclasses.replace(smtp_login, password="wrong").url_userinfo
    sender = EmailSender(
        SmtpSettings.from_url(f"smtp://{wrong}127.0.0.1:{server.port}?starttls=1"),
        "rdv@example.com",
        ssl_context=self_signed.client_context(),
    )
    with pytest.raises(EmailError) as caught:
        sender.send("zoe@example.com", MESSAGE)
    assert (caught.value.retryable, caught.value.smtp_code) == (False, 535)
    assert server.received == []


def test_starttls_required_but_not_offered(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    sender = EmailSender(
        SmtpSettings.from_url(f"smtp://127.0.0.1:{server.port}?starttls=1"), "rdv@example.com"
    )
    with pytest.raises(EmailError) as caught:
        sender.send("zoe@example.com", MESSAGE)
    assert caught.value.retryable is False
    assert server.received == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        pytest.param("550 5.1.1 Unknown user", False, id="permanent"),
        pytest.param("450 4.2.1 Mailbox busy", True, id="temporary"),
    ],
)
def test_refused_recipient(start_smtp: StartSmtp, reply: str, retryable: bool) -> None:
    server = start_smtp()
    server.sink.refuse_rcpt = reply
    sender = EmailSender(SmtpSettings("127.0.0.1", server.port), "rdv@example.com")
    with pytest.raises(EmailError) as caught:
        sender.send("nobody@example.com", MESSAGE)
    assert caught.value.retryable is retryable
    assert caught.value.smtp_code == int(reply[:3])


def test_unreachable_server_is_retryable(unused_port: int) -> None:
    sender = EmailSender(SmtpSettings("127.0.0.1", unused_port, timeout=2), "rdv@example.com")
    with pytest.raises(EmailError) as caught:
        sender.send("zoe@example.com", MESSAGE)
    assert caught.value.retryable is True


@pytest.mark.parametrize("address", ["not-an-address", "a b@example.com", ""])
def test_invalid_recipient_is_refused_before_connecting(address: str) -> None:
    sender = EmailSender(SmtpSettings("127.0.0.1", 9), "rdv@example.com")
    with pytest.raises(EmailError) as caught:
        sender.send(address, MESSAGE)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("smtp://mail.example.com", SmtpSettings("mail.example.com", 25),
                     id="plain-default-port"),
        pytest.param("smtp://relay:2525", SmtpSettings("relay", 2525), id="plain-port"),
        pytest.param("smtp://u:p@mail.example.com?starttls=1",
                     SmtpSettings("mail.example.com", 587, "starttls", "u", "p"),
                     id="starttls-default-port"),
        pytest.param("smtp://u@mail.example.com:25?starttls=true&timeout=3",
                     SmtpSettings("mail.example.com", 25, "starttls", "u", None, 3.0),
                     id="starttls-port-timeout"),
        pytest.param("smtps://u%40x.fr:p%C3%A0ss%3A@mail.example.com",
                     SmtpSettings("mail.example.com", 465, "tls", "u@x.fr", "pàss:"),
                     id="smtps-percent-decoded"),
        pytest.param("smtp://mail.example.com?starttls=0",
                     SmtpSettings("mail.example.com", 25), id="starttls-off"),
    ],
)  # fmt: skip
def test_smtp_url_parsing(url: str, expected: SmtpSettings) -> None:
    assert SmtpSettings.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("http://mail.example.com", "scheme", id="wrong-scheme"),
        pytest.param("smtp://", "no host", id="no-host"),
        pytest.param("smtp://mail.example.com?tls=1", "unknown SMTP URL option", id="typo"),
        pytest.param("smtp://mail.example.com?starttls=maybe", "starttls", id="bad-flag"),
        pytest.param("smtp://mail.example.com?timeout=soon", "timeout", id="bad-timeout"),
        pytest.param("smtp://mail.example.com:99999", "invalid SMTP URL", id="bad-port"),
    ],
)
def test_smtp_url_errors(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SmtpSettings.from_url(url)


def test_from_env(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    sender = EmailSender.from_env(
        {
            "IVALID_SMTP_URL": f"smtp://127.0.0.1:{server.port}",
            "IVALID_SMTP_FROM": "Chauffage Éclair <rdv@chauffage-eclair.fr>",
        }
    )
    sender.send("zoe@example.com", MESSAGE)
    mail = parse(server.received[0])
    assert mail["From"].addresses[0].display_name == "Chauffage Éclair"
    assert EmailSender.from_env({}).settings == SmtpSettings("localhost", 25)
