"""Small helpers shared by the transport and the resources: headers, dates, parameter encoding."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, looked up case-insensitively even in a plain dict."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    raw = get_header(headers, "Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`; a naive datetime is taken to be UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text + "Z"


def encode_value(value: Any) -> Any:
    """A Python value made JSON-ready: datetimes and dates become ISO 8601 strings."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encode_value(v) for v in value]
    return value


def encode_query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as strings: None dropped, booleans lower-case, lists comma-joined."""
    query: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple, set, frozenset)):
            query[key] = ",".join(str(encode_value(v)) for v in value)
        else:
            query[key] = str(encode_value(value))
    return query


def encode_body(body: Mapping[str, Any] | None) -> bytes | None:
    """A JSON request body; an explicit None is sent as null (callers omit what they don't set)."""
    if body is None:
        return None
    return json.dumps(encode_value(body), ensure_ascii=False, separators=(",", ":")).encode()


def as_date(value: Any) -> Any:
    """A calendar-day parameter: a datetime is cut to its date; text is passed through."""
    if isinstance(value, datetime):
        return value.date()
    return value
