"""A stateful Stripe API on loopback that stripe-python talks to for real.

Point a client at it with `StripeClient(key, base_addresses={"api": fake.base_url})`. It
speaks Stripe's wire format: form-encoded bodies with bracketed keys
(`line_items[0][price_data][currency]=eur`), `Authorization: Bearer <key>`, the
`Stripe-Account` header for a platform acting for a connected account, `Idempotency-Key`
(the same key and parameters → the first answer; other parameters → `idempotency_error`),
JSON answers and Stripe's error format. Covered: accounts (current, retrieve, create),
account links, customers (create, search by e-mail), Checkout Sessions (create, retrieve,
expire), PaymentIntents and charges (retrieve), refunds (create, retrieve).

Test hooks (not Stripe's): `pay(session_id)` completes a session as a customer paying would
(`asynchronous=True` leaves the PaymentIntent processing, then `settle(...)`),
`expire(session_id)` lets a session time out, `settle_refund(refund_id, status)`, and
`complete_onboarding(account_id)`. Each records the events Stripe would send; `signed(event,
secret)` gives the body and the `Stripe-Signature` header exactly as Stripe signs them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from tests.fakes.server import LoopbackFake
from tests.fakes.stripe_store import (
    MINIMUM_AMOUNT,
    URL,
    ZERO_DECIMAL,
    Account,
    Store,
    StripeFault,
    _integer,
    _metadata,
    missing,
    sign,
)

PLATFORM_KEY = "sk_test_platform0000000000000000"

Handler = Callable[[str, dict[str, Any], re.Match[str]], tuple[int, dict[str, Any]]]


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Bracketed form keys back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        fixed = {k: _listify(v) for k, v in node.items()}
        if fixed and all(k.isdigit() for k in fixed):
            return [fixed[k] for k in sorted(fixed, key=int)]
        return fixed
    return node


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return json.dumps([method, path, params], sort_keys=True)


class FakeStripe(LoopbackFake):
    """Stripe's API for a platform, its connected accounts and accounts with their own key."""

    def __init__(self, port: int = 0, clock: Callable[[], float] | None = None) -> None:
        self._init_loopback(port)
        self.store = Store(clock=clock) if clock else Store()
        self.platform = self.store.add_account(PLATFORM_KEY, platform=True)
        self.requests: list[dict[str, Any]] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"^/v1/account$"), self._current_account),
            ("GET", re.compile(r"^/v1/accounts/(?P<id>[^/]+)$"), self._get_account),
            ("POST", re.compile(r"^/v1/accounts$"), self._create_account),
            ("POST", re.compile(r"^/v1/account_links$"), self._create_account_link),
            ("POST", re.compile(r"^/v1/customers$"), self._create_customer),
            ("GET", re.compile(r"^/v1/customers/search$"), self._search_customers),
            ("POST", re.compile(r"^/v1/checkout/sessions$"), self._create_session),
            ("GET", re.compile(r"^/v1/checkout/sessions/(?P<id>[^/]+)$"), self._get_session),
            (
                "POST",
                re.compile(r"^/v1/checkout/sessions/(?P<id>[^/]+)/expire$"),
                self._expire_session,
            ),
            ("GET", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)$"), self._get_intent),
            ("GET", re.compile(r"^/v1/charges/(?P<id>[^/]+)$"), self._get_charge),
            ("POST", re.compile(r"^/v1/refunds$"), self._create_refund),
            ("GET", re.compile(r"^/v1/refunds/(?P<id>[^/]+)$"), self._get_refund),
        ]

    # ------------------------------------------------------------------------- set-up

    def own_key_account(self, key: str, **kw: Any) -> Account:
        """An account that connects with its own (restricted) key."""
        return self.store.add_account(key, **kw)

    def connected(self, account_id: str) -> Account:
        """A connected account of the platform."""
        return self.store.accounts[account_id]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event recorded so far, oldest first."""
        return self.store.events

    def sessions(self, account: str) -> list[dict[str, Any]]:
        """Every Checkout Session of `account`."""
        return self.store.of_kind(account, "checkout.session")

    def account_of(self, object_id: str) -> str:
        """The account an object belongs to."""
        return self.store.owner[object_id]

    # --------------------------------------------------------------------------- WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            try:
                status, body = self._dispatch(request)
            except StripeFault as fault:
                status, body = fault.status, fault.body
        return Response(
            json.dumps(body),
            status=status,
            content_type="application/json",
            headers={"Request-Id": "req_" + self.store.new_id("x")[2:]},
        )

    def _dispatch(self, request: Request) -> tuple[int, dict[str, Any]]:
        auth = request.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else None
        account = self.store.acting_account(key, request.headers.get("Stripe-Account"))
        if request.method == "GET":
            params = _nest(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        else:
            params = _nest(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        idem = request.headers.get("Idempotency-Key")
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "account": account,
                "idempotency_key": idem,
                "params": params,
            }
        )
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                if method != "POST":
                    return handler(account, params, match)
                fingerprint = _fingerprint(method, request.path, params)
                return self.store.idempotent(
                    account, idem, fingerprint, partial(handler, account, params, match)
                )
        raise StripeFault(404, f"Unrecognized request URL ({request.method}: {request.path}).")

    # ----------------------------------------------------------------------- accounts

    def _current_account(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        return 200, self.store.accounts[account].public()

    def _get_account(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        target = self.store.accounts.get(m["id"])
        if target is None or (target.id != account and target.parent != account):
            raise StripeFault(
                403,
                f"The provided key does not have access to account '{m['id']}' "
                "(or that account does not exist). Application access may have been revoked.",
                code="account_invalid",
            )
        return 200, target.public()

    def _create_account(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        if not self.store.accounts[account].platform:
            raise StripeFault(403, "Only Stripe Connect platforms can create accounts.")
        kind = params.get("type")
        if kind not in (None, "standard", "express", "custom"):
            raise StripeFault(400, f"Invalid type: {kind}", param="type")
        new = Account(
            self.store.new_id("acct"),
            parent=account,
            charges_enabled=False,
            details_submitted=False,
            email=params.get("email"),
        )
        self.store.accounts[new.id] = new
        return 200, new.public()

    def _create_account_link(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        for name in ("account", "type"):
            if not params.get(name):
                raise missing(name)
        if params["type"] not in ("account_onboarding", "account_update"):
            raise StripeFault(400, f"Invalid type: {params['type']}", param="type")
        target = self.store.accounts.get(params["account"])
        if target is None or target.parent != account:
            raise StripeFault(
                400, f"No such account: '{params['account']}'", code="resource_missing",
                param="account",
            )  # fmt: skip
        for name in ("refresh_url", "return_url"):
            if params.get(name) and not URL.match(params[name]):
                raise StripeFault(400, "Not a valid URL", code="url_invalid", param=name)
        now = self.store.now()
        return 200, {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"{self.base_url}/onboarding/{target.id}",
        }

    def complete_onboarding(self, account_id: str) -> None:
        """Test hook: the company finished Stripe's onboarding form."""
        with self._lock:
            target = self.store.accounts[account_id]
            target.charges_enabled = target.details_submitted = True

    # ---------------------------------------------------------------------- customers

    def _create_customer(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        email = params.get("email")
        if email is not None and "@" not in email:
            raise StripeFault(400, "Invalid email address: " + email, code="email_invalid")
        customer = {
            "id": self.store.new_id("cus"),
            "object": "customer",
            "email": email,
            "name": params.get("name"),
            "metadata": _metadata(params.get("metadata"), "metadata"),
            "created": self.store.now(),
            "livemode": False,
        }
        return 200, self.store.put(account, customer)

    def _search_customers(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        query = params.get("query")
        if not query:
            raise missing("query")
        found = re.fullmatch(r"email:'((?:[^'\\]|\\.)*)'", query.strip())
        if found is None:
            raise StripeFault(
                400, f"We were unable to parse your search query: {query}", param="query"
            )
        email = re.sub(r"\\(.)", r"\1", found[1])
        limit = _integer(params.get("limit", 10), "limit", 1)
        data = [c for c in self.store.of_kind(account, "customer") if c["email"] == email]
        return 200, {
            "object": "search_result",
            "url": "/v1/customers/search",
            "has_more": len(data) > limit,
            "next_page": None,
            "data": data[:limit],
        }

    # ---------------------------------------------------------------- checkout sessions

    def _line_items(self, params: dict[str, Any]) -> tuple[str, int]:
        items = params.get("line_items")
        if not items:
            raise missing("line_items")
        if not isinstance(items, list):
            raise StripeFault(400, "Invalid array", param="line_items")
        currency: str | None = None
        total = 0
        for i, item in enumerate(items):
            where = f"line_items[{i}]"
            quantity = _integer(item.get("quantity", ""), f"{where}[quantity]", 1)
            price = item.get("price_data")
            if not isinstance(price, dict):
                raise missing(f"{where}[price_data]")
            code = str(price.get("currency", "")).lower()
            if not re.fullmatch(r"[a-z]{3}", code):
                raise StripeFault(
                    400, f"Invalid currency: {code}", param=f"{where}[price_data][currency]"
                )
            if currency is not None and code != currency:
                raise StripeFault(400, "All line items must use the same currency.")
            currency = code
            if "unit_amount" not in price:
                raise missing(f"{where}[price_data][unit_amount]")
            unit = _integer(price["unit_amount"], f"{where}[price_data][unit_amount]", 0)
            product = price.get("product_data")
            if not isinstance(product, dict) or not product.get("name"):
                raise missing(f"{where}[price_data][product_data][name]")
            total += unit * quantity
        assert currency is not None
        minimum = MINIMUM_AMOUNT.get(currency, 0 if currency in ZERO_DECIMAL else 50)
        if total < minimum:
            raise StripeFault(
                400,
                "The Checkout Session's total amount due must add up to at least €0.50 eur",
                code="amount_too_small",
            )
        return currency, total

    def _create_session(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        mode = params.get("mode")
        if not mode:
            raise missing("mode")
        if mode != "payment":
            raise StripeFault(400, f"Invalid mode: {mode} (this fake does payment)", param="mode")
        currency, total = self._line_items(params)
        for name in ("success_url", "cancel_url"):
            if name in params and not URL.match(str(params[name])):
                raise StripeFault(400, "Not a valid URL", code="url_invalid", param=name)
        if params.get("customer") and params.get("customer_email"):
            raise StripeFault(
                400, "You may only specify one of these parameters: customer, customer_email."
            )
        if params.get("customer"):
            self.store.get(account, params["customer"], "customer", "customer")
        now = self.store.now()
        expires_at = now + 24 * 3600
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
                raise StripeFault(
                    400,
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours "
                    "after the Checkout Session's creation.",
                    param="expires_at",
                )
        intent_data = params.get("payment_intent_data") or {}
        session_id = self.store.new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currency,
            "client_reference_id": params.get("client_reference_id"),
            "customer": params.get("customer"),
            "customer_email": params.get("customer_email"),
            "metadata": _metadata(params.get("metadata"), "metadata"),
            "payment_intent": None,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "expires_at": expires_at,
            "created": now,
            "livemode": False,
            "url": f"{self.base_url}/pay/{session_id}",
            "_intent_metadata": _metadata(
                intent_data.get("metadata"), "payment_intent_data[metadata]"
            ),
        }
        self.store.put(account, session)
        return 200, self._public(session)

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _get_session(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        return 200, self._public(self.store.get(account, m["id"], "checkout.session"))

    def _expire_session(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        session = self.store.get(account, m["id"], "checkout.session")
        if session["status"] != "open":
            raise StripeFault(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired.',
                code="checkout_session_expired"
                if session["status"] == "expired"
                else "checkout_session_completed",
            )
        self._expire(account, session)
        return 200, self._public(session)

    def _expire(self, account: str, session: dict[str, Any]) -> None:
        session["status"] = "expired"
        session["url"] = None
        self.store.emit(account, "checkout.session.expired", self._public(session))

    def expire(self, session_id: str) -> dict[str, Any]:
        """Test hook: the session reached its `expires_at` unpaid."""
        with self._lock:
            account = self.store.owner[session_id]
            session = self.store.get(account, session_id, "checkout.session")
            self._expire(account, session)
            return self._public(session)

    def pay(self, session_id: str, *, asynchronous: bool = False) -> dict[str, Any]:
        """Test hook: the customer pays (card: paid at once; `asynchronous`: processing)."""
        with self._lock:
            account = self.store.owner[session_id]
            session = self.store.get(account, session_id, "checkout.session")
            if session["status"] != "open":
                raise StripeFault(400, f"session is {session['status']}")
            amount = session["amount_total"]
            charge_id = self.store.new_id("ch")
            intent = {
                "id": self.store.new_id("pi"),
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0 if asynchronous else amount,
                "currency": session["currency"],
                "customer": session["customer"],
                "metadata": session["_intent_metadata"],
                "status": "processing" if asynchronous else "succeeded",
                "latest_charge": charge_id,
                "created": self.store.now(),
                "livemode": False,
            }
            charge = {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "currency": session["currency"],
                "payment_intent": intent["id"],
                "refunded": False,
                "paid": not asynchronous,
                "status": "pending" if asynchronous else "succeeded",
                "metadata": {},
                "created": self.store.now(),
            }
            self.store.put(account, intent)
            self.store.put(account, charge)
            session.update(
                status="complete",
                payment_status="unpaid" if asynchronous else "paid",
                payment_intent=intent["id"],
                url=None,
            )
            self.store.emit(account, "checkout.session.completed", self._public(session))
            return self._public(session)

    def settle(self, session_id: str, *, succeeded: bool) -> None:
        """Test hook: an asynchronous payment (bank debit) succeeds or fails."""
        with self._lock:
            account = self.store.owner[session_id]
            session = self.store.get(account, session_id, "checkout.session")
            intent = self.store.get(account, session["payment_intent"], "payment_intent")
            charge = self.store.get(account, intent["latest_charge"], "charge")
            if succeeded:
                intent.update(status="succeeded", amount_received=intent["amount"])
                charge.update(status="succeeded", paid=True)
                session["payment_status"] = "paid"
                kind = "checkout.session.async_payment_succeeded"
            else:
                intent["status"] = "requires_payment_method"
                charge["status"] = "failed"
                kind = "checkout.session.async_payment_failed"
            self.store.emit(account, kind, self._public(session))

    # --------------------------------------------------------------- intents & charges

    def _get_intent(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        return 200, self.store.get(account, m["id"], "payment_intent")

    def _get_charge(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        return 200, self.store.get(account, m["id"], "charge")

    # ------------------------------------------------------------------------ refunds

    def _create_refund(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        if not params.get("payment_intent") and not params.get("charge"):
            raise StripeFault(
                400, "One of the following params should be provided for this request: "
                "payment_intent or charge.", code="parameter_missing",
            )  # fmt: skip
        if params.get("payment_intent"):
            intent = self.store.get(
                account, params["payment_intent"], "payment_intent", "payment_intent"
            )
            charge = self.store.get(account, intent["latest_charge"], "charge", "charge")
        else:
            charge = self.store.get(account, params["charge"], "charge", "charge")
        if not charge["paid"]:
            raise StripeFault(400, "This charge has not been paid.", code="charge_not_refundable")
        left = charge["amount"] - charge["amount_refunded"]
        if left <= 0:
            raise StripeFault(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _integer(params.get("amount", left), "amount", 1)
        if amount > left:
            raise StripeFault(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                code="amount_too_large",
                param="amount",
            )
        refund = {
            "id": self.store.new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "status": self.store.refund_outcome,
            "metadata": _metadata(params.get("metadata"), "metadata"),
            "created": self.store.now(),
        }
        self.store.put(account, refund)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.emit(account, "charge.refunded", charge)
        return 200, refund

    def _get_refund(
        self, account: str, params: dict[str, Any], m: re.Match[str]
    ) -> tuple[int, dict[str, Any]]:
        return 200, self.store.get(account, m["id"], "refund")

    def settle_refund(self, refund_id: str, status: str) -> None:
        """Test hook: a pending refund succeeds or fails (a failed one gives the money back)."""
        with self._lock:
            account = self.store.owner[refund_id]
            refund = self.store.get(account, refund_id, "refund")
            refund["status"] = status
            if status == "failed":
                charge = self.store.get(account, refund["charge"], "charge")
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
            self.store.emit(account, "refund.updated", refund)

    # ----------------------------------------------------------------------- webhooks

    def signed(
        self, event: dict[str, Any], secret: str, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        """The body and Stripe-Signature header of a webhook delivery of `event`."""
        body = json.dumps(event, indent=2).encode()
        # Stripe signs at delivery time, and the receiver compares with its own clock.
        return body, sign(body, secret, int(time.time()) if timestamp is None else timestamp)
