"""The connect flow in a real browser: iValid's consent link → Google's (fake) consent page →
our callback page → connected. Headless Chromium from Debian (`apt-get install chromium`)
driven by Playwright; skipped when either is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from hub.db import get_db
from hub.integrations.runtime import SyncRuntime
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fakes.server import LoopbackServer
from tests.integrations.conftest import provider_for
from tests.support import free_port, make_tenant, truncate_all

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
)
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium: install Debian's package (apt-get install -y chromium)",
)


@pytest.fixture
def live_hub(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Flask, FakeGoogleCalendar]]:
    """The hub served over HTTP on loopback (its public URL is where it listens) + the fake."""
    from hub import create_app

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app({**base_config, "public_url": url})
    with FakeGoogleCalendar(user_email="admin@company.com") as fake:
        app.extensions["ivalid_sync"] = SyncRuntime(
            get_db(app), app.config["IVALID"], providers={"google-calendar": provider_for(fake)}
        )
        server = LoopbackServer(app, port=port).start()
        try:
            yield url, app, fake
        finally:
            server.stop()
            truncate_all(app)
            get_db(app).engine.dispose()


def test_connect_google_calendar_in_a_browser(
    live_hub: tuple[str, Flask, FakeGoogleCalendar],
) -> None:
    """Click "Allow" on the consent page; the callback page says connected, and so does the API."""
    url, app, _fake = live_hub
    tenant = make_tenant(app, "Browser Co")
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    start = requests.post(
        f"{url}/v2/integrations/google-calendar/connect", headers=auth, timeout=10
    )
    assert start.status_code == 200, start.text
    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-FR")
            page.goto(start.json()["authorization_url"])
            assert "iValid Hub wants to access your Google Account" in page.content()
            assert page.locator("#account").inner_text() == "admin@company.com"
            with page.expect_navigation(url=f"{url}/oauth/callback/google-calendar?*"):
                page.click("#allow")
            result = page.locator("#result")
            assert result.get_attribute("data-status") == "connected"
            assert page.locator("h1").inner_text() == "Google Calendar est connecté"
            assert page.locator("#account").inner_text() == "admin@company.com"
        finally:
            browser.close()
    status = requests.get(f"{url}/v2/integrations/google-calendar", headers=auth, timeout=10)
    assert status.status_code == 200
    assert status.json()["status"] == "connected"
    assert status.json()["connected_as"]["email"] == "admin@company.com"
    assert os.environ.get("OAUTHLIB_INSECURE_TRANSPORT") == "1"
