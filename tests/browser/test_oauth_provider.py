"""iValid as an OAuth provider, in a real browser: the authorization-code + PKCE dance as
Zapier or Make run it. The "platform" is a small app on loopback whose redirect URI records
what the browser brings back; the test then calls /oauth/token over HTTP as the platform's
servers do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask, request
from sqlalchemy import update

from hub.db import get_db
from hub.models import OAuthToken
from hub.timeutil import utcnow
from tests.browser.conftest import screenshot
from tests.fakes.server import LoopbackServer
from tests.oauth_support import (
    PASSWORD,
    RegisteredApp,
    authorize_url,
    exchange,
    make_user,
    pkce_pair,
    refresh,
    register_app,
)
from tests.support import free_port, make_tenant, truncate_all


@dataclass
class Platform:
    """The automation platform's side: its callback records each visit's query."""

    url: str
    visits: list[dict[str, str]] = field(default_factory=list)

    @property
    def redirect_uri(self) -> str:
        return f"{self.url}/oauth/cb/app"


@dataclass
class Setup:
    hub: str
    app: Flask
    platform: Platform
    registered: RegisteredApp
    email: str


@pytest.fixture
def oauth_hub(base_config: dict[str, Any]) -> Iterator[Setup]:
    """The hub on loopback (no refresh grace, no credential cache: reuse shows at once), a
    platform callback, an installation-wide app and an account user."""
    from hub import create_app

    port = free_port()
    hub_url = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            **base_config,
            "public_url": hub_url,
            "refresh_grace_seconds": 0,
            "credential_cache_seconds": 0,
        }
    )
    platform_app = Flask("platform")
    visits: list[dict[str, str]] = []

    @platform_app.get("/oauth/cb/app")
    def callback() -> str:
        visits.append(dict(request.args))
        return "<h1 id='platform'>Platform callback</h1>"

    platform_server = LoopbackServer(platform_app).start()
    platform = Platform(platform_server.base_url, visits)
    hub_server = LoopbackServer(app, port=port).start()
    try:
        tenant = make_tenant(app, "Dupont Plomberie")
        email = "marie@dupont-plomberie.fr"
        make_user(app, tenant.account_id, email, "dispatcher")
        registered = register_app(app, "Make", (platform.redirect_uri,))
        yield Setup(hub_url, app, platform, registered, email)
    finally:
        hub_server.stop()
        platform_server.stop()
        truncate_all(app)
        get_db(app).engine.dispose()


def _to_consent(page: Any, s: Setup, challenge: str, state: str = "st-42") -> None:
    """Open the authorize URL; sign in on the dashboard's page; land on the consent page."""
    url = authorize_url(s.hub, s.registered.client_id, s.registered.redirect_uri, challenge, state)
    page.goto(url)
    assert "/dashboard/login" in page.url
    page.fill("#email", s.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(url=f"{s.hub}/oauth/authorize?**"):
        page.click("#sign-in")
    assert page.locator("#app-name").inner_text() == "Make"


def _allow(page: Any, s: Setup) -> dict[str, str]:
    with page.expect_navigation(url=f"{s.platform.redirect_uri}?**"):
        page.click("#allow")
    return s.platform.visits[-1]


def test_allow_code_tokens_and_me(oauth_hub: Setup, page: Any) -> None:
    s = oauth_hub
    verifier, challenge = pkce_pair()
    _to_consent(page, s, challenge)
    scopes = page.locator("#scopes li").all_inner_texts()
    assert any("Lecture des rendez-vous" in x for x in scopes)
    assert page.locator("#user-email").inner_text() == s.email
    screenshot(page, "oauth-consent")
    got = _allow(page, s)
    assert got["state"] == "st-42" and "code" in got
    tokens = exchange(s.hub, s.registered, got["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"].startswith("rt_")
    me = requests.get(
        f"{s.hub}/v2/me", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    ).json()
    assert me["account_name"] == "Dupont Plomberie" and me["user"]["email"] == s.email


def test_deny(oauth_hub: Setup, page: Any) -> None:
    s = oauth_hub
    _, challenge = pkce_pair()
    _to_consent(page, s, challenge, state="st-deny")
    with page.expect_navigation(url=f"{s.platform.redirect_uri}?**"):
        page.click("#deny")
    got = s.platform.visits[-1]
    assert got["error"] == "access_denied" and got["state"] == "st-deny"
    assert "code" not in got


def test_pkce_mismatch(oauth_hub: Setup, page: Any) -> None:
    s = oauth_hub
    _, challenge = pkce_pair()
    _to_consent(page, s, challenge)
    got = _allow(page, s)
    other_verifier, _ = pkce_pair()
    resp = exchange(s.hub, s.registered, got["code"], other_verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_wrong_redirect_uri_is_an_error_page(oauth_hub: Setup, page: Any) -> None:
    s = oauth_hub
    _, challenge = pkce_pair()
    _to_consent(page, s, challenge)  # signed in now
    bad = authorize_url(s.hub, s.registered.client_id, f"{s.platform.url}/elsewhere", challenge)
    resp = page.goto(bad)
    assert resp.status == 400
    assert page.url.startswith(s.hub)
    assert "Redirect URI" in page.locator("#error").inner_text()
    assert page.locator("#allow").count() == 0
    assert s.platform.visits == []


def test_replayed_code(oauth_hub: Setup, page: Any) -> None:
    s = oauth_hub
    verifier, challenge = pkce_pair()
    _to_consent(page, s, challenge)
    got = _allow(page, s)
    first = exchange(s.hub, s.registered, got["code"], verifier, basic=True)
    assert first.status_code == 200
    again = exchange(s.hub, s.registered, got["code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    auth = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert requests.get(f"{s.hub}/v2/me", headers=auth, timeout=10).status_code == 401


def test_refresh_reuse_revokes_the_grant(oauth_hub: Setup, page: Any) -> None:
    s = oauth_hub
    verifier, challenge = pkce_pair()
    _to_consent(page, s, challenge)
    got = _allow(page, s)
    first = exchange(s.hub, s.registered, got["code"], verifier).json()
    second = refresh(s.hub, s.registered, first["refresh_token"])
    assert second.status_code == 200
    with get_db(s.app).session() as db, db.begin():  # the grace has passed
        db.execute(
            update(OAuthToken)
            .where(OAuthToken.rotated_at.is_not(None))
            .values(rotated_at=utcnow() - timedelta(minutes=1))
        )
    reused = refresh(s.hub, s.registered, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    for token in (first["access_token"], second.json()["access_token"]):
        auth = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{s.hub}/v2/me", headers=auth, timeout=10).status_code == 401
    assert refresh(s.hub, s.registered, second.json()["refresh_token"]).status_code == 400
    # The user's page shows the authorization revoked.
    page.goto(f"{s.hub}/dashboard/sandbox/settings/apps")
    assert page.locator("#grants tr.revoked").count() == 1
