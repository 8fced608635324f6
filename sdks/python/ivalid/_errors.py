"""The SDK's error hierarchy: every failure the API reports becomes one `IValidError` subclass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._util import get_header, parse_retry_after

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "IValidError",
    "IdempotencyError",
    "InvalidStatusTransition",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "SignatureVerificationError",
    "SlotNotAvailable",
    "ValidationError",
    "error_from_response",
]


class IValidError(Exception):
    """Base of every error raised by the SDK; carries what the API said about the failure."""

    def __init__(
        self,
        message: str | None = None,
        *,
        http_status: int | None = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        suggestions: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        http_body: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message or ""
        self.http_status = http_status
        self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.suggestions: list[dict[str, Any]] = list(suggestions or [])
        self.request_id = request_id
        self.headers: dict[str, str] = dict(headers or {})
        self.json_body = json_body
        self.http_body = http_body

    def __str__(self) -> str:
        parts = []
        if self.http_status is not None:
            parts.append(str(self.http_status))
        if self.code:
            parts.append(self.code)
        prefix = " ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else (self.message or "<no message>")
        if self.request_id:
            text += f" (request {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, http_status={self.http_status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class APIConnectionError(IValidError):
    """The server could not be reached, or the connection broke before a response arrived."""


class SignatureVerificationError(IValidError):
    """A webhook's signature or timestamp did not check out."""


class APIError(IValidError):
    """The API answered with an error status; subclasses narrow it down by status and code."""


class BadRequestError(APIError):
    """400: the request was malformed."""


class AuthenticationError(APIError):
    """401: no credentials, or an invalid or expired token (`UNAUTHENTICATED`, `INVALID_TOKEN`)."""


class PermissionDeniedError(APIError):
    """403: the credentials lack a scope the call needs (`INSUFFICIENT_SCOPE`)."""


class NotFoundError(APIError):
    """404: no such resource in this account and environment."""


class ConflictError(APIError):
    """409: the request conflicts with the current state of a resource."""


class SlotNotAvailable(ConflictError):
    """409 `SLOT_NOT_AVAILABLE`: the slot is taken; `.suggestions` lists free alternatives."""


class InvalidStatusTransition(ConflictError):
    """409 `INVALID_STATUS_TRANSITION`: e.g. confirming an appointment that was cancelled."""


class ValidationError(APIError):
    """422 `VALIDATION_ERROR`: `.errors` lists each rejected field and why."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The per-field problems: `[{"field": ..., "reason": ...}]`."""
        errors = self.details.get("errors")
        return list(errors) if isinstance(errors, list) else []

    def __str__(self) -> str:
        text = super().__str__()
        fields = "; ".join(
            f"{e.get('field')}: {e.get('reason')}" for e in self.errors if isinstance(e, dict)
        )
        return f"{text} [{fields}]" if fields else text


class IdempotencyError(APIError):
    """422 `IDEMPOTENCY_KEY_REUSED`: an Idempotency-Key was reused with a different request."""


class RateLimitError(APIError):
    """429 `RATE_LIMIT_EXCEEDED`, raised once the SDK's own retries are used up."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (the `Retry-After` header), if it said."""
        return parse_retry_after(self.headers)


class ServerError(APIError):
    """5xx: the server failed; safe requests were already retried."""


_BY_CODE: dict[str, type[APIError]] = {
    "SLOT_NOT_AVAILABLE": SlotNotAvailable,
    "INVALID_STATUS_TRANSITION": InvalidStatusTransition,
    "VALIDATION_ERROR": ValidationError,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyError,
    "RATE_LIMIT_EXCEEDED": RateLimitError,
}

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_from_response(
    http_status: int,
    json_body: Any,
    headers: Mapping[str, str],
    http_body: str | None = None,
) -> APIError:
    """The most specific error for an API error response (`{"error": {code, message, ...}}`)."""
    error = json_body.get("error") if isinstance(json_body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    details = error.get("details") if isinstance(error.get("details"), dict) else None
    suggestions = error.get("suggestions") if isinstance(error.get("suggestions"), list) else None
    cls = _BY_CODE.get(code or "") or _BY_STATUS.get(http_status)
    if cls is None:
        cls = ServerError if http_status >= 500 else APIError
    return cls(
        message or (http_body or "").strip()[:500] or f"HTTP {http_status}",
        http_status=http_status,
        code=code,
        details=details,
        suggestions=suggestions,
        request_id=get_header(headers, "X-Request-Id"),
        headers=headers,
        json_body=json_body,
        http_body=http_body,
    )
