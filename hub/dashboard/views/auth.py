"""Sign in (password, then TOTP for owners who enabled it), sign out, set or reset a password."""

from __future__ import annotations

import logging

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import COOKIE, LANGUAGES, t
from hub.dashboard.session import (
    DashboardUser,
    client_address,
    login_required,
    safe_next,
    settings,
)
from hub.db import get_session
from hub.models import AccountUser
from hub.notify.email import EmailError
from hub.notify.templates import Message
from hub.services import users
from hub.services.notifications import email_sender_from
from hub.timeutil import utcnow

log = logging.getLogger(__name__)
PENDING = "ivalid_pending_totp"


def _home() -> str:
    return url_for("dashboard.credentials", env="sandbox")


def _page(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    return render_template(template, **context), status


def _sign_in(row: AccountUser, next_url: str) -> Response:
    session.clear()  # nothing from before the sign-in survives it (session fixation)
    login_user(
        DashboardUser(
            row.id, row.account_id, row.email, row.role, row.session_version, bool(row.totp_secret)
        )
    )
    session.permanent = True
    users.record_sign_in(get_session(), row.id, utcnow())
    return redirect(safe_next(next_url, _home()))


@bp.get("/")
def index() -> Response:
    """The dashboard's home: the sandbox credentials."""
    return redirect(_home())


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    """E-mail and password; a wrong pair and the attempt limit answer without saying more."""
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(next_url, _home()))
        return _page("dashboard/login.html", next=next_url)
    email = request.form.get("email", "")
    result = users.check_password(
        get_session(), email, request.form.get("password", ""), client_address(), utcnow()
    )
    if result.status == "limited":
        error = t(
            "Trop de tentatives : réessayez dans 15 minutes.",
            "Too many attempts: try again in 15 minutes.",
        )
        return _page("dashboard/login.html", 429, next=next_url, error=error, email=email)
    if result.status == "invalid" or result.user is None:
        error = t("E-mail ou mot de passe incorrect.", "Wrong e-mail or password.")
        return _page("dashboard/login.html", 401, next=next_url, error=error, email=email)
    if result.status == "totp_required":
        session.clear()
        session[PENDING] = {"user": result.user.id, "next": next_url}
        return redirect(url_for("dashboard.login_totp"))
    return _sign_in(result.user, next_url)


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Response | tuple[str, int]:
    """The second factor of an owner who enabled it."""
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("dashboard.login"))
    if request.method == "GET":
        return _page("dashboard/totp.html")
    db = get_session()
    row = db.get(AccountUser, pending["user"])
    # Codes are guessed at like passwords: the same limits count them.
    address = client_address()
    email = row.email if row is not None else ""
    if users.limited(db, email, address, utcnow()):
        return _page(
            "dashboard/totp.html", 429, error=t("Trop de tentatives.", "Too many attempts.")
        )
    if row is None or not users.totp_ok(settings(), row, request.form.get("code", ""), utcnow()):
        users.record_failure(db, email, address, utcnow())
        return _page("dashboard/totp.html", 401, error=t("Code incorrect.", "Wrong code."))
    return _sign_in(row, str(pending.get("next") or ""))


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the form's token: a link cannot sign anyone out)."""
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/lang/<code>")
def switch_language(code: str) -> Response:
    """Switch between French and English (a cookie), back to the page the user was on."""
    resp = redirect(safe_next(request.args.get("next"), _home()))
    if code in LANGUAGES:
        resp.set_cookie(
            COOKIE,
            code,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=settings().public_url.startswith("https://"),
        )
    return resp


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Response | tuple[str, int]:
    """The one-time link of `ivalid users create`, an invitation or a reset."""
    db = get_session()
    if users.link_user(db, token, utcnow()) is None:
        return _page(
            "dashboard/password.html",
            400,
            dead=True,
            error=t("Ce lien a expiré ou a déjà servi.", "This link has expired or was used."),
        )
    if request.method == "GET":
        return _page("dashboard/password.html")
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        error = t("Les deux mots de passe diffèrent.", "The two passwords differ.")
        return _page("dashboard/password.html", 422, error=error)
    try:
        users.set_password(db, token, password, utcnow())
    except users.UserError as exc:
        error = (
            t(
                f"Au moins {users.MIN_PASSWORD} caractères.",
                f"At least {users.MIN_PASSWORD} characters.",
            )
            if exc.code == "weak_password"
            else t("Ce lien a expiré ou a déjà servi.", "This link has expired or was used.")
        )
        return _page("dashboard/password.html", 422, error=error)
    return redirect(url_for("dashboard.login", done="password"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> tuple[str, int]:
    """Send a reset link by e-mail; the answer is the same whether the e-mail is known or not."""
    if request.method == "GET":
        return _page("dashboard/forgot.html")
    db = get_session()
    email = request.form.get("email", "").strip().lower()
    address = client_address()
    if users.limited(db, email, address, utcnow()):
        return _page(
            "dashboard/forgot.html", 429, error=t("Trop de demandes.", "Too many requests.")
        )
    row = db.query(AccountUser).filter(AccountUser.email == email).first() if email else None
    if row is not None and row.active:
        token = users.issue_link(db, row.id, "reset", utcnow())
        send_link(row.email, token, "reset")
    else:
        users.record_failure(db, email, address, utcnow())  # probing for e-mails costs attempts
    return _page("dashboard/forgot.html", sent=True)


def link_url(token: str) -> str:
    """The absolute URL of a one-time password link."""
    return settings().public_url.rstrip("/") + url_for("dashboard.set_password", token=token)


_MAILS = {
    "reset": (
        "Réinitialisation de votre mot de passe iValid",
        "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure) :"
        "\n{url}\n\nSi vous n'avez rien demandé, ignorez ce message.\n",
    ),
    "invitation": (
        "Invitation au dashboard iValid",
        "Bonjour,\n\nVous êtes invité(e) sur le dashboard iValid de {account}. Choisissez votre "
        "mot de passe avec ce lien (valable 7 jours) :\n{url}\n",
    ),
}


def send_link(email: str, token: str, purpose: str, account: str = "") -> bool:
    """E-mail a one-time link through the hub's SMTP sender; False when it could not."""
    subject, text = _MAILS[purpose]
    body = text.format(url=link_url(token), account=account)
    try:
        email_sender_from(settings()).send(email, Message(subject, body, None))
    except EmailError as exc:
        log.warning("could not e-mail a %s link to %s: %s", purpose, email, exc)
        return False
    return True


__all__ = ["login_required", "send_link"]
