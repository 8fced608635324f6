"""The Stripe connection seen from the API: connect (Connect or a restricted key), status,
settings, disconnect, and the webhook endpoint's receipt of Stripe's events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import AuthError, ConnectorError
from connectors.stripe import const
from connectors.stripe.api import StripeApi, verify_webhook
from hub.auth.guard import Principal
from hub.config import Settings
from hub.crypto import decrypt, encrypt_optional
from hub.db import transaction
from hub.errors import ApiError
from hub.ids import new_id
from hub.models import StripeConnection, StripeEvent
from hub.schemas.payments import StripeConnectIn, StripeSettingsIn
from hub.services.payments import connection_of
from hub.services.payments_runtime import ApiFactory, default_api
from hub.timeutil import iso, utcnow

WEBHOOK_PATH = "/v2/integrations/stripe/webhook"


def _unavailable(exc: ConnectorError) -> ApiError:
    return ApiError(
        502, "INTEGRATION_UNAVAILABLE", {"integration": const.NAME, "reason": exc.reason}
    )


def _ensure(session: Session, p: Principal, mode: str) -> StripeConnection:
    conn = connection_of(session, p.account_id, p.environment)
    if conn is None:
        conn = StripeConnection(
            id=new_id("scn"),
            account_id=p.account_id,
            environment=p.environment,
            mode=mode,
            status="pending",
            charges_enabled=False,
            livemode=False,
            refund_policy={"kind": "full"},
        )
        session.add(conn)
        session.flush()
    return conn


def _apply_account(conn: StripeConnection, account: dict[str, Any]) -> None:
    conn.stripe_account_id = str(account["id"])
    conn.charges_enabled = bool(account.get("charges_enabled"))


def connect(
    session: Session,
    settings: Settings,
    p: Principal,
    body: StripeConnectIn,
    api_factory: type[StripeApi] = StripeApi,
) -> dict[str, Any]:
    """Connect with the account's own key (checked by a read), or start Connect onboarding."""
    base = settings.stripe_api_base or None
    if body.api_key:
        api = api_factory(body.api_key, api_base=base)
        try:
            account = api.current_account()
        except AuthError as exc:
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                {
                    "errors": [
                        {"field": "api_key", "reason": "refused", "message": "Stripe refused it"}
                    ]
                },
            ) from exc
        except ConnectorError as exc:
            raise _unavailable(exc) from exc
        with transaction(session):
            conn = _ensure(session, p, "key")
            conn.mode, conn.status = "key", "connected"
            _apply_account(conn, account)
            conn.livemode = body.api_key.startswith(("rk_live_", "sk_live_"))
            conn.api_key = encrypt_optional(settings, body.api_key)
            conn.webhook_secret = encrypt_optional(settings, body.webhook_secret)
            conn.connected_at = utcnow()
            return {**_brief(conn), "onboarding_url": None, "onboarding_expires_at": None}
    if not settings.stripe_secret_key:
        raise ApiError(409, "INTEGRATION_NOT_CONFIGURED", {"integration": const.NAME})
    platform = api_factory(settings.stripe_secret_key, api_base=base)
    with transaction(session):
        conn = _ensure(session, p, "connect")
        if conn.mode != "connect":
            conn.mode, conn.status, conn.api_key, conn.stripe_account_id = (
                "connect",
                "pending",
                None,
                None,
            )
        conn_id, account_id = conn.id, conn.stripe_account_id
    public = settings.public_url.rstrip("/")
    try:
        if account_id is None:
            # The key is the connection's: a retry after a lost answer gets the same account.
            account_id = str(platform.create_account(None, f"ivalid:{conn_id}:account")["id"])
        link = platform.account_link(
            account_id,
            body.refresh_url or f"{public}/dashboard/integrations",
            body.return_url or f"{public}/dashboard/integrations",
        )
    except ConnectorError as exc:
        raise _unavailable(exc) from exc
    with transaction(session):
        row = session.get(StripeConnection, conn_id, with_for_update=True)
        assert row is not None
        row.stripe_account_id = account_id
        row.livemode = settings.stripe_secret_key.startswith("sk_live_")
        return {
            **_brief(row),
            "onboarding_url": link.get("url"),
            "onboarding_expires_at": iso_ts(link.get("expires_at")),
        }


def iso_ts(value: Any) -> str | None:
    """A Unix timestamp (Stripe's) as ISO 8601, None passing through."""
    if value is None:
        return None
    from datetime import UTC, datetime

    return iso(datetime.fromtimestamp(int(value), UTC))


def _brief(conn: StripeConnection) -> dict[str, Any]:
    return {
        "mode": conn.mode,
        "status": conn.status,
        "account_id": conn.stripe_account_id,
        "charges_enabled": conn.charges_enabled,
    }


