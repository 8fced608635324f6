"""Fixtures for the Zoho connector tests: the fake on a pinned clock, tokens, a connector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.zoho import ZohoConnector
from connectors.zoho.datacentres import DataCentres
from connectors.zoho.oauth import ZohoOAuth
from connectors.zoho.tokens import MemoryTokenCache, SharedTokenProvider
from hub.clock import ManualClock
from tests.connectors.zoho_support import START, connection_config
from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeZoho

REDIRECT_URI = "http://127.0.0.1:9/v2/integrations/zoho/callback"


@pytest.fixture
def clock() -> ManualClock:
    """The pinned clock of the fake (and of channel expiries)."""
    return ManualClock(START)


@pytest.fixture
def user_location() -> str:
    """Where the consenting user's organisation lives; override for another data centre."""
    return "us"


@pytest.fixture
def zoho(
    monkeypatch: pytest.MonkeyPatch, clock: ManualClock, user_location: str
) -> Iterator[FakeZoho]:
    """A running fake with the US and EU data centres."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeZoho(("us", "eu"), user_location=user_location, now=clock.now) as fake:
        yield fake


@pytest.fixture
def centres(zoho: FakeZoho) -> DataCentres:
    """The trusted data-centre table pointing at the fake."""
    return DataCentres.from_config(zoho.data_centres())


@pytest.fixture
def oauth(centres: DataCentres) -> ZohoOAuth:
    """The Zoho OAuth client of the fake's registered app."""
    return ZohoOAuth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, data_centres=centres)


@pytest.fixture
def provider(zoho: FakeZoho, oauth: ZohoOAuth, centres: DataCentres) -> SharedTokenProvider:
    """A token provider for a connection whose refresh token the fake issued."""
    location = zoho.accounts.user_location
    refresh, _ = zoho.issue_tokens(location)
    centre = centres.get(location)
    return SharedTokenProvider(
        "conn_test", refresh, lambda rt: oauth.refresh(centre, rt), MemoryTokenCache()
    )


@pytest.fixture
def zoho_connector(
    zoho: FakeZoho, provider: SharedTokenProvider, clock: ManualClock
) -> Iterator[ZohoConnector]:
    """A Zoho connector bound to the fake at the user's data centre."""
    config = connection_config(zoho, zoho.accounts.user_location)
    with ZohoConnector(provider, config, clock=clock.now) as conn:
        yield conn
