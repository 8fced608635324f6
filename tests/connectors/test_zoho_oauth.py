"""Zoho OAuth: consent per data centre, untrusted hosts refused, refresh limit, revocation,
and the access token shared by every process and refreshed once."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import requests

from connectors.base import AuthError, RateLimited
from connectors.zoho import ZohoConnector
from connectors.zoho.datacentres import ZOHO_DATA_CENTRES, DataCentres
from connectors.zoho.oauth import ZohoOAuth
from connectors.zoho.tokens import MemoryTokenCache, RedisTokenCache, SharedTokenProvider
from hub.clock import ManualClock
from tests.connectors.zoho_support import connection_config, seed_contacts
from tests.fakes.zoho import FakeZoho

pytest_plugins = ["tests.connectors.zoho_fixtures"]


def _consent(oauth: ZohoOAuth) -> tuple[dict[str, str], str]:
    """Follow the consent URL to the fake (which consents at once); the callback's query."""
    url, state = oauth.authorization_url()
    resp = requests.get(url, allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}, state


def test_authorization_url_asks_offline_consent_at_the_us_server(
    oauth: ZohoOAuth, zoho: FakeZoho
) -> None:
    """Consent starts at the US accounts server with offline access, forced consent, scopes."""
    url, state = oauth.authorization_url()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}" == zoho.base("us")
    assert parts.path == "/oauth/v2/auth"
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["response_type"] == ["code"] and query["state"] == [state]
    assert "ZohoCRM.modules.contacts.ALL" in query["scope"][0].split(",")


@pytest.mark.parametrize("user_location", ["eu"])
def test_eu_connection_end_to_end(
    oauth: ZohoOAuth, zoho: FakeZoho, clock: ManualClock, centres: DataCentres
) -> None:
    """An EU user: the code goes to the EU accounts server, every API call to the EU domain."""
    callback, state = _consent(oauth)
    assert callback["location"] == "eu" and callback["accounts-server"] == zoho.base("eu")
    grant = oauth.exchange(callback, state)
    assert grant.to_config() == {
        "location": "eu",
        "accounts_server": zoho.base("eu"),
        "api_domain": zoho.base("eu"),
    }
    assert zoho.accounts.token_calls == [("eu", "authorization_code")]
    ids = seed_contacts(zoho, 3, "eu")
    provider = SharedTokenProvider(
        "conn_eu",
        grant.token.refresh_token or "",
        lambda rt: oauth.refresh(grant.centre, rt),
        MemoryTokenCache(),
    )
    provider.seed(grant.token)
    config = connection_config(zoho, "eu")
    with ZohoConnector(provider, config, clock=clock.now) as connector:
        pages = list(connector.read("contacts", None))
        created = connector.create("contacts", {"Last_Name": "Müller", "Email": "m@x.eu"})
    assert sorted(r.id for p in pages for r in p.records) == sorted(ids)
    assert created.id in zoho.store("eu").modules["Contacts"].records
    assert not zoho.store("us").modules["Contacts"].records
    assert {r.location for r in zoho.requests if r.path.startswith("/crm/")} == {"eu"}


@pytest.mark.parametrize(
    ("location", "server"),
    [
        pytest.param("eu", "https://accounts.evil.example", id="foreign-server"),
        pytest.param("xx", None, id="unknown-location"),
    ],
)
def test_untrusted_accounts_server_is_refused_before_any_call(
    oauth: ZohoOAuth, zoho: FakeZoho, location: str, server: str | None
) -> None:
    """A callback naming a host outside the table never receives the code or the secret."""
    callback, state = _consent(oauth)
    callback["location"] = location
    if server:
        callback["accounts-server"] = server
    with pytest.raises(AuthError):
        oauth.exchange(callback, state)
    assert zoho.accounts.token_calls == []


def test_zoho_table_lists_every_documented_data_centre() -> None:
    """The default table is Zoho's list; a look-alike host is not in it."""
    table = DataCentres()
    assert set(ZOHO_DATA_CENTRES) == {"us", "eu", "in", "au", "jp", "cn", "ca", "sa"}
    assert table.get("eu").accounts_server == "https://accounts.zoho.eu"
    assert table.get("ca").accounts_server == "https://accounts.zohocloud.ca"
    with pytest.raises(AuthError):
        table.from_callback("eu", "https://accounts.zoho.eu.evil.example")


