"""Webhook endpoints: create, change, rotate secrets, test, recover, and read delivery logs."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub import crypto
from hub.auth.guard import Principal
from hub.config import Settings
from hub.db import transaction
from hub.errors import ApiError, NotFound, field_error, preferred_language
from hub.events import payload
from hub.events.fanout import BROADCAST_TYPES, delivery_row
from hub.events.signing import generate_secret
from hub.events.urlcheck import Allowlist, UnsafeURL, parse_allowlist, validate_webhook_url
from hub.ids import new_id
from hub.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from hub.schemas.common import PageQuery
from hub.schemas.webhooks import DeliveryQuery, Recover, RotateSecret, WebhookCreate, WebhookUpdate
from hub.services import events
from hub.services.tenancy import paginate
from hub.timeutil import iso, utcnow

ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 100  # per account and environment: each one multiplies the fan-out
EVENT_RETENTION = timedelta(days=30)

DISABLED_MESSAGES = {
    "gone": "Le point de terminaison a répondu 410 Gone : il a été désactivé.",
    "unsubscribed": "Le hook a été désabonné par la plateforme.",
    "grant_revoked": "L'autorisation de l'application a été révoquée.",
    "failing": "Les 20 derniers événements ont échoué à chaque tentative : "
    "le point de terminaison a été désactivé.",
}


@lru_cache(maxsize=8)
def allowlist(text: str) -> Allowlist:
    """The parsed IVALID_WEBHOOK_ALLOWLIST (cached by its text)."""
    return parse_allowlist(text)


def _url_error(exc: UnsafeURL) -> dict[str, Any]:
    """The field error of a refused URL: the guard's own (English) detail in English, the
    reason's message in French."""
    entry = field_error("url", exc.reason_code, key=f"url.{exc.reason_code}")
    if preferred_language() == "en":
        entry["message"] = exc.message
    return entry


def check_url(url: str, settings: Settings) -> None:
    """422 WEBHOOK_URL_NOT_ALLOWED unless the URL passes the SSRF guard, DNS included.

    A name that does not resolve now is accepted (DNS may be down, or the name not yet
    published): every delivery resolves and checks again before dialling.
    """
    try:
        validate_webhook_url(url, allowlist(settings.webhook_allowlist), resolve=True)
    except UnsafeURL as exc:
        raise ApiError(
            422,
            "WEBHOOK_URL_NOT_ALLOWED",
            {"errors": [_url_error(exc)]},
        ) from exc
    except (socket.gaierror, UnicodeError):
        pass


def _hint(secret: str) -> str:
    """A recognisable, useless-to-an-attacker form of a secret: whsec_…last4."""
    head = secret[:6] if secret.startswith("whsec_") else ""
    return f"{head}…{secret[-4:]}"


def representation(
    ep: WebhookEndpoint, settings: Settings, *, show_secret: bool = False
) -> dict[str, Any]:
    """An endpoint as the API shows it; the secret only right after creation or rotation."""
    secret = crypto.decrypt(settings, ep.secret)
    expires = ep.previous_secret_expires_at if ep.previous_secret else None
    out: dict[str, Any] = {
        "id": ep.id,
        "url": ep.url,
        "events": list(ep.events or []),
        "active": ep.active,
        "description": ep.description,
        "secret_hint": _hint(secret),
        "disabled_reason": ep.disabled_reason,
        "disabled_at": iso(ep.disabled_at),
        "previous_secret_expires_at": iso(expires),
        "created_at": iso(ep.created_at),
        "updated_at": iso(ep.updated_at),
    }
    if show_secret:
        out["secret"] = secret
    return out


