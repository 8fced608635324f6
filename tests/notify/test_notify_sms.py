"""SMS providers: the logging default, and Twilio against a fake Messages API over real HTTP."""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING

import pytest

from hub.notify.sms import (
    LoggingSmsProvider,
    SmsError,
    SmsProvider,
    TwilioSmsProvider,
    sms_provider_from_env,
)

if TYPE_CHECKING:
    from tests.notify.conftest import FakeTwilio

SENDER = "+33700000001"
BODY = "Rappel : votre RDV Entretien chaudière le lundi 20/01 à 10h00.\nChauffage Éclair"


def twilio(
    fake: FakeTwilio, auth_token: str | None = None, from_number: str = SENDER
) -> TwilioSmsProvider:
    """Return a provider pointed at the fake, with the fake's credentials unless overridden."""
    return TwilioSmsProvider(
        fake.account_sid, auth_token or fake.auth_token, from_number, fake.base_url, timeout=5
    )


def test_twilio_sends_the_documented_request(fake_twilio: FakeTwilio) -> None:
    provider = twilio(fake_twilio)
    result = provider.send("+33612345678", BODY)
    provider.close()

    assert result.provider == "twilio"
    assert result.status == "queued"
    assert result.message_id is not None and result.message_id.startswith("SM")
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form == {"To": "+33612345678", "From": SENDER, "Body": BODY}
    user_pass = base64.b64decode(request.authorization.removeprefix("Basic ")).decode()
    assert user_pass == f"{fake_twilio.account_sid}:{fake_twilio.auth_token}"


def test_twilio_messaging_service_sender(fake_twilio: FakeTwilio) -> None:
    service = "MG" + "fedcba9876543210" * 2
    result = twilio(fake_twilio, from_number=service).send("+33612345678", "Bonjour")
    assert result.status == "accepted"
    [request] = fake_twilio.requests
    assert request.form["MessagingServiceSid"] == service
    assert "From" not in request.form


def test_twilio_error_answer_is_parsed(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(SmsError) as caught:
        twilio(fake_twilio).send("0612345678", BODY)  # not E.164
    error = caught.value
    assert (error.http_status, error.code, error.retryable) == (400, 21211, False)
    assert error.more_info == "https://www.twilio.com/docs/errors/21211"
    assert "The 'To' number 0612345678 is not a valid phone number." in str(error)


def test_twilio_bad_credentials(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(SmsError) as caught:
        twilio(fake_twilio, auth_token="wrong").send("+33612345678", BODY)
    assert (caught.value.http_status, caught.value.code, caught.value.retryable) == (
        401,
        20003,
        False,
    )


@pytest.mark.parametrize(
    ("status", "body", "retryable", "code"),
    [
        pytest.param(
            429,
            b'{"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429}',
            True,
            20429,
            id="rate-limited",
        ),
        pytest.param(503, b"<html>Service Unavailable</html>", True, None, id="5xx-not-json"),
        pytest.param(200, b'{"unexpected": true}', False, None, id="2xx-without-sid"),
    ],
)
def test_twilio_odd_answers(
    fake_twilio: FakeTwilio, status: int, body: bytes, retryable: bool, code: int | None
) -> None:
    fake_twilio.forced = (status, body, {})
    with pytest.raises(SmsError) as caught:
        twilio(fake_twilio).send("+33612345678", BODY)
    assert (caught.value.http_status, caught.value.retryable, caught.value.code) == (
        status,
        retryable,
        code,
    )


def test_twilio_unreachable_is_retryable(unused_port: int) -> None:
    provider = TwilioSmsProvider(
        "AC" + "0" * 32, "token", SENDER, f"http://127.0.0.1:{unused_port}", timeout=2
    )
    with pytest.raises(SmsError) as caught:
        provider.send("+33612345678", BODY)
    assert caught.value.retryable is True


def test_logging_provider_logs_and_keeps_nothing(caplog: pytest.LogCaptureFixture) -> None:
    provider: SmsProvider = LoggingSmsProvider()
    with caplog.at_level(logging.INFO, logger="hub.notify.sms"):
        result = provider.send("+33612345678", BODY)
    assert (result.provider, result.status, result.message_id) == ("log", "logged", None)
    assert "+33612345678" in caplog.text and "Chauffage Éclair" in caplog.text
    assert vars(provider) == {"_log": logging.getLogger("hub.notify.sms")}


def test_provider_from_env_defaults_to_logging() -> None:
    assert isinstance(sms_provider_from_env({}), LoggingSmsProvider)
    assert isinstance(sms_provider_from_env({"IVALID_SMS_PROVIDER": "log"}), LoggingSmsProvider)


def test_provider_from_env_twilio(fake_twilio: FakeTwilio) -> None:
    provider = sms_provider_from_env(
        {
            "IVALID_SMS_PROVIDER": "twilio",
            "IVALID_TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
            "IVALID_TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
            "IVALID_TWILIO_FROM": SENDER,
            "IVALID_TWILIO_BASE_URL": fake_twilio.base_url + "/",
        }
    )
    assert isinstance(provider, TwilioSmsProvider)
    assert provider.send("+33612345678", BODY).message_id
    assert fake_twilio.requests[0].form["From"] == SENDER


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({"IVALID_SMS_PROVIDER": "twilio"}, "IVALID_TWILIO_ACCOUNT_SID",
                     id="twilio-missing-everything"),
        pytest.param({"IVALID_SMS_PROVIDER": "twilio", "IVALID_TWILIO_ACCOUNT_SID": "AC1",
                      "IVALID_TWILIO_AUTH_TOKEN": "t"}, "IVALID_TWILIO_FROM",
                     id="twilio-missing-from"),
        pytest.param({"IVALID_SMS_PROVIDER": "carrier-pigeon"}, "unknown",
                     id="unknown-provider"),
    ],
)  # fmt: skip
def test_provider_from_env_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sms_provider_from_env(environ)
