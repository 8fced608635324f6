"""The account's people (owners only): invitations; and each user's own security (TOTP)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import t
from hub.dashboard.session import login_required, require, settings
from hub.dashboard.views.auth import link_url, send_link
from hub.db import get_session
from hub.errors import ApiError
from hub.models import Account
from hub.models.user import ROLES
from hub.services import users as service
from hub.timeutil import utcnow

TOTP_DRAFT = "ivalid_totp_draft"


@bp.get("/users")
@require("users:manage")
def users() -> str:
    """The people of the account and the invitation form."""
    rows = service.account_users(get_session(), current_user.account_id)
    return render_template("dashboard/users.html", rows=rows, roles=ROLES)


@bp.post("/users")
@require("users:manage")
def invite() -> tuple[str, int]:
    """Invite someone: an e-mail with a one-time link (also shown here, once)."""
    db = get_session()
    try:
        row = service.create_user(
            db, current_user.account_id, request.form.get("email", ""), request.form.get("role", "")
        )
    except service.UserError as err:
        raise ApiError(
            422, "VALIDATION_ERROR", {"errors": [{"field": "email", "message": str(err)}]}
        ) from err
    token = service.issue_link(db, row.id, "invitation", utcnow())
    account = db.get(Account, current_user.account_id)
    mailed = send_link(row.email, token, "invitation", account.name if account else "")
    rows = service.account_users(db, current_user.account_id)
    html = render_template(
        "dashboard/users.html",
        rows=rows,
        roles=ROLES,
        invited=row.email,
        link=link_url(token),
        mailed=mailed,
    )
    return html, 201


@bp.route("/security", methods=["GET", "POST"])
@login_required
def security() -> Response | tuple[str, int]:
    """An owner turns on the TOTP second factor (the app's code proves the secret was kept)."""
    if current_user.role != "owner":
        return render_template("dashboard/security.html", owner=False), 200
    if request.method == "POST":
        draft = session.get(TOTP_DRAFT, "")
        ok = draft and service.enable_totp(
            get_session(),
            settings(),
            current_user.id,
            draft,
            request.form.get("code", ""),
            utcnow(),
        )
        if ok:
            session.pop(TOTP_DRAFT, None)
            flash(t("Double authentification activée.", "Two-factor authentication on."), "ok")
            return redirect(url_for("dashboard.security"))
        error = t("Code incorrect.", "Wrong code.")
        return render_template(
            "dashboard/security.html",
            owner=True,
            secret=draft,
            error=error,
            uri=service.totp_uri(draft, current_user.email) if draft else "",
        ), 422
    if current_user.has_totp:
        return render_template("dashboard/security.html", owner=True, enabled=True), 200
    draft = session.get(TOTP_DRAFT) or service.new_totp_secret()
    session[TOTP_DRAFT] = draft
    return render_template(
        "dashboard/security.html",
        owner=True,
        secret=draft,
        uri=service.totp_uri(draft, current_user.email),
    ), 200
