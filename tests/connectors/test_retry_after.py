"""One Retry-After parser (seconds and HTTP-date) for every connector and the webhook client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.errors import RateLimited, parse_retry_after
from connectors.google_calendar.api import translate_http_error
from hub.events import http


def _in(seconds: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


def test_the_webhook_client_uses_the_connectors_parser() -> None:
    assert http.parse_retry_after is parse_retry_after


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        pytest.param("120", 120, 120, id="seconds"),
        pytest.param(None, None, None, id="absent"),
    ],
)
def test_google_429_reads_seconds(header: str | None, low: int | None, high: int | None) -> None:
    headers = {"retry-after": header} if header is not None else {}
    err = translate_http_error(429, b"{}", headers)
    assert isinstance(err, RateLimited)
    if low is None:
        assert err.retry_after is None
    else:
        assert err.retry_after is not None and low <= err.retry_after <= high


def test_google_429_reads_an_http_date() -> None:
    """The date form was ignored before there was one parser."""
    err = translate_http_error(429, b"{}", {"retry-after": _in(90)})
    assert isinstance(err, RateLimited)
    assert err.retry_after is not None and 85 <= err.retry_after <= 90
