"""OAuth 2.0 for Google Calendar: consent URL, code exchange, refresh, revocation, failures."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors.base import (
    AuthError,
    OAuth2Client,
    OAuthToken,
    RefreshingTokenProvider,
    TransientError,
    pkce_pair,
)
from connectors.google_calendar import GoogleCalendarConnector
from tests.fakes.google_calendar import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SCOPE,
    FakeGoogleCalendar,
)

REDIRECT_URI = "http://127.0.0.1:5000/v2/integrations/google-calendar/callback"


class _FormParser(HTMLParser):
    """Collects the hidden inputs and buttons of the consent page's form."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a["value"]
        if tag == "button":
            self.buttons[a.get("value", "")] = a.get("name", "")


@pytest.fixture
def oauth(fake: FakeGoogleCalendar) -> OAuth2Client:
    """The connector's OAuth client pointed at the fake's endpoints."""
    return GoogleCalendarConnector.oauth_client(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, **fake.oauth_endpoints()
    )


def _consent(fake: FakeGoogleCalendar, url: str, decision: str = "allow") -> dict[str, list[str]]:
    """Play the user: open the consent page, click a button, return the redirect's query."""
    with requests.Session() as browser:
        page = browser.get(url, timeout=5)
        assert page.status_code == 200 and "Allow" in page.text
        form = _FormParser()
        form.feed(page.text)
        assert form.buttons == {"allow": "decision", "deny": "decision"}
        answer = browser.post(
            fake.base_url + "/o/oauth2/v2/auth",
            data={**form.fields, "decision": decision},
            allow_redirects=False,
            timeout=5,
        )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)


