"""The API's error format `{"error": {code, message, details, suggestions?}}` and its handlers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, has_request_context, jsonify, request
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from hub.i18n import message
from hub.i18n_fields import field_message

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API answers with; `code` is stable, the message is localised."""

    def __init__(
        self,
        status: int,
        code: str,
        details: dict[str, Any] | None = None,
        suggestions: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **message_args: Any,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.details = details or {}
        self.suggestions = suggestions
        self.headers = headers or {}
        self.message_args = message_args

    def body(self) -> dict[str, Any]:
        """The JSON body, with the message in the request's language."""
        err: dict[str, Any] = {
            "code": self.code,
            "message": message(self.code, preferred_language(), **self.message_args),
            "details": self.details,
        }
        if self.suggestions is not None:
            err["suggestions"] = self.suggestions
        return {"error": err}


class NotFound(ApiError):
    """404 NOT_FOUND: also what another tenant's object answers."""

    def __init__(self, resource: str, object_id: str) -> None:
        super().__init__(404, "NOT_FOUND", {"resource": resource, "id": object_id})


def preferred_language() -> str:
    """`en` when the client asks for English, French otherwise (the API's default)."""
    try:
        best = request.accept_languages.best_match(["fr", "en"], default="fr")
    except RuntimeError:  # outside a request
        return "fr"
    return best or "fr"


def error_response(err: ApiError) -> Response:
    """A Flask response for `err`."""
    resp = jsonify(err.body())
    resp.status_code = err.status
    for k, v in err.headers.items():
        resp.headers[k] = v
    if "Retry-After" in err.headers and has_request_context():
        # The rate limiter rewrites Retry-After on every response; it is put back afterwards
        # (hub.ratelimit), so a 503's "retry in 1 s" does not become "in 60 s".
        g.ivalid_retry_after = err.headers["Retry-After"]
    return resp


def field_error(field: str, reason: str, key: str | None = None, **ctx: Any) -> dict[str, Any]:
    """One `details.errors[]` entry, its message (`key` or `reason`) in the request's language."""
    text = field_message(key or reason, preferred_language(), ctx)
    return {"field": field, "reason": reason, "message": text}


def validation_error(exc: ValidationError, prefix: str = "") -> ApiError:
    """422 VALIDATION_ERROR listing each bad field with its path, reason and localised message."""
    errors = []
    for e in exc.errors(include_url=False):
        path = ".".join(str(p) for p in e["loc"] if p != "__root__")
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        text = field_message(e["type"], preferred_language(), dict(e.get("ctx") or {}))
        errors.append({"field": path, "reason": e["type"], "message": text})
    return ApiError(422, "VALIDATION_ERROR", {"errors": errors})


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "ROUTE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_UNAVAILABLE",
}


def register_error_handlers(app: Flask) -> None:
    """Every error, ours or Werkzeug's or unexpected, leaves in the API's format."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        return error_response(err)

    @app.errorhandler(ValidationError)
    def _pydantic_error(exc: ValidationError) -> Response:
        return error_response(validation_error(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        details: dict[str, Any] = {}
        headers: dict[str, str] = {}
        if status == 405:
            allowed = exc.valid_methods if hasattr(exc, "valid_methods") else None
            if allowed:
                details["allowed_methods"] = sorted(allowed)
                headers["Allow"] = ", ".join(sorted(allowed))
        if status == 404:
            details["path"] = request.path
        if status == 429:
            # Retry-After itself is set by Flask-Limiter from the window's reset time.
            limit = getattr(exc, "limit", None)
            if limit is not None:
                details["limit"] = str(getattr(limit, "limit", limit))
        err = ApiError(status, _HTTP_CODES.get(status, "HTTP_ERROR"), details, headers=headers)
        return error_response(err)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Response:
        # The database's own guards (unique keys, the no-double-booking exclusion constraint)
        # caught what the service's checks let through under a race: a conflict, not a crash.
        if "no_double_booking" in str(exc.orig):
            return error_response(
                ApiError(409, "SLOT_NOT_AVAILABLE", {"reason": "already_booked"}, suggestions=[])
            )
        log.warning("integrity error on %s %s: %s", request.method, request.path, exc.orig)
        return error_response(ApiError(409, "CONFLICT"))

    @app.errorhandler(DataError)
    def _bad_value(exc: DataError) -> Response:
        # A value the database cannot store that validation let through: the client's input.
        log.warning("data error on %s %s: %s", request.method, request.path, exc.orig)
        return error_response(
            ApiError(
                422,
                "VALIDATION_ERROR",
                {"errors": [field_error("", "invalid_value")]},
            )
        )

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError) -> Response:
        log.error("database error on %s %s: %s", request.method, request.path, exc.orig)
        return error_response(ApiError(503, "SERVICE_UNAVAILABLE", headers={"Retry-After": "1"}))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "INTERNAL_ERROR"))
