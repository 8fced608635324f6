"""The state and rules of the Stripe fake: accounts, customers, Checkout Sessions,
PaymentIntents, charges, refunds, idempotency keys and events.

It refuses what Stripe refuses for the calls the hub makes, with Stripe's error shape
(`{"error": {"type", "code", "param", "message"}}`) and status; see tests/fakes/stripe.py for
the HTTP side. Every object belongs to one account (the platform's, or a connected one).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

API_VERSION = "2025-01-27.acacia"
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "xaf", "xof", "bif", "djf", "gnf", "kmf", "mga"}
# Stripe's minimum charge is about 0.50 USD; in the two-decimal currencies the hub tests use.
MINIMUM_AMOUNT = {"eur": 50, "usd": 50, "gbp": 30, "chf": 50}
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


class StripeFault(Exception):
    """An answer in Stripe's error format."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type_, "message": message}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


def missing(param: str) -> StripeFault:
    """Stripe's answer to a required parameter left out."""
    return StripeFault(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _integer(value: Any, param: str, minimum: int | None = None) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise StripeFault(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        ) from exc
    if minimum is not None and number < minimum:
        raise StripeFault(
            400,
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=param,
        )
    return number


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeFault(400, "Invalid object", code="parameter_invalid_empty", param=param)
    if len(value) > 50:
        raise StripeFault(400, "Metadata can have at most 50 keys.", param=param)
    for key, item in value.items():
        if len(key) > 40 or len(str(item)) > 500:
            raise StripeFault(
                400,
                "Metadata keys are at most 40 characters, values at most 500.",
                param=f"{param}[{key}]",
            )
    return {str(k): str(v) for k, v in value.items()}


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header of `payload`: t=…,v1=hex(HMAC-SHA256(secret, "t.payload"))."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Account:
    """A Stripe account: the platform, a connected account, or one using its own key."""

    id: str
    platform: bool = False
    parent: str | None = None  # the platform of a connected account
    charges_enabled: bool = True
    details_submitted: bool = True
    email: str | None = None

    def public(self) -> dict[str, Any]:
        """The account object."""
        return {
            "id": self.id,
            "object": "account",
            "type": "express" if self.parent else "standard",
            "charges_enabled": self.charges_enabled,
            "payouts_enabled": self.charges_enabled,
            "details_submitted": self.details_submitted,
            "email": self.email,
            "country": "FR",
            "default_currency": "eur",
        }


@dataclass
class Store:
    """Everything the fake knows; `clock` returns Unix seconds (tests pin it)."""

    base_url: str = ""
    clock: Callable[[], float] = time.time
    accounts: dict[str, Account] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # API key → account id
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → object
    owner: dict[str, str] = field(default_factory=dict)  # object id → account id
    idempotency: dict[tuple[str, str], tuple[str, int, dict[str, Any]]] = field(
        default_factory=dict
    )
    events: list[dict[str, Any]] = field(default_factory=list)
    refund_outcome: str = "succeeded"  # what a new refund's status is (tests: "pending")
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        """An id with Stripe's prefix (deterministic order, random tail)."""
        return f"{prefix}_{next(self._seq):06d}{secrets.token_hex(6)}"

    def now(self) -> int:
        """The fake's time, in Unix seconds."""
        return int(self.clock())

    # --------------------------------------------------------------------- accounts & keys

    def add_account(self, key: str, *, platform: bool = False, **kw: Any) -> Account:
        """An account reachable with `key` (a platform's secret key or a restricted key)."""
        account = Account(self.new_id("acct"), platform=platform, **kw)
        self.accounts[account.id] = account
        self.keys[key] = account.id
        return account

    def acting_account(self, key: str | None, header_account: str | None) -> str:
        """The account a request acts for: the key's, or the connected one it names."""
        if not key or key not in self.keys:
            shown = (key or "")[:8] + "*" * 4
            raise StripeFault(
                401,
                f"Invalid API Key provided: {shown}",
                code="api_key_invalid" if key else None,
            )
        own = self.keys[key]
        if header_account is None or header_account == own:
            return own
        if not self.accounts[own].platform:
            raise StripeFault(403, "Only Stripe Connect platforms can work with other accounts.")
        target = self.accounts.get(header_account)
        if target is None or target.parent != own:
            raise StripeFault(
                403,
                f"The provided key '{key[:8]}****' does not have access to account "
                f"'{header_account}' (or that account does not exist). Application access "
                "may have been revoked.",
                type_="invalid_request_error",
                code="account_invalid",
            )
        return header_account

    # ------------------------------------------------------------------------- idempotency

    def idempotent(
        self,
        account: str,
        key: str | None,
        fingerprint: str,
        run: Callable[[], tuple[int, dict[str, Any]]],
    ) -> tuple[int, dict[str, Any]]:
        """Run `run` once per key: the same key and parameters get the first answer back."""
        if not key:
            return run()
        if len(key) > 255:
            raise StripeFault(400, "Idempotency keys are at most 255 characters long.")
        seen = self.idempotency.get((account, key))
        if seen is not None:
            if seen[0] != fingerprint:
                raise StripeFault(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.",
                    type_="idempotency_error",
                )
            return seen[1], seen[2]
        try:
            status, body = run()
        except StripeFault as fault:
            # Stripe saves the result once the endpoint began executing, errors included;
            # a request refused by validation is not saved.
            if fault.status >= 500:
                self.idempotency[(account, key)] = (fingerprint, fault.status, fault.body)
            raise
        self.idempotency[(account, key)] = (fingerprint, status, body)
        return status, body

    # ---------------------------------------------------------------------------- objects

    def put(self, account: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store an object of `account`."""
        self.objects[obj["id"]] = obj
        self.owner[obj["id"]] = account
        return obj

    def get(self, account: str, object_id: str, kind: str, param: str = "id") -> dict[str, Any]:
        """An object of `account` (404 in Stripe's words if missing or someone else's; 400
        when a parameter of another request names it)."""
        obj = self.objects.get(object_id)
        if obj is None or self.owner.get(object_id) != account or obj["object"] != kind:
            raise StripeFault(
                404 if param == "id" else 400,
                f"No such {kind.replace('checkout.', '')}: '{object_id}'",
                code="resource_missing",
                param=param,
            )
        return obj

    def of_kind(self, account: str, kind: str) -> list[dict[str, Any]]:
        """Every object of one kind in `account`, oldest first."""
        return [
            o
            for oid, o in self.objects.items()
            if o["object"] == kind and self.owner.get(oid) == account
        ]

    # ----------------------------------------------------------------------------- events

    def emit(self, account: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record an event carrying a snapshot of `obj` (with `account` when connected)."""
        event: dict[str, Any] = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if self.accounts[account].parent is not None:
            event["account"] = account
        self.events.append(event)
        return event