def test_authorization_url_has_state_and_pkce(oauth: OAuth2Client) -> None:
    """The consent URL carries our state, an S256 challenge and Google's offline params."""
    request = oauth.authorization_url()
    query = parse_qs(urlsplit(request.url).query)
    assert query["state"] == [request.state] and len(request.state) >= 32
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [pkce_pair(request.code_verifier)[1]]
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [DEFAULT_CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["scope"] == [SCOPE]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert oauth.authorization_url().state != request.state


def test_pkce_pair_matches_rfc7636_example() -> None:
    """The S256 challenge of RFC 7636's appendix B verifier."""
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_pair(verifier) == (verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")


def test_consent_exchange_refresh_and_use(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """Full flow: consent page → code → tokens → API call → refresh keeps the refresh token."""
    request = oauth.authorization_url()
    callback = _consent(fake, request.url)
    assert callback["state"] == [request.state]

    token = oauth.exchange_code(callback["code"][0], request.code_verifier)
    assert token.refresh_token and token.access_token.startswith("ya29.")
    assert token.scopes == (SCOPE,) and token.expires_at is not None
    assert fake.requests[-1].body["code_verifier"] == request.code_verifier

    provider = RefreshingTokenProvider(oauth, token)
    with GoogleCalendarConnector(provider, {"api_base_url": fake.api_base_url}) as conn:
        assert conn.check().email == fake.user_email

    refreshed = oauth.refresh(token.refresh_token)
    assert refreshed.access_token != token.access_token
    assert refreshed.refresh_token == token.refresh_token
    assert fake.requests[-1].body["grant_type"] == "refresh_token"


def test_user_denies_consent(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """Cancel on the consent page comes back as error=access_denied with our state."""
    request = oauth.authorization_url()
    callback = _consent(fake, request.url, decision="deny")
    assert callback == {"state": [request.state], "error": ["access_denied"]}


def test_wrong_code_verifier_is_refused(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """PKCE: a code stolen without its verifier cannot be exchanged."""
    request = oauth.authorization_url()
    code = _consent(fake, request.url)["code"][0]
    with pytest.raises(AuthError) as info:
        oauth.exchange_code(code, pkce_pair()[0])
    assert info.value.reason == "invalid_grant"


def test_code_can_be_used_once(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """A replayed authorization code is invalid_grant."""
    request = oauth.authorization_url()
    code = _consent(fake, request.url)["code"][0]
    oauth.exchange_code(code, request.code_verifier)
    with pytest.raises(AuthError):
        oauth.exchange_code(code, request.code_verifier)


def test_refresh_after_revocation_is_auth_error(
    fake: FakeGoogleCalendar, oauth: OAuth2Client
) -> None:
    """invalid_grant (the user removed access in their Google account) → AuthError."""
    token = fake.oauth.issue_tokens(scope=SCOPE)
    fake.oauth.revoke_refresh_tokens()
    with pytest.raises(AuthError) as info:
        oauth.refresh(token["refresh_token"])
    assert info.value.reason == "invalid_grant"


def test_token_endpoint_outage_is_transient(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """A 5xx from the token endpoint is retried later, not a reconnect."""
    token = fake.oauth.issue_tokens(scope=SCOPE)
    fake.oauth.fail_next_token("server", status=503)
    with pytest.raises(TransientError):
        oauth.refresh(token["refresh_token"])
    assert oauth.refresh(token["refresh_token"]).access_token


def test_bad_client_secret_is_auth_error(fake: FakeGoogleCalendar) -> None:
    """invalid_client: the app's credentials in the hub's settings are wrong."""
    client = GoogleCalendarConnector.oauth_client(
        DEFAULT_CLIENT_ID, "wrong", REDIRECT_URI, **fake.oauth_endpoints()
    )
    token = fake.oauth.issue_tokens(scope=SCOPE)
    with pytest.raises(AuthError) as info:
        client.refresh(token["refresh_token"])
    assert info.value.reason == "invalid_client"


def test_revoke(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """Disconnecting revokes the refresh token; revoking twice is harmless."""
    token = fake.oauth.issue_tokens(scope=SCOPE)
    oauth.revoke(token["refresh_token"])
    with pytest.raises(AuthError):
        oauth.refresh(token["refresh_token"])
    oauth.revoke(token["refresh_token"])
    assert fake.calls["oauth.revoke"] == 2


def test_401_triggers_one_refresh_and_retry(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """An access token refused early is refreshed once through the provider, then retried."""
    data = fake.oauth.issue_tokens(scope=SCOPE)
    provider = RefreshingTokenProvider(oauth, _token(data))
    fake.oauth.expire_access_tokens()  # Google revoked it before its announced expiry
    with GoogleCalendarConnector(provider, {"api_base_url": fake.api_base_url}) as conn:
        assert conn.check().email
    assert fake.calls["oauth.token"] == 1
    assert fake.calls["calendarList.get"] == 2
    assert provider.token.access_token != data["access_token"]


def test_401_when_refresh_fails_is_auth_error(
    fake: FakeGoogleCalendar, oauth: OAuth2Client
) -> None:
    """401 and then invalid_grant on refresh: the connection needs the user again."""
    data = fake.oauth.issue_tokens(scope=SCOPE)
    provider = RefreshingTokenProvider(oauth, _token(data))
    fake.oauth.revoke_refresh_tokens()
    with (
        GoogleCalendarConnector(provider, {"api_base_url": fake.api_base_url}) as conn,
        pytest.raises(AuthError),
    ):
        conn.check()


def test_provider_refreshes_before_expiry(fake: FakeGoogleCalendar, oauth: OAuth2Client) -> None:
    """A token about to expire is refreshed before use, and the new one is handed back."""
    data = fake.oauth.issue_tokens(scope=SCOPE)
    saved = []
    expiring = _token({**data, "expires_in": 30})
    provider = RefreshingTokenProvider(oauth, expiring, on_refresh=saved.append, leeway=60)
    new_token = provider.get_access_token()
    assert new_token != data["access_token"] and saved[0].access_token == new_token
    assert provider.get_access_token() == new_token  # no second refresh


def _token(data: dict[str, Any]) -> OAuthToken:
    return OAuthToken.from_response(data)
