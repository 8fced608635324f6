"""Application permissions: the admin consent page, then msal's client credentials grant."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors.base import AuthError, StaticTokenProvider
from connectors.outlook import OutlookConnector, OutlookOAuthClient
from tests.connectors.test_outlook_auth import _Forms
from tests.fakes.graph import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeGraph
from tests.fakes.microsoft_identity import DEFAULT_TENANT_ID

pytest_plugins = ["tests.connectors.outlook_fixtures"]

REDIRECT_URI = "http://127.0.0.1:5000/oauth/callback/outlook"


def _client(graph: FakeGraph, tenant: str | None = None) -> OutlookOAuthClient:
    return OutlookConnector.oauth_client(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        REDIRECT_URI,
        token_url=graph.token_url(),
        permissions="application",
        tenant=tenant,
    )


def _answer(graph: FakeGraph, url: str, decision: str = "allow") -> dict[str, str]:
    """The administrator opens the page and clicks; what reaches the callback."""
    with requests.Session() as browser:
        page = browser.get(url, timeout=5)
        assert page.status_code == 200, page.text
        form = _Forms()
        form.feed(page.text)
        answer = browser.post(
            graph.base_url + form.action,
            data={**form.fields, "decision": decision},
            allow_redirects=False,
            timeout=5,
        )
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_the_consent_url_is_the_admin_consent_endpoint(graph: FakeGraph) -> None:
    """/organizations/v2.0/adminconsent (never /common), scope .default, our redirect URI."""
    request = _client(graph).authorization_url(state="s" * 32)
    parts = urlsplit(request.url)
    assert parts.path == "/organizations/v2.0/adminconsent"
    assert parse_qs(parts.query) == {
        "client_id": [DEFAULT_CLIENT_ID],
        "scope": ["https://graph.microsoft.com/.default"],
        "redirect_uri": [REDIRECT_URI],
        "state": ["s" * 32],
    }
    pinned = urlsplit(_client(graph, DEFAULT_TENANT_ID).authorization_url(state="t" * 32).url)
    assert pinned.path == f"/{DEFAULT_TENANT_ID}/v2.0/adminconsent"


def test_consent_then_client_credentials_in_the_consenting_tenant(graph: FakeGraph) -> None:
    """admin_consent=True&tenant=… → an app token of that tenant that reaches every mailbox."""
    jean = graph.add_user("Jean Martin", "jean@company.com")
    oauth = _client(graph)
    request = oauth.authorization_url(state="s" * 32)
    args = _answer(graph, request.url)
    assert args["admin_consent"] == "True" and args["tenant"] == DEFAULT_TENANT_ID
    token = oauth.exchange_callback(args, request.code_verifier)
    assert token is not None and token.refresh_token is None
    assert token.raw["tenant_id"] == DEFAULT_TENANT_ID
    assert token.raw["permissions"] == "application"
    grant = graph.identity.state.token_requests[-1]
    assert grant["grant_type"] == "client_credentials"
    assert grant["scope"] == "https://graph.microsoft.com/.default"
    config = {"api_base_url": graph.api_base_url, "permissions": "application"}
    with OutlookConnector(StaticTokenProvider(token.access_token), config) as conn:
        assert [c["id"] for c in conn.list_calendars()] == [graph.user_id, jean]
    # The cache msal filled is the one the hub stores: it renews the app token later.
    assert "AccessToken" in oauth.auth.dump_cache()
    again = oauth.auth.acquire_token(force_refresh=True)
    assert again.access_token != token.access_token


def test_a_refused_consent_reaches_the_callback_as_access_denied(graph: FakeGraph) -> None:
    """Cancel: error=access_denied (the hub shows it); nothing consented."""
    request = _client(graph).authorization_url(state="s" * 32)
    args = _answer(graph, request.url, decision="deny")
    assert args["error"] == "access_denied" and args["state"] == "s" * 32
    assert graph.identity.state.admin_consents == set()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"admin_consent": "False"}, id="not-consented"),
        pytest.param({"state": "x" * 32}, id="other-state"),
        pytest.param({"tenant": "../common"}, id="bad-tenant"),
    ],
)
def test_a_tampered_callback_is_refused(graph: FakeGraph, tamper: dict[str, str]) -> None:
    """The callback must say admin_consent=True, for our state, with a tenant id."""
    oauth = _client(graph)
    request = oauth.authorization_url(state="s" * 32)
    args = {"admin_consent": "True", "tenant": DEFAULT_TENANT_ID, "state": "s" * 32, **tamper}
    with pytest.raises(AuthError):
        oauth.exchange_callback(args, request.code_verifier)


def test_without_consent_the_app_token_opens_nothing(graph: FakeGraph) -> None:
    """A tenant that never consented: Entra still issues a token, without roles; Graph 403."""
    oauth = _client(graph)
    request = oauth.authorization_url(state="s" * 32)
    args = {"admin_consent": "True", "tenant": DEFAULT_TENANT_ID, "state": "s" * 32}
    token = oauth.exchange_callback(args, request.code_verifier)  # forged: nobody consented
    assert token is not None
    config = {"api_base_url": graph.api_base_url, "permissions": "application", "tenant": "t"}
    with (
        OutlookConnector(StaticTokenProvider(token.access_token), config) as conn,
        pytest.raises(AuthError),
    ):
        conn.check()


def test_client_credentials_need_a_tenant_specific_authority(graph: FakeGraph) -> None:
    """The fake, like Entra, refuses the client credentials grant on /common."""
    resp = requests.post(
        graph.token_url("common"),
        data={
            "grant_type": "client_credentials",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "scope": "https://graph.microsoft.com/.default",
        },
        timeout=5,
    )
    assert resp.status_code == 400 and "tenant-specific" in resp.json()["error_description"]


def test_the_delegated_flow_is_unchanged(graph: FakeGraph) -> None:
    """Without permissions="application", the consent URL is msal's authorize endpoint."""
    oauth = OutlookConnector.oauth_client(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, token_url=graph.token_url()
    )
    assert "/oauth2/v2.0/authorize" in oauth.authorization_url(state="s" * 32).url
    assert oauth.exchange_callback({"code": "c"}, "v") is None
