"""SMS for customer notifications: one small provider interface, a logging default, Twilio.

``IVALID_SMS_PROVIDER`` picks the provider:

* ``log`` (default): :class:`LoggingSmsProvider` writes the message to the application log and
  keeps nothing else -- for development and for installations that send no SMS;
* ``twilio``: :class:`TwilioSmsProvider`, configured by ``IVALID_TWILIO_ACCOUNT_SID``,
  ``IVALID_TWILIO_AUTH_TOKEN``, ``IVALID_TWILIO_FROM`` (an E.164 number, or a Messaging Service
  SID ``MG...``) and optionally ``IVALID_TWILIO_BASE_URL`` (tests point it at a fake).

Twilio's Messages API: ``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with the
form fields ``To``, ``From`` (or ``MessagingServiceSid``) and ``Body``, HTTP Basic auth
``AccountSid:AuthToken``; ``201`` returns the Message resource (``sid``, ``status``...), an error
returns ``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests

SMS_PROVIDER_ENV = "IVALID_SMS_PROVIDER"
TWILIO_ACCOUNT_SID_ENV = "IVALID_TWILIO_ACCOUNT_SID"
TWILIO_AUTH_TOKEN_ENV = "IVALID_TWILIO_AUTH_TOKEN"
TWILIO_FROM_ENV = "IVALID_TWILIO_FROM"
TWILIO_BASE_URL_ENV = "IVALID_TWILIO_BASE_URL"
DEFAULT_TWILIO_BASE_URL = "https://api.twilio.com"
DEFAULT_TIMEOUT = 10.0

_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsResult:
    """What a provider says about an accepted message."""

    provider: str
    message_id: str | None  # the provider's id (Twilio: the SM... sid)
    status: str  # the provider's status word (Twilio: queued, accepted, ...)


class SmsError(Exception):
    """An SMS the provider did not accept; ``retryable`` says whether trying later may work."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: int | str | None = None,
        more_info: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.more_info = more_info
        self.http_status = http_status


class SmsProvider(Protocol):
    """Anything that can send one text message to one phone number."""

    name: str

    def send(self, to: str, body: str) -> SmsResult:
        """Send ``body`` to ``to`` (E.164); raise SmsError if the provider refuses it."""
        ...


class LoggingSmsProvider:
    """Writes each SMS to the log instead of sending it; stores nothing."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    def send(self, to: str, body: str) -> SmsResult:
        """Log the message and report it as handled."""
        self._log.info("SMS to %s (%d characters): %s", to, len(body), body)
        return SmsResult(provider=self.name, message_id=None, status="logged")


class TwilioSmsProvider:
    """Sends SMS through Twilio's Messages REST API (plain HTTP, no SDK)."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = DEFAULT_TWILIO_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        if not (account_sid and auth_token and from_number):
            raise ValueError("Twilio needs an account SID, an auth token and a sender")
        self.account_sid = account_sid
        self.from_number = from_number
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._auth = (account_sid, auth_token)
        self._session = session or requests.Session()

    @property
    def messages_url(self) -> str:
        """Return the Messages list resource of the account."""
        return (
            f"{self.base_url}/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages.json"
        )

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._session.close()

    def send(self, to: str, body: str) -> SmsResult:
        """Create a Message resource; raise SmsError with Twilio's code if it is refused."""
        form = {"To": to, "Body": body}
        # A Messaging Service picks the sender itself (and can use an alphanumeric one).
        sender_field = (
            "MessagingServiceSid" if _MESSAGING_SERVICE_SID.match(self.from_number) else "From"
        )
        form[sender_field] = self.from_number
        try:
            response = self._session.post(
                self.messages_url,
                data=form,
                auth=self._auth,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SmsError(f"cannot reach Twilio: {exc}", retryable=True) from exc
        payload = _json(response)
        if 200 <= response.status_code < 300 and payload.get("sid"):
            return SmsResult(
                provider=self.name,
                message_id=str(payload["sid"]),
                status=str(payload.get("status") or "queued"),
            )
        raise _twilio_error(response.status_code, payload, response.text)


def _json(response: requests.Response) -> dict[str, Any]:
    """Return the JSON object of a response, or {} when there is none."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _twilio_error(status: int, payload: Mapping[str, Any], text: str) -> SmsError:
    """Turn a Twilio error answer into an SmsError (429 and 5xx are worth retrying)."""
    code = payload.get("code")
    message = payload.get("message") or (text.strip()[:200] or f"HTTP {status}")
    if 200 <= status < 300:  # 2xx without a sid: not the Messages API we know
        message = "Twilio answered without a message sid"
    return SmsError(
        f"Twilio refused the message ({status}{f', code {code}' if code else ''}): {message}",
        retryable=status == 429 or status >= 500,
        code=code,
        more_info=payload.get("more_info"),
        http_status=status,
    )


def sms_provider_from_env(environ: Mapping[str, str] | None = None) -> SmsProvider:
    """Build the provider ``IVALID_SMS_PROVIDER`` names (``log`` when unset)."""
    env = os.environ if environ is None else environ
    choice = (env.get(SMS_PROVIDER_ENV) or "log").strip().lower()
    if choice in ("log", "logging"):
        return LoggingSmsProvider()
    if choice == "twilio":
        required = (TWILIO_ACCOUNT_SID_ENV, TWILIO_AUTH_TOKEN_ENV, TWILIO_FROM_ENV)
        missing = [name for name in required if not env.get(name)]
        if missing:
            raise ValueError(f"{SMS_PROVIDER_ENV}=twilio needs {', '.join(missing)}")
        return TwilioSmsProvider(
            env[TWILIO_ACCOUNT_SID_ENV],
            env[TWILIO_AUTH_TOKEN_ENV],
            env[TWILIO_FROM_ENV],
            env.get(TWILIO_BASE_URL_ENV) or DEFAULT_TWILIO_BASE_URL,
        )
    raise ValueError(f"unknown {SMS_PROVIDER_ENV} {choice!r}; expected 'log' or 'twilio'")
