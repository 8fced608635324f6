"""The one place that touches the `stripe` library: calls, options and its errors mapped.

Every call goes through `_execute`, which turns stripe-python's exceptions into the
connector errors (connectors.base): an invalid or revoked key → AuthError (reconnect),
network, 5xx and 429 → TransientError (retry later with the same idempotency key), a refused
request (validation, idempotency key reused with other parameters) → InvalidRequest.
Objects come back as plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import stripe

from connectors.base import AuthError, ConnectorError, InvalidRequest, RateLimited, TransientError
from connectors.base import NotFound as RemoteNotFound

_T = TypeVar("_T")
TIMEOUT_SECONDS = 20.0


def _mapped(exc: stripe.StripeError) -> ConnectorError:
    """The connector error for a stripe-python exception."""
    status = exc.http_status
    code = exc.code
    message = exc.user_message or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return AuthError(message, status=status, reason=code or "authentication_error")
    if isinstance(exc, stripe.RateLimitError):
        return RateLimited(message, status=status, reason=code or "rate_limit")
    if isinstance(exc, stripe.APIConnectionError):
        return TransientError(message, status=status, reason="api_connection_error")
    if isinstance(exc, stripe.IdempotencyError):
        return InvalidRequest(message, status=status, reason="idempotency_error")
    if isinstance(exc, stripe.InvalidRequestError) and status == 404:
        return RemoteNotFound(message, status=status, reason=code or "resource_missing")
    if isinstance(exc, stripe.InvalidRequestError | stripe.CardError):
        param = getattr(exc, "param", None)
        return InvalidRequest(message, status=status, reason=code, details={"param": param})
    if status is not None and status < 500:
        return InvalidRequest(message, status=status, reason=code)
    return TransientError(message, status=status, reason=code or "api_error")


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as a plain dict (nested objects too)."""
    return cast(dict[str, Any], obj.to_dict(recursive=True))


class StripeApi:
    """Stripe's API as one account sees it: a platform key plus an optional connected account
    (every call then carries the `Stripe-Account` header), or the account's restricted key."""

    def __init__(
        self, api_key: str, *, stripe_account: str | None = None, api_base: str | None = None
    ) -> None:
        """A client for `api_key`; `api_base` points it elsewhere (tests: the loopback fake)."""
        addresses: dict[str, str] = {}
        if api_base:
            addresses = {"api": api_base, "connect": api_base, "files": api_base}
        self.stripe_account = stripe_account
        self._client = stripe.StripeClient(
            api_key,
            stripe_account=stripe_account,
            base_addresses=cast(Any, addresses),
            # Retries are the worker's (rows with a due time), with the stored idempotency key.
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        )

    def _execute(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except stripe.StripeError as exc:
            raise _mapped(exc) from exc

    def _options(self, idempotency_key: str | None) -> Any:
        return {"idempotency_key": idempotency_key} if idempotency_key else None

    # ------------------------------------------------------------------------- accounts

    def current_account(self) -> dict[str, Any]:
        """The account the key (and Stripe-Account header) acts for: a read that checks a key."""
        if self.stripe_account:
            account = self.stripe_account
            return _plain(self._execute(lambda: self._client.v1.accounts.retrieve(account)))
        return _plain(self._execute(lambda: self._client.v1.accounts.retrieve_current()))

    def create_account(self, email: str | None, idempotency_key: str) -> dict[str, Any]:
        """A connected account (Express) for the platform to onboard."""
        params: dict[str, Any] = {"type": "express"}
        if email:
            params["email"] = email
        return _plain(
            self._execute(
                lambda: self._client.v1.accounts.create(
                    cast(Any, params), self._options(idempotency_key)
                )
            )
        )

    def account_link(self, account: str, refresh_url: str, return_url: str) -> dict[str, Any]:
        """A single-use onboarding URL for the connected `account`."""
        params = {
            "account": account,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        return _plain(
            self._execute(lambda: self._client.v1.account_links.create(cast(Any, params)))
        )

    # ------------------------------------------------------------------------ customers

    def find_customer(self, email: str) -> dict[str, Any] | None:
        """The first Stripe Customer with exactly this e-mail, or None (Search API)."""
        quoted = email.replace("\\", "\\\\").replace("'", "\\'")
        result = self._execute(
            lambda: self._client.v1.customers.search({"query": f"email:'{quoted}'", "limit": 1})
        )
        data = _plain(result).get("data") or []
        return data[0] if data else None

    def create_customer(
        self, email: str, name: str, metadata: dict[str, str], idempotency_key: str
    ) -> dict[str, Any]:
        """A new Stripe Customer."""
        params = {"email": email, "name": name, "metadata": metadata}
        return _plain(
            self._execute(
                lambda: self._client.v1.customers.create(
                    cast(Any, params), self._options(idempotency_key)
                )
            )
        )

    # ------------------------------------------------------------------ checkout sessions

    def create_session(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """A Checkout Session (the same key and parameters return the first session)."""
        return _plain(
            self._execute(
                lambda: self._client.v1.checkout.sessions.create(
                    cast(Any, params), self._options(idempotency_key)
                )
            )
        )

    def retrieve_session(self, session_id: str) -> dict[str, Any]:
        """A Checkout Session's current state."""
        return _plain(self._execute(lambda: self._client.v1.checkout.sessions.retrieve(session_id)))

    def expire_session(self, session_id: str) -> dict[str, Any]:
        """Expire an open Checkout Session (nobody can pay it any more)."""
        return _plain(self._execute(lambda: self._client.v1.checkout.sessions.expire(session_id)))

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """A PaymentIntent's current state."""
        return _plain(
            self._execute(lambda: self._client.v1.payment_intents.retrieve(payment_intent_id))
        )

    def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        """A Charge's current state (its `amount_refunded` is the refunded total)."""
        return _plain(self._execute(lambda: self._client.v1.charges.retrieve(charge_id)))

    # --------------------------------------------------------------------------- refunds

    def create_refund(
        self, payment_intent: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> dict[str, Any]:
        """Refund `amount` minor units of a PaymentIntent."""
        params = {"payment_intent": payment_intent, "amount": amount, "metadata": metadata}
        return _plain(
            self._execute(
                lambda: self._client.v1.refunds.create(
                    cast(Any, params), self._options(idempotency_key)
                )
            )
        )

    def retrieve_refund(self, refund_id: str) -> dict[str, Any]:
        """A Refund's current state."""
        return _plain(self._execute(lambda: self._client.v1.refunds.retrieve(refund_id)))


def verify_webhook(payload: bytes, signature: str | None, secret: str, tolerance: int) -> Any:
    """The event of a webhook whose `Stripe-Signature` is valid for `secret`, as a dict.

    Raises ValueError when the signature, the timestamp (older than `tolerance` seconds) or
    the JSON is wrong.
    """
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
    except stripe.SignatureVerificationError as exc:
        raise ValueError(str(exc) or "invalid signature") from exc
    return _plain(event)
