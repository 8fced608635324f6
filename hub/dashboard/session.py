"""Who is signed in: Flask-Login wiring, the `require` decorator, the dashboard's Principal.

Reusable by any page that needs an account user (the OAuth consent pages too): decorate with
`login_required`, and an anonymous visitor is sent to the sign-in page with `next` set to
where he was going; `safe_next` only ever sends him back to a path of this hub.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_login import LoginManager, UserMixin, current_user, login_required

from hub.auth.guard import Principal
from hub.auth.scopes import ALL_SCOPES
from hub.dashboard.i18n import t
from hub.dashboard.roles import allowed
from hub.db import get_db
from hub.models import AccountUser
from hub.models._common import ENVIRONMENTS

__all__ = ["DashboardUser", "init_login", "login_required", "principal", "require", "safe_next"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class DashboardUser(UserMixin):
    """The signed-in account user, as loaded once per request."""

    id: str
    account_id: str
    email: str
    role: str
    session_version: int
    has_totp: bool

    def get_id(self) -> str:
        """Id and password generation: a new password signs every other session out."""
        return f"{self.id}:{self.session_version}"

    def can(self, permission: str) -> bool:
        """True when the user's role holds `permission`."""
        return allowed(self.role, permission)


def _load(user_key: str) -> DashboardUser | None:
    user_id, _, version = user_key.partition(":")
    with get_db().session() as session:
        row = session.get(AccountUser, user_id)
        if row is None or not row.active or str(row.session_version) != version:
            return None
        return DashboardUser(
            row.id, row.account_id, row.email, row.role, row.session_version, bool(row.totp_secret)
        )


def init_login(app: Flask) -> LoginManager:
    """Flask-Login: sessions in the signed cookie, sign-in page `dashboard.login`."""
    manager = LoginManager()
    manager.login_view = "dashboard.login"
    manager.login_message = ""
    manager.session_protection = "basic"
    manager.user_loader(_load)
    manager.init_app(app)
    return manager


def require(permission: str) -> Callable[[F], F]:
    """Sign-in required, then 403 unless the user's role holds `permission`."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(permission):
                abort(403, t("Votre rôle ne permet pas cette action.", "Your role cannot do this."))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def principal(environment: str) -> Principal:
    """The signed-in user acting on one environment of his account (404 for a bad one)."""
    if environment not in ENVIRONMENTS:
        abort(404)
    return Principal(current_user.account_id, environment, ALL_SCOPES, f"user:{current_user.id}")


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this hub (never another host), else `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def client_address() -> str:
    """The caller's address (the proxy's view when the hub runs behind one: see deployment)."""
    return request.remote_addr or "unknown"


def settings() -> Any:
    """The hub's settings."""
    return current_app.config["IVALID"]
