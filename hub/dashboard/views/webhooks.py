"""Webhooks: endpoints, their delivery log (filters), retry, recover, test, rotate the secret.

Every action calls hub/services/webhooks.py, the same functions the API's routes call.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import t
from hub.dashboard.session import principal, require, settings
from hub.db import get_session
from hub.errors import ApiError
from hub.models import Account
from hub.schemas.common import PageQuery
from hub.schemas.webhooks import DeliveryQuery, Recover, RotateSecret, WebhookCreate, WebhookUpdate
from hub.services import webhooks as service
from hub.services.events import SUBSCRIBABLE


def _zone(account_id: str) -> ZoneInfo:
    account = get_session().get(Account, account_id)
    return ZoneInfo(account.timezone if account else "Europe/Paris")


def _day(text: str, zone: ZoneInfo) -> datetime | None:
    """A date typed in a form (YYYY-MM-DD), as the start of that day in the account's zone."""
    if not text:
        return None
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), zone)
    except ValueError:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            {"errors": [{"field": "date", "reason": "date", "message": "YYYY-MM-DD"}]},
        ) from None


def _form_events() -> list[str]:
    return [e for e in request.form.getlist("events") if e]


def _list_page(env: str, created: dict[str, Any] | None = None, status: int = 200) -> Any:
    p = principal(env)
    endpoints = service.list_(get_session(), p, PageQuery(per_page=100), settings())
    html = render_template(
        "dashboard/webhooks.html",
        env=env,
        endpoints=endpoints["data"],
        event_types=SUBSCRIBABLE,
        created=created,
    )
    return html, status


@bp.get("/<env>/webhooks")
@require("webhooks:view")
def webhooks(env: str) -> Any:
    """The environment's endpoints."""
    return _list_page(env)


@bp.post("/<env>/webhooks")
@require("webhooks:manage")
def create_webhook(env: str) -> Any:
    """Register an endpoint with the documentation's fields; its secret is shown once."""
    body = WebhookCreate(
        url=request.form.get("url", "").strip(),
        events=_form_events(),
        description=request.form.get("description") or None,
        active=request.form.get("active", "on") == "on",
    )
    created = service.create(get_session(), principal(env), body, settings())
    return _list_page(env, created, 201)


def _detail(env: str, webhook_id: str, secret: str | None = None, status: int = 200) -> Any:
    p = principal(env)
    session = get_session()
    endpoint = service.get(session, p, webhook_id, settings())
    zone = _zone(p.account_id)
    args = request.args
    try:
        query = DeliveryQuery(
            page=int(args.get("page") or 1),
            per_page=25,
            status=args.get("status") or None,  # type: ignore[arg-type]
            event_type=args.get("event_type") or None,
            since=_day(args.get("since", ""), zone),
        )
    except (ValidationError, ValueError):
        query = DeliveryQuery(per_page=25)
    log = service.deliveries(session, p, webhook_id, query)
    html = render_template(
        "dashboard/webhook.html",
        env=env,
        ep=endpoint,
        log=log,
        event_types=SUBSCRIBABLE,
        filters=args,
        secret=secret,
    )
    return html, status


@bp.get("/<env>/webhooks/<webhook_id>")
@require("webhooks:view")
def webhook(env: str, webhook_id: str) -> Any:
    """One endpoint and its delivery log, filtered by event, status and date."""
    return _detail(env, webhook_id)


def _back(env: str, webhook_id: str, text: str) -> Response:
    flash(text, "ok")
    return redirect(url_for("dashboard.webhook", env=env, webhook_id=webhook_id))


@bp.post("/<env>/webhooks/<webhook_id>/edit")
@require("webhooks:manage")
def edit_webhook(env: str, webhook_id: str) -> Response:
    """Change the URL, events and description."""
    body = WebhookUpdate(
        url=request.form.get("url", "").strip() or None,
        events=_form_events() or None,
        description=request.form.get("description", ""),
    )
    service.update_endpoint(get_session(), principal(env), webhook_id, body, settings())
    return _back(env, webhook_id, t("Webhook enregistré.", "Webhook saved."))


@bp.post("/<env>/webhooks/<webhook_id>/active")
@require("webhooks:manage")
def toggle_webhook(env: str, webhook_id: str) -> Response:
    """Disable (pending deliveries are cancelled) or enable again."""
    active = request.form.get("active") == "1"
    body = WebhookUpdate(active=active)
    service.update_endpoint(get_session(), principal(env), webhook_id, body, settings())
    return _back(
        env,
        webhook_id,
        t("Webhook activé.", "Webhook enabled.")
        if active
        else t("Webhook désactivé.", "Webhook disabled."),
    )


@bp.post("/<env>/webhooks/<webhook_id>/test")
@require("webhooks:manage")
def test_webhook(env: str, webhook_id: str) -> Response:
    """Queue a `webhook.test` event to this endpoint."""
    service.send_test(get_session(), principal(env), webhook_id)
    return _back(env, webhook_id, t("Événement de test envoyé.", "Test event sent."))


@bp.post("/<env>/webhooks/<webhook_id>/rotate")
@require("webhooks:manage")
def rotate_webhook(env: str, webhook_id: str) -> Any:
    """A new signing secret (the old one signs too for 24 hours), shown once."""
    rep = service.rotate_secret(
        get_session(), principal(env), webhook_id, RotateSecret(), settings()
    )
    return _detail(env, webhook_id, secret=rep["secret"])


@bp.post("/<env>/webhooks/<webhook_id>/recover")
@require("webhooks:manage")
def recover_webhook(env: str, webhook_id: str) -> Response:
    """Send again every subscribed event since a date."""
    p = principal(env)
    since = _day(request.form.get("since", ""), _zone(p.account_id))
    if since is None:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            {"errors": [{"field": "since", "reason": "missing", "message": "YYYY-MM-DD"}]},
        )
    result = service.recover(get_session(), p, webhook_id, Recover(since=since))
    return _back(
        env,
        webhook_id,
        t(f"{result['queued']} événement(s) renvoyé(s).", f"{result['queued']} event(s) queued."),
    )


@bp.post("/<env>/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
@require("webhooks:manage")
def retry_delivery(env: str, webhook_id: str, delivery_id: str) -> Response:
    """Send one delivery again now."""
    service.retry_delivery(get_session(), principal(env), webhook_id, delivery_id)
    return _back(env, webhook_id, t("Nouvel essai programmé.", "Retry queued."))
