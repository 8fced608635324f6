"""Fixtures for connector tests: the Google fake, tokens, and a connector bound to both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.base import StaticTokenProvider
from connectors.google_calendar import GoogleCalendarConnector
from tests.fakes.google_calendar import (
    SCOPE,
    FakeGoogleCalendar,
    google_calendar_fake,
)

__all__ = ["google_calendar_fake"]


@pytest.fixture
def fake(google_calendar_fake: FakeGoogleCalendar) -> FakeGoogleCalendar:
    """The running Google fake (short name)."""
    return google_calendar_fake


@pytest.fixture
def token_scope() -> str:
    """Scope of the access token the connector uses; override to test missing scopes."""
    return SCOPE


@pytest.fixture
def access_token(fake: FakeGoogleCalendar, token_scope: str) -> str:
    """A valid access token issued by the fake."""
    return fake.issue_access_token(token_scope)


@pytest.fixture
def connector_config(fake: FakeGoogleCalendar) -> dict[str, object]:
    """Connection settings pointing the connector at the fake."""
    # One attempt: the error tests see each answer as it is (retries have their own tests).
    return {
        "api_base_url": fake.api_base_url,
        "page_size": 250,
        "now": pinned_now,
        "rate_limit_attempts": 1,
    }


def pinned_now() -> datetime:
    """The app clock of connector tests: the day their fixed-date events are around."""
    return datetime(2025, 1, 15, 12, tzinfo=UTC)


@pytest.fixture
def connector(
    access_token: str, connector_config: dict[str, object]
) -> Iterator[GoogleCalendarConnector]:
    """A Google Calendar connector talking to the fake with the real client library."""
    with GoogleCalendarConnector(StaticTokenProvider(access_token), connector_config) as conn:
        yield conn
