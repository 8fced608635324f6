"""The real msal library against the identity fake: code flow, cache, refresh, failures."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from connectors.base import AuthError, InvalidRequest, NotSupported, TransientError
from connectors.outlook import MsalAuth, OutlookConnector, OutlookOAuthClient
from connectors.outlook.authority import RedirectingSession
from connectors.outlook.oauth import decode_flow, encode_flow
from tests.fakes.graph import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeGraph
from tests.fakes.microsoft_identity import DEFAULT_TENANT_ID, DEFAULT_USER_OID, s256

pytest_plugins = ["tests.connectors.outlook_fixtures"]

REDIRECT_URI = "http://127.0.0.1:5000/oauth/callback/outlook"


class _Forms(HTMLParser):
    """The hidden inputs, buttons and action of a page's form."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect forms' action, hidden inputs and buttons."""
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]
        if tag == "button":
            self.buttons[a.get("value", "")] = a.get("name", "")


def _consent(fake: FakeGraph, url: str, decision: str = "allow") -> dict[str, str]:
    """Play the user: open the consent page, click a button, return what reaches the callback."""
    assert url.startswith(fake.base_url), "the consent URL must reach the fake"
    with requests.Session() as browser:
        page = browser.get(url, timeout=5)
        assert page.status_code == 200 and "Permissions requested" in page.text
        form = _Forms()
        form.feed(page.text)
        assert form.buttons == {"allow": "decision", "deny": "decision"}
        answer = browser.post(
            fake.base_url + form.action,
            data={**form.fields, "decision": decision},
            allow_redirects=False,
            timeout=5,
        )
    if answer.status_code == 302:  # response_mode=query: a redirect carrying the answer
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT_URI + "?")
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert answer.status_code == 200, "form_post: the answer is a self-submitting form"
    posted = _Forms()
    posted.feed(answer.text)
    assert posted.action == REDIRECT_URI
    return posted.fields


@pytest.fixture
def oauth(graph: FakeGraph) -> OutlookOAuthClient:
    """The connector's msal-backed OAuth client, aimed at the fake by its token URL."""
    return OutlookConnector.oauth_client(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, token_url=graph.token_url()
    )


def _connected(graph: FakeGraph, oauth: OutlookOAuthClient) -> str:
    """Run the whole consent flow; returns the serialized cache."""
    request = oauth.authorization_url()
    callback = _consent(graph, request.url)
    oauth.exchange_code(callback["code"], request.code_verifier, auth_response=callback)
    return oauth.auth.dump_cache()


def _expire_access_tokens(cache: str) -> str:
    """The same cache with every access token expired (as if an hour had passed)."""
    data = json.loads(cache)
    for entry in data["AccessToken"].values():
        entry["expires_on"] = entry["extended_expires_on"] = "1"
    return json.dumps(data)


def _auth(graph: FakeGraph, cache: str | None = None, **kwargs: object) -> MsalAuth:
    return MsalAuth(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        authority=graph.authority(),
        http_client=graph.http_client(),
        cache=cache,
        redirect_uri=REDIRECT_URI,
        **kwargs,  # type: ignore[arg-type]
    )


