"""Paramètres → Intégrations: status, connect, disconnect, sync now, calendars, mapping editor."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import t
from hub.dashboard.session import principal, require
from hub.db import get_session
from hub.errors import ApiError
from hub.integrations.runtime import SyncRuntime
from hub.models import Appointment
from hub.schemas.integrations import TechnicianLinkUpdate
from hub.services import integrations as service

# The session's secret that connect links started here are bound to
# (see hub/integrations/connect.py).
BINDING = "ivalid_connect_binding"

# The six integrations the documentation lists; those without a connector in this
# installation are shown as not available rather than hidden.
DOCUMENTED = (
    ("google-calendar", "Google Calendar"),
    ("outlook", "Microsoft Outlook / 365"),
    ("zoho", "Zoho CRM"),
    ("stripe", "Stripe"),
    ("zapier", "Zapier"),
    ("make", "Make (Integromat)"),
)


def _rt() -> SyncRuntime:
    return service.runtime_for(current_app._get_current_object())  # type: ignore[attr-defined]


def binding() -> str:
    """This browser session's connect binding (made on first use)."""
    value = session.get(BINDING)
    if not value:
        value = session[BINDING] = secrets.token_urlsafe(32)
    return str(value)


@bp.get("/<env>/settings/integrations")
@require("integrations:view")
def integrations(env: str) -> str:
    """The documented integrations with their status."""
    known = {i["name"]: i for i in service.list_(_rt(), get_session(), principal(env))["data"]}
    rows = [
        known.get(name, {"name": name, "display_name": display, "status": "unavailable"})
        for name, display in DOCUMENTED
    ]
    rows += [i for n, i in known.items() if n not in dict(DOCUMENTED)]
    return render_template("dashboard/integrations.html", env=env, rows=rows)


def _detail(env: str, name: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    p = principal(env)
    db = get_session()
    info = service.get(_rt(), db, p, name)
    links = service.list_links(db, p, name)
    appointments = db.scalars(
        select(Appointment)
        .where(Appointment.account_id == p.account_id, Appointment.environment == env)
        .order_by(Appointment.scheduled_at.desc())
        .limit(50)
    ).all()
    context: dict[str, Any] = {
        "env": env,
        "info": info,
        "links": links,
        "appointments": appointments,
        "mapping_text": service.mapping_yaml(db, p, name),
        "mapping": service.get_mapping(db, p, name),
    }
    context.update(extra)
    return render_template("dashboard/integration.html", **context), status


@bp.get("/<env>/settings/integrations/<name>")
@require("integrations:view")
def integration(env: str, name: str) -> tuple[str, int]:
    """One integration: status, technicians' calendars, the mapping editor."""
    return _detail(env, name)


def _back(env: str, name: str, text: str) -> Response:
    flash(text, "ok")
    return redirect(url_for("dashboard.integration", env=env, name=name))


@bp.post("/<env>/settings/integrations/<name>/connect")
@require("integrations:manage")
def connect(env: str, name: str) -> Response:
    """To the provider's consent page; the link works only for this browser session."""
    started = service.start_connect(_rt(), principal(env), name, binding())
    return redirect(started["authorization_url"])


@bp.post("/<env>/settings/integrations/<name>/disconnect")
@require("integrations:manage")
def disconnect(env: str, name: str) -> Response:
    """Stop syncing and revoke the grant."""
    service.disconnect(_rt(), principal(env), name)
    return _back(env, name, t("Intégration déconnectée.", "Integration disconnected."))


@bp.post("/<env>/settings/integrations/<name>/sync")
@require("integrations:manage")
def sync_now(env: str, name: str) -> Response:
    """Ask the worker to sync now."""
    service.request_sync(_rt(), get_session(), principal(env), name)
    return _back(env, name, t("Synchronisation demandée.", "Sync queued."))


@bp.post("/<env>/settings/integrations/<name>/links/<technician_id>")
@require("integrations:manage")
def link_technician(env: str, name: str, technician_id: str) -> Response:
    """Send a technician's appointments to a calendar (or to none)."""
    body = TechnicianLinkUpdate(calendar_id=request.form.get("calendar_id") or None)
    service.set_link(_rt(), get_session(), principal(env), name, technician_id, body)
    return _back(env, name, t("Agenda enregistré.", "Calendar saved."))


def _mapping_error(env: str, name: str, err: ApiError, text: str) -> tuple[str, int]:
    if err.code != "MAPPING_INVALID":
        raise err
    return _detail(env, name, 422, mapping_text=text, mapping_error=err.details)


@bp.post("/<env>/settings/integrations/<name>/mapping")
@require("mapping:manage")
def save_mapping(env: str, name: str) -> Response | tuple[str, int]:
    """Store the YAML override (errors come back with their line)."""
    text = request.form.get("mapping", "")
    try:
        service.set_mapping_yaml(get_session(), principal(env), name, text)
    except ApiError as err:
        return _mapping_error(env, name, err, text)
    return _back(env, name, t("Correspondance enregistrée.", "Mapping saved."))


@bp.post("/<env>/settings/integrations/<name>/mapping/preview")
@require("integrations:view")
def preview_mapping(env: str, name: str) -> tuple[str, int]:
    """What a real appointment becomes remotely with the YAML in the editor (not saved)."""
    text = request.form.get("mapping", "")
    appointment_id = request.form.get("appointment_id", "")
    try:
        result = service.preview_yaml(get_session(), principal(env), name, text, appointment_id)
    except ApiError as err:
        return _mapping_error(env, name, err, text)
    return _detail(env, name, mapping_text=text, preview=result, chosen=appointment_id)