def _get(
    session: Session, p: Principal, webhook_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    """The caller's endpoint; another tenant's, or none, is 404."""
    ep = session.get(WebhookEndpoint, webhook_id, with_for_update=for_update)
    if ep is None or ep.account_id != p.account_id or ep.environment != p.environment:
        raise NotFound("webhook", webhook_id)
    return ep


def _require_active(ep: WebhookEndpoint) -> None:
    if not ep.active:
        raise ApiError(
            409, "WEBHOOK_DISABLED", {"id": ep.id, "disabled_reason": ep.disabled_reason}
        )


def create(
    session: Session, p: Principal, body: WebhookCreate, settings: Settings
) -> dict[str, Any]:
    """Register an endpoint; the answer carries the secret, shown this once."""
    check_url(body.url, settings)
    secret = body.secret or generate_secret()
    with transaction(session):
        count = session.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(
                WebhookEndpoint.account_id == p.account_id,
                WebhookEndpoint.environment == p.environment,
                WebhookEndpoint.platform.is_(None),
            )
        )
        if (count or 0) >= MAX_ENDPOINTS:
            raise ApiError(409, "WEBHOOK_LIMIT_REACHED", {"limit": MAX_ENDPOINTS})
        ep = WebhookEndpoint(
            id=new_id("wh"),
            account_id=p.account_id,
            environment=p.environment,
            url=body.url,
            description=body.description,
            events=list(body.events),
            secret=crypto.encrypt(settings, secret),
            active=body.active,
            disabled_reason=None if body.active else "manual",
            disabled_at=None if body.active else utcnow(),
            consecutive_failures=0,
        )
        session.add(ep)
        session.flush()
        return representation(ep, settings, show_secret=True)


def list_(session: Session, p: Principal, q: PageQuery, settings: Settings) -> dict[str, Any]:
    """A page of the caller's endpoints, oldest first (not the platforms' REST hooks)."""
    stmt = (
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.account_id == p.account_id,
            WebhookEndpoint.environment == p.environment,
            WebhookEndpoint.platform.is_(None),
        )
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    items, meta = paginate(session, stmt, q.page, q.per_page)
    return {"data": [representation(ep, settings) for ep in items], "meta": meta}


def get(session: Session, p: Principal, webhook_id: str, settings: Settings) -> dict[str, Any]:
    """One endpoint."""
    return representation(_get(session, p, webhook_id), settings)


def update_endpoint(
    session: Session, p: Principal, webhook_id: str, body: WebhookUpdate, settings: Settings
) -> dict[str, Any]:
    """Change the fields sent. `active: false` cancels pending deliveries; `true` re-enables.

    A `secret` sent here replaces the old one at once (no overlap): use rotate-secret for a
    change without missed signatures.
    """
    fields = body.model_dump(exclude_unset=True)
    if fields.get("url") is not None:
        check_url(fields["url"], settings)
    with transaction(session):
        ep = _get(session, p, webhook_id, for_update=True)
        now = utcnow()
        if fields.get("url") is not None:
            ep.url = fields["url"]
        if fields.get("events") is not None:
            ep.events = list(fields["events"])
        if "description" in fields:
            ep.description = fields["description"]
        if fields.get("secret") is not None:
            ep.secret = crypto.encrypt(settings, fields["secret"])
            ep.previous_secret = None
            ep.previous_secret_expires_at = None
        if fields.get("active") is True and not ep.active:
            ep.active = True
            ep.disabled_reason = None
            ep.disabled_at = None
            ep.consecutive_failures = 0
        elif fields.get("active") is False and ep.active:
            session.flush()
            disable(session, ep.id, "manual", now, emit=False)
            session.refresh(ep)
        ep.updated_at = now
        session.flush()
        return representation(ep, settings)


def delete(session: Session, p: Principal, webhook_id: str) -> None:
    """Remove an endpoint, its pending deliveries and its logs."""
    with transaction(session):
        session.delete(_get(session, p, webhook_id, for_update=True))


