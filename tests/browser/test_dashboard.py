"""The dashboard in a real browser (Debian's Chromium through Playwright): sign-in and its
limit, a sandbox key that works, a webhook's delivery log and a retry, Google connected from
Paramètres → Intégrations, the mapping editor, and what a dispatcher may not do.

Each test saves screenshots of the pages it visits under docs/screenshots/ (see README)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from hub.config import Settings
from hub.db import get_db
from hub.events.http import DeliveryClient
from hub.events.urlcheck import parse_allowlist
from hub.services.dispatch import Dispatcher
from tests.browser.conftest import screenshot
from tests.dashboard.support import User, make_user
from tests.events.webhooks.receiver import Receiver, Reply
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.support import Tenant, make_tenant

Hub = tuple[str, Flask, FakeGoogleCalendar]


@pytest.fixture
def hub(live_hub: Hub) -> Hub:
    return live_hub


@pytest.fixture
def account(hub: Hub) -> Tenant:
    return make_tenant(hub[1], "Clim Express")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def deliver(hub: Hub) -> Iterator[Any]:
    """Run the worker's delivery engine until nothing is due (what `ivalid worker` does)."""
    app = hub[1]
    settings: Settings = app.config["IVALID"]
    client = DeliveryClient(parse_allowlist(settings.webhook_allowlist), timeout=5)
    engine = Dispatcher(get_db(app), settings, client, "browser-test")
    yield lambda: engine.drain(max_seconds=10)
    client.close()


def sign_in(page: Any, url: str, user: User, password: str | None = None) -> None:
    page.goto(f"{url}/dashboard/login")
    page.fill("#email", user.email)
    page.fill("#password", password or user.password)
    page.click("#sign-in")


def test_sign_in_wrong_password_then_the_attempt_limit(
    hub: Hub, account: Tenant, page: Any
) -> None:
    """A wrong password says so; the sixth try within 15 minutes is refused unchecked."""
    url, app, _ = hub
    user = make_user(app, account.account_id, "gerant@clim-express.fr", "owner")
    page.goto(f"{url}/dashboard/sandbox/settings/api/credentials")
    assert page.url.startswith(f"{url}/dashboard/login?next=")
    screenshot(page, "login")
    sign_in(page, url, user, "not the password")
    assert page.locator("#error").inner_text() == "E-mail ou mot de passe incorrect."
    screenshot(page, "login-error")
    for _ in range(4):
        sign_in(page, url, user, "still not it")
    sign_in(page, url, user)  # the right password, too late
    assert "Trop de tentatives" in page.locator("#error").inner_text()
    # Another person of the account, from the same address, is not locked out.
    other = make_user(app, account.account_id, "associe@clim-express.fr", "owner")
    sign_in(page, url, other)
    assert page.locator("#signed-in-as").inner_text().startswith(other.email)
    # ...and back to the page asked for first.
    page.goto(f"{url}/dashboard/lang/en?next=/dashboard/sandbox/settings/api/credentials")
    assert page.locator("h1").inner_text().startswith("Settings → API → Credentials")
    page.goto(f"{url}/dashboard/lang/fr?next=/dashboard/sandbox/settings/api/credentials")


