"""Paramètres → Applications: the apps this account's users may authorize (Zapier, Make, the
account's own), and each user's "authorized apps", which he can revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub.auth.scopes import SCOPES, SCOPES_EN
from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import language, t
from hub.dashboard.session import principal, require
from hub.db import get_session
from hub.services import apps as service


@bp.get("/<env>/settings/apps")
@require("integrations:view")
def apps(env: str) -> str:
    """The registered apps and what the signed-in user granted."""
    p = principal(env)
    session = get_session()
    names = SCOPES_EN if language() == "en" else SCOPES
    return render_template(
        "dashboard/apps.html",
        env=env,
        registered=service.list_apps(session, p.account_id),
        grants=service.user_grants(session, current_user.id),
        scope_names=names,
    )


@bp.post("/<env>/settings/apps/grants/<grant_id>/revoke")
@require("integrations:view")
def revoke_grant(env: str, grant_id: str) -> Response:
    """The user withdraws an authorization: its tokens stop, its hooks are removed."""
    principal(env)
    service.revoke_user_grant(get_session(), current_user.id, grant_id)
    flash(
        t(
            "Autorisation révoquée : ses jetons et ses hooks sont supprimés.",
            "Authorization revoked: its tokens and hooks are gone.",
        ),
        "ok",
    )
    return redirect(url_for("dashboard.apps", env=env))
