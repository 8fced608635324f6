"""Credentials, scopes, token refresh and rate limiting through the SDK, against live hubs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ivalid
import pytest
import requests
from sdk_support import LiveHub

TOKEN_TTL = 4


@pytest.fixture(scope="module")
def short_token_hub(hub_factory: Callable[..., LiveHub]) -> LiveHub:
    """A hub whose access tokens live a few seconds, to watch the SDK renew them."""
    return hub_factory(IVALID_ACCESS_TOKEN_TTL=str(TOKEN_TTL))


@pytest.fixture(scope="module")
def rate_limited_hub(hub_factory: Callable[..., LiveHub]) -> LiveHub:
    """A hub allowing 5 requests per 5 seconds per credential (a short window keeps it quick)."""
    return hub_factory(IVALID_RATE_LIMIT="5 per 5 seconds")


def test_client_credentials_fetch_a_token_from_oauth_token(live: LiveHub) -> None:
    with live.client(
        client_id=live.demo["client_id"], client_secret=live.demo["client_secret"]
    ) as client:
        customers = client.customers.list()
        assert customers.meta.total >= 1
        token = client._http.credentials.bearer()
    assert token != live.api_key
    # The cached token is a real bearer token of the hub.
    answer = requests.get(
        f"{live.base_url}/services", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 200


def test_a_scoped_token_is_refused_what_it_may_not_do(live: LiveHub) -> None:
    with live.client(
        client_id=live.demo["client_id"],
        client_secret=live.demo["client_secret"],
        scope="appointments:read",
    ) as client:
        client.appointments.list()
        with pytest.raises(ivalid.PermissionDeniedError) as info:
            client.customers.create(first_name="Pas", last_name="Autorisé")
    assert info.value.http_status == 403 and info.value.code == "INSUFFICIENT_SCOPE"


def test_bad_credentials_raise_authentication_error(live: LiveHub) -> None:
    client = live.client(api_key="ivk_test_not_a_key")
    with client, pytest.raises(ivalid.AuthenticationError) as info:
        client.appointments.list()
    assert info.value.http_status == 401
    assert info.value.code in ("UNAUTHENTICATED", "INVALID_TOKEN")
    assert info.value.request_id

    client = live.client(client_id=live.demo["client_id"], client_secret="cs_wrong")
    with client, pytest.raises(ivalid.AuthenticationError):
        client.appointments.list()


def test_a_revoked_token_is_replaced_transparently(live: LiveHub) -> None:
    with live.client(
        client_id=live.demo["client_id"], client_secret=live.demo["client_secret"]
    ) as client:
        client.services.list()
        credentials = client._http.credentials
        # Simulate a token the server no longer accepts (revoked, or signed with a rotated key).
        credentials._access_token = "not-a-valid-token"  # type: ignore[attr-defined]
        assert client.services.get(live.demo["service_id"]).name == "Installation Climatisation"
        assert credentials.bearer() != "not-a-valid-token"


def test_the_token_is_refreshed_before_it_expires(short_token_hub: LiveHub) -> None:
    hub = short_token_hub
    with hub.client(
        client_id=hub.demo["client_id"], client_secret=hub.demo["client_secret"]
    ) as client:
        credentials = client._http.credentials
        grants: list[str] = []
        send = credentials._post  # type: ignore[attr-defined]

        def recording_post(url: str, **kwargs: Any) -> requests.Response:
            grants.append(kwargs["json"]["grant_type"])
            return send(url, **kwargs)

        credentials._post = recording_post  # type: ignore[attr-defined]
        client.services.list()
        first = credentials.bearer()
        time.sleep(TOKEN_TTL + 0.5)

        # The old token is dead on the server...
        dead = requests.get(
            f"{hub.base_url}/services", headers={"Authorization": f"Bearer {first}"}, timeout=10
        )
        assert dead.status_code == 401

        # ...yet the SDK's next call just works, with a renewed token.
        assert client.services.list().meta.total >= 1
        second = credentials.bearer()
        assert second != first
    # Renewed with the refresh token the hub issued, before any request could fail.
    assert grants == ["client_credentials", "refresh_token"]


def test_429_is_retried_after_retry_after(rate_limited_hub: LiveHub) -> None:
    hub = rate_limited_hub
    with hub.client(max_retries=0) as impatient, pytest.raises(ivalid.RateLimitError) as info:
        for _ in range(30):
            impatient.services.list()
    error = info.value
    assert error.http_status == 429 and error.code == "RATE_LIMIT_EXCEEDED"
    # The 5-second window, plus up to one second of margin for Redis's whole-second TTLs.
    assert error.retry_after is not None and 0 < error.retry_after <= 6
    assert error.request_id

    with hub.client(max_retries=2) as patient:
        started = time.monotonic()
        page = patient.services.list()
        waited = time.monotonic() - started
    assert page.meta.total >= 1
    assert waited >= error.retry_after - 2, "the SDK waited for the window to reopen"
