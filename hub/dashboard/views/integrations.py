"""Paramètres → Intégrations: status, connect, disconnect, sync now, synced streams,
calendars (calendar connectors), mapping editor.

What a page shows follows what the connector declares (its sync spec), never its name: the
technicians' calendars only for a connector with a per-technician stream, the streams the
status lists with a switch for the optional ones, the mapping preview on the kind of object
its mapping turns into remote records (an appointment, a customer)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

import connectors
from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import language, t
from hub.dashboard.session import principal, require
from hub.db import get_session
from hub.errors import ApiError
from hub.i18n import message
from hub.integrations.runtime import SyncRuntime
from hub.models import Appointment, Customer
from hub.schemas.integrations import IntegrationSettingsUpdate, TechnicianLinkUpdate
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


# How many objects the mapping preview offers to pick from (the latest first).
PREVIEW_CHOICES = 50


def _choices(env: str, account_id: str, kind: str | None) -> list[tuple[str, str]]:
    """(id, label) of the account's objects the preview can show, of the connector's kind."""
    db = get_session()
    if kind == "customer":
        customers = db.scalars(
            select(Customer)
            .where(Customer.account_id == account_id, Customer.environment == env)
            .order_by(Customer.created_at.desc(), Customer.id)
            .limit(PREVIEW_CHOICES)
        ).all()
        return [
            (c.id, " ".join(x for x in (c.first_name, c.last_name) if x) + f" · {c.email or c.id}")
            for c in customers
        ]
    if kind == "appointment":
        appointments = db.scalars(
            select(Appointment)
            .where(Appointment.account_id == account_id, Appointment.environment == env)
            .order_by(Appointment.scheduled_at.desc())
            .limit(PREVIEW_CHOICES)
        ).all()
        return [(a.id, f"{a.scheduled_at} · {a.id}") for a in appointments]
    return []


def _detail(env: str, name: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    p = principal(env)
    db = get_session()
    info = service.get(_rt(), db, p, name)
    calendar = connectors.spec_of(name).per_technician_stream() is not None
    kind = service.preview_kind(name)
    context: dict[str, Any] = {
        "env": env,
        "info": info,
        "calendar": calendar,
        "links": service.list_links(db, p, name) if calendar else None,
        "preview_kind": kind,
        "choices": _choices(env, p.account_id, kind),
        "mapping_text": service.mapping_yaml(db, p, name),
        "mapping": service.get_mapping(db, p, name),
    }
    context.update(extra)
    return render_template("dashboard/integration.html", **context), status


@bp.get("/<env>/settings/integrations/<name>")
@require("integrations:view")
def integration(env: str, name: str) -> tuple[str, int]:
    """One integration: status, streams, technicians' calendars, the mapping editor."""
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


@bp.post("/<env>/settings/integrations/<name>/streams/<stream>")
@require("integrations:manage")
def set_stream(env: str, name: str, stream: str) -> Response | tuple[str, int]:
    """Turn an optional stream on (`enabled=1`) or off (`enabled=0`), through the service the
    API's `PATCH /v2/integrations/{name}` uses: turning one on makes its pull due at once.
    A refusal (a stream always synced, one the connector has not) comes back on the page."""
    value = request.form.get("enabled", "")
    if value not in ("0", "1"):
        return _detail(
            env, name, 422, streams_error=t("Choix invalide (0 ou 1).", "Invalid choice (0 or 1).")
        )
    body = IntegrationSettingsUpdate(streams={stream: value == "1"})
    try:
        service.update_settings(_rt(), get_session(), principal(env), name, body)
    except ApiError as err:
        if err.code not in ("UNKNOWN_STREAM", "STREAM_REQUIRED"):
            raise
        text = message(err.code, language(), **err.message_args)
        return _detail(env, name, err.status, streams_error=text)
    if value == "1":
        text = t(
            f"Flux {stream} activé : il est lu à la prochaine synchronisation.",
            f"Stream {stream} turned on: it is read at the next sync.",
        )
    else:
        text = t(f"Flux {stream} désactivé.", f"Stream {stream} turned off.")
    return _back(env, name, text)


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
    """What a real appointment (or customer, for a connector mapping customers) becomes
    remotely with the YAML in the editor (not saved)."""
    text = request.form.get("mapping", "")
    object_id = request.form.get("object_id") or request.form.get("appointment_id", "")
    try:
        result = service.preview_yaml(get_session(), principal(env), name, text, object_id)
    except ApiError as err:
        return _mapping_error(env, name, err, text)
    return _detail(env, name, mapping_text=text, preview=result, chosen=object_id)