def rotate_secret(
    session: Session, p: Principal, webhook_id: str, body: RotateSecret, settings: Settings
) -> dict[str, Any]:
    """A new secret; the old one keeps signing (a second signature) for 24 hours."""
    with transaction(session):
        ep = _get(session, p, webhook_id, for_update=True)
        now = utcnow()
        new_secret = body.secret or generate_secret()
        ep.previous_secret = ep.secret
        ep.previous_secret_expires_at = now + ROTATION_OVERLAP
        ep.secret = crypto.encrypt(settings, new_secret)
        ep.updated_at = now
        session.flush()
        return representation(ep, settings, show_secret=True)


def disable(
    session: Session, endpoint_id: str, reason: str, now: datetime, *, emit: bool = True
) -> bool:
    """Disable an endpoint (if still active) and cancel its pending deliveries.

    With `emit`, record `webhook.disabled` (delivered to the account's other endpoints);
    never for a platform's REST hook, whose removal by a 410 is the platform's way to
    unsubscribe (hub/services/hooks.py).
    Returns False when the endpoint was already disabled: two workers reaching the same
    verdict disable it, and announce it, once.
    """
    done = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
        .values(active=False, disabled_reason=reason, disabled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .values(
            status="cancelled",
            next_attempt_at=None,
            completed_at=now,
            last_error="endpoint_disabled",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    row = session.execute(
        select(
            WebhookEndpoint.account_id,
            WebhookEndpoint.environment,
            WebhookEndpoint.url,
            WebhookEndpoint.platform,
        ).where(WebhookEndpoint.id == endpoint_id)
    ).one()
    if emit and row.platform is None:
        events.record(
            session,
            row.account_id,
            row.environment,
            "webhook.disabled",
            {
                "id": endpoint_id,
                "url": row.url,
                "reason": reason,
                "message": DISABLED_MESSAGES.get(reason, reason),
                "disabled_at": iso(now),
            },
            object_id=endpoint_id,
        )
    return True


def send_test(session: Session, p: Principal, webhook_id: str) -> dict[str, Any]:
    """Queue a `webhook.test` ping to this endpoint only (it is not fanned out)."""
    with transaction(session):
        ep = _get(session, p, webhook_id)
        _require_active(ep)
        now = utcnow()
        event = events.record(
            session,
            p.account_id,
            p.environment,
            events.TEST_EVENT,
            {
                "id": ep.id,
                "url": ep.url,
                "message": "Ceci est un événement de test envoyé par iValid.",
            },
            object_id=ep.id,
        )
        event.dispatched_at = now
        session.flush()
        row = delivery_row(ep, event.id, event.type, payload.body(event), now)
        session.add(WebhookDelivery(**row))
        session.flush()
        return _delivery_reps(session, [session.get(WebhookDelivery, row["id"])])[0]


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries, skipping any (endpoint, event) pair that already exists."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(WebhookDelivery)
    session.execute(ins.on_conflict_do_nothing(), rows)


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def recover(session: Session, p: Principal, webhook_id: str, body: Recover) -> dict[str, Any]:
    """Re-send every event the endpoint subscribes to since `since` (events are kept 30 days).

    Each event gets a fresh run of attempts, with its original id and bytes (receivers
    de-duplicate on webhook-id). Events not dispatched yet are left to the fan-out.
    """
    now = utcnow()
    until = body.until or now
    if body.since > now or until < body.since:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            {"errors": [field_error("since", "range")]},
        )
    with transaction(session):
        ep = _get(session, p, webhook_id, for_update=True)
        _require_active(ep)
        types = set(ep.events or []) | BROADCAST_TYPES
        rows = session.execute(
            select(Event.id, Event.type, Event.created_at, Event.data)
            .where(
                Event.account_id == p.account_id,
                Event.environment == p.environment,
                Event.created_at >= max(body.since, now - EVENT_RETENTION),
                Event.created_at <= until,
                Event.dispatched_at.is_not(None),
                Event.type.in_(types),
            )
            .order_by(Event.seq)
        ).all()
        wanted = [
            r for r in rows if r.type in (ep.events or []) or (r.data or {}).get("id") != ep.id
        ]
        ids = [r.id for r in wanted]
        existing: set[str] = set()
        for chunk in _chunks(ids):
            existing.update(
                session.scalars(
                    select(WebhookDelivery.event_id).where(
                        WebhookDelivery.endpoint_id == ep.id, WebhookDelivery.event_id.in_(chunk)
                    )
                )
            )
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == ep.id, WebhookDelivery.event_id.in_(chunk))
                .values(
                    status="pending",
                    run_attempts=0,
                    next_attempt_at=now,
                    completed_at=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        fresh = [
            delivery_row(
                ep,
                r.id,
                r.type,
                payload.encode(payload.make(r.id, r.type, r.created_at, r.data)),
                now,
            )
            for r in wanted
            if r.id not in existing
        ]
        _insert_ignore(session, fresh)
        return {
            "webhook_id": ep.id,
            "since": iso(body.since),
            "until": iso(body.until) if body.until else None,
            "queued": len(ids),
        }


def retry_delivery(
    session: Session, p: Principal, webhook_id: str, delivery_id: str
) -> dict[str, Any]:
    """Send a delivery again now; a finished one gets a fresh run of attempts."""
    with transaction(session):
        ep = _get(session, p, webhook_id)
        d = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if d is None or d.endpoint_id != ep.id:
            raise NotFound("delivery", delivery_id)
        _require_active(ep)
        now = utcnow()
        if d.status != "pending":
            d.run_attempts = 0
            d.completed_at = None
        d.status = "pending"
        d.next_attempt_at = now
        d.updated_at = now
        session.flush()
        return _delivery_reps(session, [d])[0]


def _attempt_rep(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "attempted_at": iso(a.attempted_at),
        "success": a.success,
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "response_body": a.response_body,
        "error": a.error,
        "detail": a.detail,
    }


def _delivery_reps(
    session: Session, items: Sequence[WebhookDelivery | None]
) -> list[dict[str, Any]]:
    """Deliveries with their attempts (one query for all the attempts of the page)."""
    found = [d for d in items if d is not None]
    attempts: dict[str, list[dict[str, Any]]] = {d.id: [] for d in found}
    if found:
        stmt = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number, WebhookAttempt.id)
        )
        for a in session.scalars(stmt):
            attempts[a.delivery_id].append(_attempt_rep(a))
    return [
        {
            "id": d.id,
            "webhook_id": d.endpoint_id,
            "event_id": d.event_id,
            "event_type": d.event_type,
            "status": d.status,
            "attempt_count": d.attempt_count,
            "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "created_at": iso(d.created_at),
            "completed_at": iso(d.completed_at),
            "attempts": attempts[d.id],
        }
        for d in found
    ]


def deliveries(session: Session, p: Principal, webhook_id: str, q: DeliveryQuery) -> dict[str, Any]:
    """A page of an endpoint's deliveries, newest first, each with its attempts."""
    ep = _get(session, p, webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep.id)
    if q.status:
        stmt = stmt.where(WebhookDelivery.status == q.status)
    if q.event_type:
        stmt = stmt.where(WebhookDelivery.event_type == q.event_type)
    if q.event_id:
        stmt = stmt.where(WebhookDelivery.event_id == q.event_id)
    if q.since:
        stmt = stmt.where(WebhookDelivery.created_at >= q.since)
    if q.until:
        stmt = stmt.where(WebhookDelivery.created_at < q.until)
    stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    items, meta = paginate(session, stmt, q.page, q.per_page)
    return {"data": _delivery_reps(session, items), "meta": meta}


def get_delivery(
    session: Session, p: Principal, webhook_id: str, delivery_id: str
) -> dict[str, Any]:
    """One delivery and its attempts."""
    ep = _get(session, p, webhook_id)
    d = session.get(WebhookDelivery, delivery_id)
    if d is None or d.endpoint_id != ep.id:
        raise NotFound("delivery", delivery_id)
    return _delivery_reps(session, [d])[0]
