"""Paramètres → API → Credentials: API keys and OAuth clients per environment."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub.auth.scopes import SCOPES
from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import t
from hub.dashboard.session import principal, require
from hub.db import get_session
from hub.errors import ApiError
from hub.services import credentials as service


def _page(env: str, issued: service.IssuedSecret | None = None, kind: str = "") -> str:
    p = principal(env)
    data = service.list_credentials(get_session(), p.account_id, env)
    return render_template(
        "dashboard/credentials.html",
        env=env,
        data=data,
        scopes=SCOPES,
        issued=issued,
        issued_kind=kind,
    )


@bp.get("/<env>/settings/api/credentials")
@require("credentials:view")
def credentials(env: str) -> str:
    """The environment's keys and clients, with scopes and last use; never a secret."""
    return _page(env)


def _scopes() -> str | None:
    chosen = [s for s in request.form.getlist("scopes") if s in SCOPES]
    return " ".join(chosen) or None


def _guard(err: service.CredentialError) -> ApiError:
    return ApiError(422, "VALIDATION_ERROR", {"errors": [{"message": str(err)}]})


@bp.post("/<env>/settings/api/keys")
@require("credentials:manage")
def create_key(env: str) -> str:
    """A new API key; the page shows it this once."""
    p = principal(env)
    name = request.form.get("name", "").strip()[:200]
    try:
        issued = service.create_key(get_session(), p.account_id, env, _scopes(), name)
    except service.CredentialError as err:
        raise _guard(err) from err
    return _page(env, issued, "key")


@bp.post("/<env>/settings/api/clients")
@require("credentials:manage")
def create_client(env: str) -> str:
    """A new OAuth client (client_credentials); the secret is shown this once."""
    p = principal(env)
    name = request.form.get("name", "").strip()[:200]
    try:
        issued = service.create_client(get_session(), p.account_id, env, _scopes(), name)
    except service.CredentialError as err:
        raise _guard(err) from err
    return _page(env, issued, "client")


@bp.post("/<env>/settings/api/keys/<key_id>/rotate")
@require("credentials:manage")
def rotate_key(env: str, key_id: str) -> str:
    """Revoke a key and issue its replacement (same name and scopes), shown once."""
    p = principal(env)
    try:
        issued = service.rotate_key(get_session(), p.account_id, key_id)
    except service.CredentialError as err:
        raise _guard(err) from err
    return _page(issued.environment, issued, "key")


@bp.post("/<env>/settings/api/keys/<key_id>/revoke")
@require("credentials:manage")
def revoke_key(env: str, key_id: str) -> Response:
    """Revoke a key now."""
    service.revoke_key(get_session(), current_user.account_id, key_id)
    flash(t("Clé révoquée.", "Key revoked."), "ok")
    return redirect(url_for("dashboard.credentials", env=env))


@bp.post("/<env>/settings/api/clients/<client_id>/rotate")
@require("credentials:manage")
def rotate_client(env: str, client_id: str) -> str:
    """A new secret for a client, shown once (tokens already issued keep working)."""
    p = principal(env)
    try:
        issued = service.rotate_client(get_session(), p.account_id, client_id)
    except service.CredentialError as err:
        raise _guard(err) from err
    return _page(issued.environment, issued, "client")


@bp.post("/<env>/settings/api/clients/<client_id>/revoke")
@require("credentials:manage")
def revoke_client(env: str, client_id: str) -> Response:
    """Revoke a client and every token it holds."""
    service.revoke_client(get_session(), current_user.account_id, client_id)
    flash(t("Client révoqué.", "Client revoked."), "ok")
    return redirect(url_for("dashboard.credentials", env=env))
