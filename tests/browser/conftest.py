"""One headless Chromium (Debian's) for the whole session, driven by Playwright, and the hub
served over HTTP on loopback with the Google fake behind its connect flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hub.db import get_db
from hub.integrations.runtime import SyncRuntime
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fakes.server import LoopbackServer
from tests.integrations.conftest import provider_for
from tests.support import ROOT, free_port, truncate_all

CHROMIUM = Path("/usr/bin/chromium")
# What headless Chromium needs on a closed network, as root, without a GPU.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
)


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install Debian's package (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The session's one browser (each test opens its own context: cookies apart)."""
    _need_chromium()
    with playwright_sync.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) in French, and its page."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """Save the page as docs/screenshots/<name>.png (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


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