def test_a_sandbox_key_from_the_dashboard_calls_the_api(
    hub: Hub, account: Tenant, page: Any
) -> None:
    """Create a key (shown once, with a copy button), call GET /v2/appointments with it."""
    url, app, _ = hub
    sign_in(page, url, make_user(app, account.account_id, "dev@clim-express.fr", "developer"))
    page.goto(f"{url}/dashboard/sandbox/settings/api/credentials")
    page.fill("#credential-name", "intégration nocturne")
    page.click("#create-key")
    key = page.locator("#secret-value").inner_text().strip()
    assert key.startswith("ivk_test_")
    assert page.locator("#issued button.copy").is_visible()
    screenshot(page, "credentials-key-created")
    answer = requests.get(
        f"{url}/v2/appointments", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["meta"]["total"] >= 1
    page.goto(f"{url}/dashboard/sandbox/settings/api/credentials")  # the secret is gone
    assert key not in page.content()
    row = page.locator("#keys tr", has_text="intégration nocturne")
    assert re.match(r"\d{4}-\d\d-\d\d", row.locator(".last-used").inner_text())
    screenshot(page, "credentials")
    row.locator("button.revoke").click()
    assert "révoquée" in page.locator("#keys tr", has_text="intégration nocturne").inner_text()


def test_webhook_delivery_log_retry_and_filters(
    hub: Hub, account: Tenant, page: Any, receiver: Receiver, deliver: Any
) -> None:
    """A webhook to a loopback receiver: a failed delivery in the log, retried, delivered."""
    url, app, _ = hub
    receiver.replies["/hook"] = Reply(500, body=b"receiver down")
    sign_in(page, url, make_user(app, account.account_id, "dev2@clim-express.fr", "developer"))
    page.goto(f"{url}/dashboard/sandbox/webhooks")
    page.fill("#webhook-url", receiver.url("/hook"))
    page.fill("#webhook-description", "ERP")
    page.check("input[name=events][value='customer.created']")
    page.click("#create-webhook-submit")
    assert page.locator("#secret-value").inner_text().startswith("whsec_")
    screenshot(page, "webhooks")
    page.click("#created-link")
    page.click("#send-test")
    assert deliver() >= 1
    page.reload()
    first = page.locator("tr.delivery").first
    assert first.get_attribute("data-event-type") == "webhook.test"
    assert first.get_attribute("data-status") == "pending"  # failed once, a retry is due
    assert first.locator("li.attempt").first.get_attribute("data-status-code") == "500"
    assert "receiver down" in first.inner_text()
    receiver.replies["/hook"] = Reply(200, body=b"ok")
    first.locator("button.retry").click()
    assert deliver() >= 1
    page.reload()
    first = page.locator("tr.delivery").first
    assert first.get_attribute("data-status") == "succeeded"
    assert first.locator("li.attempt").count() == 2
    # An event of the API reaches it too; the filters find each.
    created = requests.post(
        f"{url}/v2/customers",
        json={"first_name": "Zoé", "last_name": "Lefèvre"},
        headers={"Authorization": f"Bearer {account.api_key}"},
        timeout=10,
    )
    assert created.status_code == 201
    assert deliver() >= 1
    page.reload()
    assert page.locator("tr.delivery").count() == 2
    page.select_option("select[name=event_type]", "customer.created")
    page.click("#filter")
    assert page.locator("tr.delivery").count() == 1
    assert page.locator("tr.delivery").first.get_attribute("data-status") == "succeeded"
    page.select_option("select[name=event_type]", "")
    page.select_option("select[name=status]", "succeeded")
    page.click("#filter")
    assert page.locator("tr.delivery").count() == 2
    screenshot(page, "webhook-log")
    assert len(receiver.received("/hook")) == 3


def test_connect_google_then_the_mapping_editor(hub: Hub, account: Tenant, page: Any) -> None:
    """Connect through the fake's consent page, see `connected`; break the mapping, see the
    line; fix it and preview a real appointment."""
    url, app, _fake = hub
    sign_in(page, url, make_user(app, account.account_id, "bureau@clim-express.fr", "developer"))
    page.goto(f"{url}/dashboard/sandbox/settings/integrations")
    assert page.locator("#integrations tbody tr").count() == 6
    google = page.locator("#integration-google-calendar")
    assert google.get_attribute("data-status") == "disconnected"
    assert page.locator("#integration-zapier").get_attribute("data-status") == "unavailable"
    google.locator("a").click()
    page.click("#connect")
    assert "iValid Hub wants to access your Google Account" in page.content()
    with page.expect_navigation(url=f"{url}/oauth/callback/google-calendar?*"):
        page.click("#allow")
    assert page.locator("#result").get_attribute("data-status") == "connected"
    page.goto(f"{url}/dashboard/sandbox/settings/integrations")
    google = page.locator("#integration-google-calendar")
    assert google.get_attribute("data-status") == "connected"
    assert google.locator(".account").inner_text() == "admin@company.com"
    screenshot(page, "integrations")
    google.locator("a").click()
    assert page.locator("#status-value").inner_text() == "connected"
    page.fill(
        "#mapping",
        "rules:\n  - direction: outbound\n    target: summary\n    transform: no_such_transform\n",
    )
    page.click("#save-mapping")
    error = page.locator("#mapping-error")
    assert error.get_attribute("data-line") == "4"  # the transform's line
    assert "Ligne 4" in error.inner_text()
    screenshot(page, "mapping-error")
    page.fill(
        "#mapping",
        "rules:\n"
        "  - direction: outbound\n"
        "    target: summary\n"
        "    transform: template\n"
        '    template: "RDV {customer.name}"\n',
    )
    page.click("#preview")
    payload = page.locator("#preview-payload").inner_text()
    assert '"summary": "RDV ' in payload
    page.click("#save-mapping")
    assert "RDV {customer.name}" in page.locator("#mapping").input_value()
    screenshot(page, "integration")


def test_a_dispatcher_sees_no_secret_and_the_server_refuses_him(
    hub: Hub, account: Tenant, page: Any
) -> None:
    """No create or rotate button for a dispatcher, and a forged POST is 403."""
    url, app, _ = hub
    sign_in(page, url, make_user(app, account.account_id, "planning@clim-express.fr", "dispatcher"))
    page.goto(f"{url}/dashboard/sandbox/settings/api/credentials")
    assert page.locator("#read-only").is_visible()
    assert page.locator("#create-key").count() == 0
    assert page.locator("button.rotate").count() == 0
    screenshot(page, "credentials-dispatcher")
    token = page.locator("input[name=csrf_token]").first.input_value()
    key_id = page.locator("#keys tbody tr").first.get_attribute("data-id")
    for path in (
        f"/dashboard/sandbox/settings/api/keys/{key_id}/rotate",
        "/dashboard/sandbox/settings/api/keys",
        "/dashboard/sandbox/webhooks",
    ):
        answer = page.request.post(f"{url}{path}", form={"csrf_token": token, "url": "x"})
        assert answer.status == 403, path
    page.goto(f"{url}/dashboard/sandbox/events")
    assert page.locator("#reset-now").count() == 0
    screenshot(page, "events")


def test_docs_try_it_against_the_sandbox(hub: Hub, account: Tenant, page: Any) -> None:
    """/docs: Swagger UI (vendored, no CDN) over /v2/openapi.json; "Try it out" with a key."""
    url, _app, _ = hub
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(url) or r.url.startswith("data:") else outside.append(r.url)
        ),
    )
    page.goto(f"{url}/docs")
    page.fill("#try-key", account.api_key)
    page.dispatch_event("#try-key", "change")
    block = page.locator(".opblock", has=page.locator('[data-path="/v2/me"]')).first
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    block.locator(".execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert account.account_id in block.locator(".live-responses-table").inner_text()
    screenshot(page, "docs")
    assert outside == []
