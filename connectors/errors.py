"""The errors a connector may raise, the back-off between retries, and the Retry-After parser.

A connector raises only these, so the sync engine can decide uniformly: reconnect
(`AuthError`), retry later (`TransientError`, `RateLimited`), re-read then retry
(`PreconditionFailed`), clear the cursor and full-sync (`CursorExpired`), or give up on one
record (`NotFound`, `InvalidRequest`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar


class ConnectorError(Exception):
    """Base of every error a connector raises; carries the HTTP status and vendor reason."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        reason: str | None = None,
        details: Any = None,
    ) -> None:
        """Build the error; `reason` is the vendor's machine-readable code when it gave one."""
        super().__init__(message or type(self).__name__)
        self.message = message or type(self).__name__
        self.status = status
        self.reason = reason
        self.details = details


class AuthError(ConnectorError):
    """A person must reconnect: invalid_grant, 401 after a refresh, a scope not granted."""


class TransientError(ConnectorError):
    """Retry later with backoff: 5xx, network failure, per-user or per-project quota."""

    retryable = True


class RateLimited(TransientError):
    """The remote asked us to slow down (429); `retry_after` seconds when it said so."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        """Build the error with the server's Retry-After, if any."""
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PreconditionFailed(ConnectorError):
    """The remote record changed since its etag was read (412): re-read, merge, retry."""


class CursorExpired(ConnectorError):
    """The stream cursor is no longer valid (410): clear it and run a full sync."""


class NotFound(ConnectorError):
    """The remote record (or channel) does not exist."""


class Conflict(ConnectorError):
    """The remote refused a create because a record with that id already exists (409)."""


class InvalidRequest(ConnectorError):
    """The remote rejected the request itself (400, 403 forbidden, 422): retrying won't help."""


class NotSupported(ConnectorError):
    """This connector does not offer the operation (e.g. push notifications)."""


def backoff_delay(
    attempt: int, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number `attempt` (0-based): exponential with full jitter."""
    ceiling = min(cap, base * (2 ** max(attempt, 0)))
    return (rng or random).uniform(0.0, ceiling)


def retry_delay(
    error: ConnectorError,
    attempt: int,
    base: float = 1.0,
    cap: float = 300.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retrying after `error`: the server's Retry-After wins when given."""
    delay = backoff_delay(attempt, base, cap, rng)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return max(delay, error.retry_after)
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110).

    The one parser every connector and the webhook client use. None when the header is absent
    or unreadable; a date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # obsolete date formats carry no zone; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
