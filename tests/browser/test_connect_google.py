"""The API's connect flow in a real browser: iValid's consent link → Google's (fake) consent
page → our callback → sign in and confirm (the link is not a bearer capability) → connected."""

from __future__ import annotations

import os
from typing import Any

import requests
from flask import Flask

from tests.dashboard.support import make_user
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.support import make_tenant


def test_connect_google_calendar_in_a_browser(
    live_hub: tuple[str, Flask, FakeGoogleCalendar], page: Any
) -> None:
    """Click "Allow"; the callback asks a user of the account to sign in and confirm."""
    url, app, _fake = live_hub
    tenant = make_tenant(app, "Browser Co")
    user = make_user(app, tenant.account_id, "office@browser.co", "dispatcher")
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    start = requests.post(
        f"{url}/v2/integrations/google-calendar/connect", headers=auth, timeout=10
    )
    assert start.status_code == 200, start.text
    page.goto(start.json()["authorization_url"])
    assert "iValid Hub wants to access your Google Account" in page.content()
    assert page.locator("#account").inner_text() == "admin@company.com"
    with page.expect_navigation(url=f"{url}/dashboard/login**"):
        page.click("#allow")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    with page.expect_navigation(url=f"{url}/oauth/callback/google-calendar?*"):
        page.click("#sign-in")
    assert "Connecter Google Calendar" in page.locator("h1").inner_text()
    page.click("#confirm")
    result = page.locator("#result")
    assert result.get_attribute("data-status") == "connected"
    assert page.locator("h1").inner_text() == "Google Calendar est connecté"
    assert page.locator("#account").inner_text() == "admin@company.com"
    status = requests.get(f"{url}/v2/integrations/google-calendar", headers=auth, timeout=10)
    assert status.status_code == 200
    assert status.json()["status"] == "connected"
    assert status.json()["connected_as"]["email"] == "admin@company.com"
    assert os.environ.get("OAUTHLIB_INSECURE_TRANSPORT") == "1"


def test_a_connect_link_sent_to_someone_else_connects_nothing(
    live_hub: tuple[str, Flask, FakeGoogleCalendar], page: Any
) -> None:
    """A user of another account who follows the link (and allows) cannot finish it."""
    url, app, _fake = live_hub
    tenant = make_tenant(app, "Attacker Co", seed=False)
    victim = make_tenant(app, "Victim Co", seed=False)
    user = make_user(app, victim.account_id, "someone@victim.co", "owner")
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    start = requests.post(
        f"{url}/v2/integrations/google-calendar/connect", headers=auth, timeout=10
    ).json()
    page.goto(start["authorization_url"])
    with page.expect_navigation(url=f"{url}/dashboard/login**"):
        page.click("#allow")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    with page.expect_navigation(url=f"{url}/oauth/callback/google-calendar?**"):
        page.click("#sign-in")
    with page.expect_navigation(url=f"{url}/oauth/callback/google-calendar"):
        page.click("#confirm")
    assert page.locator("#result").get_attribute("data-status") == "invalid_state"
    status = requests.get(f"{url}/v2/integrations/google-calendar", headers=auth, timeout=10)
    assert status.json()["status"] == "disconnected"