def test_state_mismatch_is_refused(oauth: ZohoOAuth, zoho: FakeZoho) -> None:
    """The callback's state must be the one issued."""
    callback, _ = _consent(oauth)
    with pytest.raises(AuthError):
        oauth.exchange(callback, "another-state")


def test_eleventh_refresh_in_ten_minutes_is_rate_limited(
    oauth: ZohoOAuth, zoho: FakeZoho, centres: DataCentres
) -> None:
    """Zoho mints ten access tokens per refresh token in ten minutes; the next waits."""
    refresh, _ = zoho.issue_tokens("us")  # minted one already
    centre = centres.get("us")
    for _ in range(9):
        oauth.refresh(centre, refresh)
    with pytest.raises(RateLimited) as info:
        oauth.refresh(centre, refresh)
    assert info.value.retry_after == 600


def test_revocation_ends_the_connection(
    oauth: ZohoOAuth,
    zoho: FakeZoho,
    zoho_connector: ZohoConnector,
    provider: SharedTokenProvider,
    centres: DataCentres,
) -> None:
    """After revoking, the access token is dead and refreshing is refused: reconnect."""
    zoho_connector.check()
    oauth.revoke(centres.get("us"), provider.refresh_token)
    oauth.revoke(centres.get("us"), provider.refresh_token)  # twice is fine
    with pytest.raises(AuthError):
        zoho_connector.check()


def test_401_refreshes_once_and_retries(
    zoho: FakeZoho, zoho_connector: ZohoConnector, provider: SharedTokenProvider
) -> None:
    """An access token Zoho no longer accepts is refreshed once, and the call goes through."""
    zoho_connector.check()
    assert provider.refreshes == 1
    zoho.accounts.expire_access_tokens()
    zoho_connector.check()
    assert provider.refreshes == 2


def _worker(args: tuple[str, str, str, dict[str, Any], int]) -> str:
    """One worker process: its own Redis client, same connection key; returns its token."""
    redis_url, refresh, key, table, _ = args
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    from connectors.zoho.datacentres import DataCentres as Centres
    from connectors.zoho.oauth import ZohoOAuth as OAuth
    from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    centres = Centres.from_config(table)
    oauth = OAuth(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "http://127.0.0.1:9/cb", data_centres=centres
    )
    cache = RedisTokenCache(redis.Redis.from_url(redis_url), prefix="test:zoho:")
    provider = SharedTokenProvider(
        key, refresh, lambda rt: oauth.refresh(centres.get("us"), rt), cache
    )
    return provider.get_access_token()


@pytest.fixture
def redis_url() -> str:
    """The test Redis (IVALID_TEST_REDIS_URL); CI runs these against its local Redis."""
    url = os.environ.get("IVALID_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs IVALID_TEST_REDIS_URL")
    return url


def test_threads_share_one_token_and_refresh_once(zoho: FakeZoho, oauth: ZohoOAuth) -> None:
    """Twenty threads of one process asking at once: one refresh."""
    refresh, _ = zoho.issue_tokens("us")
    centre = DataCentres.from_config(zoho.data_centres()).get("us")
    provider = SharedTokenProvider(
        "conn_threads", refresh, lambda rt: oauth.refresh(centre, rt), MemoryTokenCache()
    )
    with ThreadPoolExecutor(20) as pool:
        tokens = set(pool.map(lambda _: provider.get_access_token(), range(20)))
    assert len(tokens) == 1 and provider.refreshes == 1


def test_processes_share_one_token_and_refresh_once(zoho: FakeZoho, redis_url: str) -> None:
    """Six worker processes needing a token at once: one refresh, one token for all."""
    client = redis.Redis.from_url(redis_url)
    for stale in client.scan_iter("test:zoho:*"):
        client.delete(stale)
    refresh, _ = zoho.issue_tokens("us")
    before = len(zoho.accounts.token_calls)
    args = (redis_url, refresh, "conn_shared", zoho.data_centres(), 0)
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        tokens = pool.map(_worker, [args] * 6)
    assert len(set(tokens)) == 1
    assert zoho.accounts.token_calls[before:] == [("us", "refresh_token")]