def refresh(
    session: Session, settings: Settings, conn: StripeConnection, api_factory: ApiFactory
) -> None:
    """Read a Connect account's onboarding state from Stripe (charges enabled yet?)."""
    if conn.mode != "connect" or not conn.stripe_account_id or conn.charges_enabled:
        return
    try:
        account = api_factory(settings, conn).current_account()
    except ConnectorError:
        return  # the stored state stands; GET must not fail because Stripe is slow
    with transaction(session):
        locked = session.get(StripeConnection, conn.id, with_for_update=True)
        if locked is not None:
            _apply_account(locked, account)
            if locked.charges_enabled and locked.status != "connected":
                locked.status, locked.connected_at = "connected", utcnow()


def status(
    session: Session, settings: Settings, p: Principal, api_factory: ApiFactory = default_api
) -> dict[str, Any]:
    """GET /v2/integrations/stripe: mode, account id, charges enabled, settings, webhook URL."""
    conn = connection_of(session, p.account_id, p.environment)
    if conn is not None:
        refresh(session, settings, conn, api_factory)
        session.expire_all()
        conn = connection_of(session, p.account_id, p.environment)
    webhook = settings.public_url.rstrip("/") + WEBHOOK_PATH
    if conn is not None and conn.mode == "key":
        webhook += f"/{conn.id}"
    connected = conn is not None and conn.status != "disconnected"
    return {
        "name": const.NAME,
        "display_name": const.DISPLAY_NAME,
        "status": conn.status if conn is not None else "disconnected",
        "configured": bool(settings.stripe_secret_key),
        "mode": conn.mode if connected and conn else None,
        "account_id": conn.stripe_account_id if connected and conn else None,
        "charges_enabled": bool(conn and connected and conn.charges_enabled),
        "livemode": bool(conn and conn.livemode),
        "connected_at": iso(conn.connected_at) if conn else None,
        "refund_policy": (conn.refund_policy if conn else None) or {"kind": "full"},
        "success_url": conn.success_url if conn else None,
        "cancel_url": conn.cancel_url if conn else None,
        "webhook_url": webhook,
        "webhook_events": list(const.HANDLED_EVENTS),
    }


def update_settings(
    session: Session, settings: Settings, p: Principal, body: StripeSettingsIn
) -> dict[str, Any]:
    """Set the refund policy and the pages Stripe sends the customer back to."""
    with transaction(session):
        conn = connection_of(session, p.account_id, p.environment)
        if conn is None:
            raise ApiError(409, "INTEGRATION_NOT_CONNECTED", {"integration": const.NAME})
        fields = body.model_dump(exclude_unset=True, mode="json")
        if "refund_policy" in fields and body.refund_policy is not None:
            conn.refund_policy = {k: v for k, v in fields["refund_policy"].items() if v is not None}
        for name in ("success_url", "cancel_url"):
            if name in fields:
                setattr(conn, name, fields[name])
    return status(session, settings, p)


def disconnect(session: Session, p: Principal) -> dict[str, Any]:
    """Forget the key and stop new payments; payments already made keep their history."""
    with transaction(session):
        conn = connection_of(session, p.account_id, p.environment)
        if conn is None:
            raise ApiError(404, "NOT_FOUND", {"integration": const.NAME})
        conn.status, conn.api_key, conn.webhook_secret = "disconnected", None, None
        conn.charges_enabled = False
        return {"name": const.NAME, "status": "disconnected"}


def _bad_signature(message: str) -> ApiError:
    return ApiError(400, "INVALID_SIGNATURE", {"reason": message[:200]})


def receive_webhook(
    session: Session,
    settings: Settings,
    payload: bytes,
    signature: str | None,
    connection_id: str | None = None,
) -> dict[str, Any]:
    """Verify a Stripe webhook on its raw body and record its event once (400 otherwise)."""
    secret = settings.stripe_webhook_secret
    if connection_id is not None:
        conn = session.get(StripeConnection, connection_id)
        if conn is None or not conn.webhook_secret:
            raise ApiError(404, "NOT_FOUND", {"connection": connection_id})
        secret = decrypt(settings, conn.webhook_secret)
    if not secret:
        raise _bad_signature("no webhook signing secret is configured")
    if not signature:
        raise _bad_signature("missing Stripe-Signature header")
    try:
        event = verify_webhook(payload, signature, secret, const.WEBHOOK_TOLERANCE_SECONDS)
    except ValueError as exc:
        raise _bad_signature(str(exc)) from exc
    event_id = str(event.get("id") or "")
    if not event_id.startswith("evt_"):
        raise _bad_signature("not an event")
    if session.get(StripeEvent, event_id) is not None:
        return {"received": True, "duplicate": True}
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with transaction(session):
            session.add(
                StripeEvent(
                    id=event_id,
                    type=str(event.get("type")),
                    connection_id=connection_id,
                    stripe_account=event.get("account"),
                    object_id=obj.get("id"),
                    payload=event,
                    received_at=utcnow(),
                    attempts=0,
                )
            )
    except IntegrityError:
        return {"received": True, "duplicate": True}  # the same event, delivered twice at once
    return {"received": True, "duplicate": False}


__all__ = ["connect", "disconnect", "receive_webhook", "status", "update_settings"]
