"""The authorization-code dance (PKCE S256) as an automation platform performs it.

`register_app` registers an app (as `ivalid apps create` does) and `make_user` an account user
with a password; `dance` then does over plain HTTP, against a live hub URL, what Zapier or
Make do: open /oauth/authorize, sign in through the dashboard's form (CSRF), allow on the
consent page, and exchange the code at /oauth/token (client id and secret in the body, as
Zapier sends them; `basic=True` sends them in the Authorization header instead). It returns
the token response. `authorize` stops before the exchange and returns the redirect's
parameters (code and state, or error).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from flask import Flask

from hub.db import get_db

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_ACTION = re.compile(
    r'<form method="post" action="([^"]+)">\s*<input type="hidden" '
    r'name="csrf_token" value="([^"]+)">\s*<button type="submit" '
    r'name="decision"'
)
PASSWORD = "correct horse battery"
ZAPIER_REDIRECT = "https://zapier.com/dashboard/auth/oauth/return/App123CLIAPI/"
# Make's callback for custom apps (`oauth.localRedirectUri` / `oauth.makeRedirectUri`), and the
# older one (`oauth.redirectUri`) that existing apps still use.
MAKE_REDIRECT = "https://www.make.com/oauth/cb/app"
MAKE_LEGACY_REDIRECT = "https://www.integromat.com/oauth/cb/app"


@dataclass(frozen=True)
class RegisteredApp:
    client_id: str
    client_secret: str
    redirect_uri: str


def register_app(
    app: Flask,
    name: str = "Zapier",
    redirect_uris: tuple[str, ...] = (ZAPIER_REDIRECT,),
    account_id: str | None = None,
    environment: str = "sandbox",
    scopes: str | None = None,
) -> RegisteredApp:
    """An app registered as `ivalid apps create` does (secret shown once)."""
    from hub.services.apps import create_app

    with get_db(app).session() as session:
        issued = create_app(session, name, list(redirect_uris), account_id, environment, scopes)
    return RegisteredApp(issued.id, issued.secret, redirect_uris[0])


def make_user(app: Flask, account_id: str, email: str, role: str = "owner") -> str:
    """An account user who already chose PASSWORD; returns his id."""
    from hub.services import users
    from hub.timeutil import utcnow

    with get_db(app).session() as session:
        row = users.create_user(session, account_id, email, role)
        token = users.issue_link(session, row.id, "set_password", utcnow())
        users.set_password(session, token, PASSWORD, utcnow())
        return row.id


def pkce_pair() -> tuple[str, str]:
    """A code_verifier and its S256 code_challenge (RFC 7636 4.1, 4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    challenge: str,
    state: str = "st-123",
    scope: str | None = None,
    **extra: str,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    if scope:
        params["scope"] = scope
    return f"{base_url.rstrip('/')}/oauth/authorize?{urlencode(params)}"


def consent_form(html: str) -> tuple[str, str]:
    """The consent form's action and CSRF token."""
    match = FORM_ACTION.search(html)
    assert match, "no consent form on the page"
    return match.group(1).replace("&amp;", "&"), match.group(2)


def answer_consent(
    http: requests.Session,
    base_url: str,
    url: str,
    email: str,
    *,
    decision: str = "allow",
    password: str = PASSWORD,
) -> str:
    """Open the authorize `url`, sign in if sent to the sign-in page, answer the consent page;
    the `Location` the hub redirects to."""
    page = http.get(url, timeout=30)
    if "/dashboard/login" in page.url:
        token = CSRF.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        nxt = parse_qs(urlsplit(page.url).query).get("next", [""])[0]
        page = http.post(
            urljoin(base_url, "/dashboard/login"),
            data={"email": email, "password": password, "csrf_token": token.group(1), "next": nxt},
            timeout=30,
        )
    assert page.status_code == 200, page.text[:500]
    action, csrf = consent_form(page.text)
    resp = http.post(
        urljoin(base_url, action),
        data={"csrf_token": csrf, "decision": decision},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 302, resp.text[:500]
    return str(resp.headers["Location"])


def query_of(location: str) -> dict[str, str]:
    """A redirect's query parameters, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize(
    http: requests.Session,
    base_url: str,
    app: RegisteredApp,
    email: str,
    challenge: str,
    *,
    decision: str = "allow",
    state: str = "st-123",
    scope: str | None = None,
    password: str = PASSWORD,
) -> dict[str, str]:
    """Sign in (if needed), answer the consent page; the redirect's query parameters."""
    url = authorize_url(base_url, app.client_id, app.redirect_uri, challenge, state, scope)
    location = answer_consent(http, base_url, url, email, decision=decision, password=password)
    assert location.startswith(app.redirect_uri), location
    return query_of(location)


def exchange(
    base_url: str,
    app: RegisteredApp,
    code: str,
    verifier: str,
    *,
    basic: bool = False,
    redirect_uri: str | None = None,
) -> requests.Response:
    """POST /oauth/token grant_type=authorization_code."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri or app.redirect_uri,
        "code_verifier": verifier,
    }
    auth = None
    if basic:
        auth = (app.client_id, app.client_secret)
    else:
        data.update(client_id=app.client_id, client_secret=app.client_secret)
    return requests.post(urljoin(base_url, "/oauth/token"), data=data, auth=auth, timeout=30)


def refresh(base_url: str, app: RegisteredApp, refresh_token: str) -> requests.Response:
    """POST /oauth/token grant_type=refresh_token (client in the body)."""
    return requests.post(
        urljoin(base_url, "/oauth/token"),
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
        timeout=30,
    )


def dance(
    base_url: str, app: RegisteredApp, email: str, scope: str | None = None
) -> dict[str, Any]:
    """The whole authorization-code + PKCE dance over HTTP; the token response."""
    verifier, challenge = pkce_pair()
    with requests.Session() as http:
        got = authorize(http, base_url, app, email, challenge, scope=scope)
    assert got.get("state") == "st-123" and "code" in got, got
    resp = exchange(base_url, app, got["code"], verifier)
    assert resp.status_code == 200, resp.text
    tokens: dict[str, Any] = resp.json()
    return tokens