def test_auth_code_flow_end_to_end(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """Consent URL with PKCE/nonce/state → Accept → form_post callback → tokens in the cache."""
    request = oauth.authorization_url(state="csrf-" + "x" * 32)
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert request.state == query["state"] == "csrf-" + "x" * 32
    assert query["client_id"] == DEFAULT_CLIENT_ID and query["redirect_uri"] == REDIRECT_URI
    assert set(query["scope"].split()) == {
        "Calendars.ReadWrite",
        "offline_access",
        "openid",
        "profile",
    }
    assert query["code_challenge_method"] == "S256" and query["response_mode"] == "query"
    flow = decode_flow(request.code_verifier)
    assert s256(flow["code_verifier"]) == query["code_challenge"]
    assert query["nonce"] and query["nonce"] != flow["nonce"]  # msal sends the nonce's hash

    callback = _consent(graph, request.url)
    assert callback["state"] == request.state and callback["client_info"]
    token = oauth.exchange_code(callback["code"], request.code_verifier, auth_response=callback)

    assert "Calendars.ReadWrite" in token.scopes and token.refresh_token and token.expires_at
    assert token.raw["home_account_id"] == f"{DEFAULT_USER_OID}.{DEFAULT_TENANT_ID}"
    assert token.raw["username"] == "fake.user@example.com"
    sent = graph.identity.state.token_requests[-1]
    assert sent["grant_type"] == "authorization_code" and sent["client_secret"]
    assert s256(sent["code_verifier"]) == query["code_challenge"]
    cache = json.loads(oauth.auth.dump_cache())
    assert {"AccessToken", "RefreshToken", "IdToken", "Account"} <= set(cache)
    assert [a["username"] for a in oauth.auth.accounts()] == ["fake.user@example.com"]

    tokens = oauth.auth.token_provider()
    with OutlookConnector(tokens, {"api_base_url": graph.api_base_url}) as conn:
        assert conn.check().email == "fake.user@example.com"  # Graph accepts the token


def test_form_post_response_mode(graph: FakeGraph) -> None:
    """With response_mode=form_post (msal's recommendation) the code arrives in a form POST."""
    oauth = OutlookConnector.oauth_client(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, token_url=graph.token_url()
    )
    request = oauth.authorization_url(response_mode="form_post")
    assert parse_qs(urlsplit(request.url).query)["response_mode"] == ["form_post"]
    with requests.Session() as browser:
        page = browser.get(request.url, timeout=5)
        form = _Forms()
        form.feed(page.text)
        answer = browser.post(
            graph.base_url + form.action, data={**form.fields, "decision": "allow"}, timeout=5
        )
    assert answer.status_code == 200 and 'method="POST"' in answer.text
    posted = _Forms()
    posted.feed(answer.text)
    assert posted.action == REDIRECT_URI and set(posted.fields) >= {"code", "state"}
    token = oauth.exchange_code(
        posted.fields["code"], request.code_verifier, auth_response=posted.fields
    )
    assert token.refresh_token


def test_code_is_single_use(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """Replaying the callback: the identity platform refuses the code the second time."""
    request = oauth.authorization_url()
    callback = _consent(graph, request.url)
    oauth.exchange_code(callback["code"], request.code_verifier, auth_response=callback)
    with pytest.raises(AuthError) as info:
        oauth.exchange_code(callback["code"], request.code_verifier, auth_response=callback)
    assert info.value.reason == "invalid_grant"


def test_state_mismatch_is_auth_error(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """msal checks state against the flow: a forged callback never reaches the token endpoint."""
    request = oauth.authorization_url()
    callback = _consent(graph, request.url)
    calls = len(graph.identity.state.token_requests)
    with pytest.raises(AuthError) as info:
        oauth.exchange_code(
            callback["code"], request.code_verifier, auth_response={**callback, "state": "forged"}
        )
    assert info.value.reason == "invalid_auth_response"
    assert len(graph.identity.state.token_requests) == calls


def test_wrong_pkce_verifier_is_refused(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """The fake enforces PKCE: a flow whose verifier was swapped gets invalid_grant."""
    request = oauth.authorization_url()
    callback = _consent(graph, request.url)
    flow = {**decode_flow(request.code_verifier), "code_verifier": "z" * 64}
    with pytest.raises(AuthError) as info:
        oauth.exchange_code(callback["code"], encode_flow(flow), auth_response=callback)
    assert info.value.reason == "invalid_grant"


def test_denied_consent_is_auth_error(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """The user clicked Cancel: access_denied."""
    request = oauth.authorization_url()
    callback = _consent(graph, request.url, decision="deny")
    with pytest.raises(AuthError) as info:
        oauth.exchange_code("", request.code_verifier, auth_response=callback)
    assert info.value.reason == "access_denied"


def test_tampered_flow_blob_is_auth_error(oauth: OutlookOAuthClient) -> None:
    """What the session kept must decode to a flow with state and verifier."""
    with pytest.raises(AuthError):
        oauth.exchange_code("code", "not base64 !")
    with pytest.raises(AuthError):
        oauth.exchange_code("code", encode_flow({"state": "s"}))


def test_reserved_scopes_are_refused(graph: FakeGraph) -> None:
    """msal adds offline_access/openid/profile itself and refuses them; so do we, earlier."""
    with pytest.raises(InvalidRequest) as info:
        _auth(graph, scopes=["Calendars.ReadWrite", "offline_access"])
    assert info.value.reason == "reserved_scope"
    app = _auth(graph).app
    with pytest.raises(ValueError, match="reserved"):
        app.initiate_auth_code_flow(["Calendars.ReadWrite", "openid"], redirect_uri=REDIRECT_URI)


def test_cached_token_needs_no_network(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """A valid access token comes from the cache: no token request."""
    cache = _connected(graph, oauth)
    auth = _auth(graph, cache)
    calls = len(graph.identity.state.token_requests)
    provider = auth.token_provider()
    assert provider.get_access_token() == provider.get_access_token()
    assert len(graph.identity.state.token_requests) == calls
    assert not auth.has_changed


def test_refresh_with_forced_expired_token(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """acquire_token_silent with an expired access token redeems the refresh token; the new
    cache (rotated refresh token) is handed to the hub to store."""
    cache = _connected(graph, oauth)
    old_rt = next(iter(json.loads(cache)["RefreshToken"].values()))["secret"]
    stored: list[str] = []
    auth = _auth(graph, _expire_access_tokens(cache))
    provider = auth.token_provider(on_cache_change=stored.append)

    token = provider.get_access_token()
    sent = graph.identity.state.token_requests[-1]
    assert sent["grant_type"] == "refresh_token" and sent["refresh_token"] == old_rt
    assert graph.identity.check_access_token(token) is not None
    assert len(stored) == 1 and not auth.has_changed
    new_rt = next(iter(json.loads(stored[0])["RefreshToken"].values()))["secret"]
    assert new_rt != old_rt  # Entra rotates refresh tokens; msal keeps the new one


def test_token_rejected_forces_a_refresh(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """After a 401 the provider refreshes even though the cache thinks the token is valid."""
    cache = _connected(graph, oauth)
    provider = _auth(graph, cache).token_provider()
    first = provider.get_access_token()
    provider.token_rejected("some older token")  # not ours any more: nothing happens
    assert provider.get_access_token() == first
    provider.token_rejected(first)
    assert provider.get_access_token() != first
    assert graph.identity.state.token_requests[-1]["grant_type"] == "refresh_token"


def test_invalid_grant_is_auth_error(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """A revoked grant: the refresh fails with invalid_grant → reconnect (AuthError)."""
    cache = _connected(graph, oauth)
    graph.identity.revoke_refresh_tokens()
    provider = _auth(graph, _expire_access_tokens(cache)).token_provider()
    with pytest.raises(AuthError) as info:
        provider.get_access_token()
    assert info.value.reason == "invalid_grant"
    assert info.value.details["error_codes"] == [70000]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        pytest.param("server", 503, id="503"),
        pytest.param("temporarily_unavailable", 400, id="temporarily_unavailable"),
    ],
)
def test_token_endpoint_outage_is_transient(
    graph: FakeGraph, oauth: OutlookOAuthClient, error: str, status: int
) -> None:
    """5xx or temporarily_unavailable: retry later (the connection stays connected)."""
    cache = _expire_access_tokens(_connected(graph, oauth))
    graph.identity.fail_next_token(error, status=status)
    with pytest.raises(TransientError):
        _auth(graph, cache).token_provider().get_access_token()
    assert _auth(graph, cache).token_provider().get_access_token()


def test_cache_serialise_deserialise(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """The cache survives a JSON round trip; has_changed tracks what must be stored."""
    cache = _connected(graph, oauth)
    assert not oauth.auth.has_changed  # dump_cache() just saved it
    auth = _auth(graph)
    auth.load_cache(cache)
    assert not auth.has_changed and json.loads(auth.dump_cache()) == json.loads(cache)
    assert auth.account()["home_account_id"] == f"{DEFAULT_USER_OID}.{DEFAULT_TENANT_ID}"
    auth.acquire_token(force_refresh=True)
    assert auth.has_changed
    auth.dump_cache()
    assert not auth.has_changed
    with pytest.raises(AuthError):
        auth.load_cache("{not json")


def test_empty_cache_is_auth_error(graph: FakeGraph) -> None:
    """No account in the cache (never connected, or signed out): reconnect."""
    with pytest.raises(AuthError) as info:
        _auth(graph).token_provider().get_access_token()
    assert info.value.reason == "no_account"


def test_sign_out_forgets_the_account(graph: FakeGraph, oauth: OutlookOAuthClient) -> None:
    """Disconnecting removes the account and its tokens from the cache."""
    auth = _auth(graph, _connected(graph, oauth))
    auth.sign_out()
    assert auth.accounts() == [] and auth.has_changed


def test_tenant_specific_authority(graph: FakeGraph) -> None:
    """A tenant id pins the directory; an unknown tenant is refused at discovery."""
    auth = MsalAuth(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        tenant=DEFAULT_TENANT_ID,
        http_client=graph.http_client(),
        redirect_uri=REDIRECT_URI,
    )
    assert auth.authority.endswith("/" + DEFAULT_TENANT_ID)
    flow = auth.initiate()
    assert f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize" in flow["auth_uri"]
    unknown = MsalAuth(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, tenant="nope", http_client=graph.http_client()
    )
    with pytest.raises(InvalidRequest) as info:
        unknown.initiate()
    assert info.value.reason == "invalid_authority"


def test_token_url_selects_cloud_and_tenant() -> None:
    """An https token URL (sovereign cloud) becomes msal's authority; nothing is fetched."""
    oauth = OutlookConnector.oauth_client(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        REDIRECT_URI,
        token_url="https://login.microsoftonline.us/contoso.example/oauth2/v2.0/token",
    )
    assert oauth.auth.authority == "https://login.microsoftonline.us/contoso.example"
    assert oauth.auth.http_client is None
    assert oauth.manifest.token_url.startswith("https://login.microsoftonline.us/")


def test_identity_is_only_redirected_to_loopback() -> None:
    """The redirecting session exists for fakes; it refuses any other target."""
    with pytest.raises(InvalidRequest):
        RedirectingSession({"https://login.microsoftonline.com": "http://attacker.example"})
    session = RedirectingSession({"https://login.microsoftonline.com": "http://127.0.0.1:1"})
    assert (
        session.rewrite("https://login.microsoftonline.com/common/x")
        == "http://127.0.0.1:1/common/x"
    )
    assert session.rewrite("https://graph.microsoft.com/v1.0") == "https://graph.microsoft.com/v1.0"


def test_generic_refresh_path_rotates_the_refresh_token(
    graph: FakeGraph, oauth: OutlookOAuthClient
) -> None:
    """OAuth2Client.refresh (what a refresh-token store calls) works through msal too."""
    request = oauth.authorization_url()
    callback = _consent(graph, request.url)
    first = oauth.exchange_code(callback["code"], request.code_verifier, auth_response=callback)
    assert first.refresh_token
    fresh = OutlookConnector.oauth_client(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, token_url=graph.token_url()
    ).refresh(first.refresh_token)
    assert fresh.access_token != first.access_token
    assert fresh.refresh_token and fresh.refresh_token != first.refresh_token
    graph.identity.revoke_refresh_tokens()
    with pytest.raises(AuthError):
        oauth.refresh(fresh.refresh_token)


def test_revoke_is_not_supported(oauth: OutlookOAuthClient) -> None:
    """Microsoft has no revocation endpoint for this flow: disconnect = sign_out + forget."""
    with pytest.raises(NotSupported):
        oauth.revoke("anything")


def test_msal_is_the_real_library(graph: FakeGraph) -> None:
    """No stand-in: the wrapper drives msal.ConfidentialClientApplication over HTTP."""
    auth = _auth(graph)
    assert isinstance(auth.app, msal.ConfidentialClientApplication)
    assert graph.identity.state.discovery_requests >= 1  # msal fetched the OpenID configuration


def test_connector_token_provider_over_a_stored_cache(
    graph: FakeGraph, oauth: OutlookOAuthClient
) -> None:
    """The engine's cache path: a provider from the stored cache string, changes handed back."""
    cache = _expire_access_tokens(_connected(graph, oauth))
    stored: list[str] = []
    provider = OutlookConnector.token_provider(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        cache,
        home_account_id=f"{DEFAULT_USER_OID}.{DEFAULT_TENANT_ID}",
        on_cache_change=stored.append,
        token_url=graph.token_url(),
    )
    with OutlookConnector(provider, {"api_base_url": graph.api_base_url}) as conn:
        assert conn.check().email == "fake.user@example.com"
    assert len(stored) == 1 and json.loads(stored[0])["AccessToken"]
