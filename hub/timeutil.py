"""Time helpers: every instant is an aware UTC datetime, written ISO 8601 with `Z`."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current instant, aware, in UTC, to the microsecond."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z` suffix (seconds precision), or None."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # isoformat is implemented in C; this runs several times per object serialised.
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def iso_ms(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the webhook payload's `timestamp`."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_datetime(text: str) -> datetime:
    """Parse ISO 8601: a naive date-time is refused (ValueError); a date is midnight UTC."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("a time zone is required (e.g. 2025-01-20T09:00:00Z)")
    return value.astimezone(UTC)
