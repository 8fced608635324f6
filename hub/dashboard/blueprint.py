"""The dashboard's blueprint: CSRF on every form, HTML error pages, template helpers."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, make_response, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from hub.dashboard.i18n import language, t
from hub.errors import ApiError, validation_error
from hub.i18n import message

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
csrf = CSRFProtect()

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@bp.before_request
def _check_csrf() -> None:
    """Every state-changing request of the dashboard carries the form's CSRF token."""
    if request.method not in SAFE_METHODS:
        csrf.protect()


@bp.after_request
def _no_store(resp: Response) -> Response:
    """Pages can show a secret once: never cached, never framed."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'",
    )
    return resp


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "_": t,
        "lang": language(),
        "user": current_user,
        "env_url": _env_url,
        "pretty": _pretty,
    }


def _pretty(value: Any) -> str:
    """JSON for people: indented, accents kept."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _env_url(environment: str) -> str:
    """The same page in another environment (a list page), or that environment's home."""
    args = dict(request.view_args or {})
    if request.endpoint and set(args) == {"env"}:
        return url_for(request.endpoint, env=environment)
    return url_for("dashboard.credentials", env=environment)


def error_page(status: int, text: str) -> Response:
    """An HTML error page with the status."""
    resp = make_response(render_template("dashboard/error.html", status=status, text=text))
    resp.status_code = status
    return resp


@bp.errorhandler(CSRFError)
def _csrf_error(err: CSRFError) -> Response:
    return error_page(
        400,
        t(
            "Le formulaire a expiré ou ne vient pas de cette page : rechargez-la.",
            "The form expired or did not come from this page: reload it.",
        ),
    )


@bp.errorhandler(ApiError)
def _api_error(err: ApiError) -> Response:
    return error_page(err.status, message(err.code, language(), **err.message_args))


@bp.errorhandler(ValidationError)
def _validation(exc: ValidationError) -> Response:
    err = validation_error(exc)
    lines = [f"{e['field']}: {e['message']}" for e in err.details["errors"]]
    return error_page(422, "; ".join(lines))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    text = {
        404: t("Page introuvable.", "Page not found."),
        403: t("Votre rôle ne permet pas cette action.", "Your role cannot do this."),
    }.get(status, exc.description or "")
    return error_page(status, text)
