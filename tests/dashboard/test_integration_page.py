"""Paramètres → Intégrations → one integration, shaped by what the connector declares: the
synced streams with a switch for the optional ones (Zoho's leads), the technicians'
calendars for a calendar connector only, Zoho's credits, the mapping preview on the kind of
object the connector maps; roles and CSRF enforced by the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.clock import ManualClock
from hub.dashboard.roles import PERMISSIONS
from hub.integrations.engine import run_due
from hub.integrations.runtime import SyncRuntime
from tests.dashboard.support import User, csrf_from, make_user, sign_in
from tests.fakes.zoho import FakeZoho
from tests.integrations.zoho_hub import connect, zoho_runtime
from tests.support import Api, Tenant

pytest_plugins = ["tests.connectors.zoho_fixtures"]

PAGE = "/dashboard/sandbox/settings/integrations/{name}"
SWITCH = "/dashboard/sandbox/settings/integrations/zoho/streams/{stream}"


@pytest.fixture
def zoho_rt(app: Flask, zoho: FakeZoho, clock: ManualClock) -> Iterator[SyncRuntime]:
    """The app's runtime pointed at the Zoho fake."""
    with zoho_runtime(app, zoho, clock) as rt:
        yield rt


@pytest.fixture
def zoho_connected(
    zoho_rt: SyncRuntime, api: Api, client: FlaskClient, tenant: Tenant, zoho: FakeZoho
) -> str:
    """The tenant connected to the fake's Zoho, with one lead waiting there; the connection."""
    zoho.store().create("Leads", First_Name="Léa", Last_Name="Prospect", Email="lea@example.fr")
    return connect(zoho_rt, api, client, tenant)


def _browser(app: Flask, user: User, lang: str = "fr") -> FlaskClient:
    browser = app.test_client()
    if lang == "en":
        browser.set_cookie("ivalid_lang", "en")
    assert sign_in(browser, user).status_code == 302
    return browser


def _page(browser: FlaskClient, name: str) -> str:
    resp = browser.get(PAGE.format(name=name))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def _row(html: str, stream: str) -> str:
    match = re.search(rf'<tr id="stream-{stream}"(.*?)</tr>', html, re.S)
    assert match, f"no row for {stream}"
    return match.group(0)


def _enabled(api: Api) -> dict[str, bool]:
    resp = api.get("/v2/integrations/zoho")
    assert resp.status_code == 200, resp.get_json()
    return {s["name"]: s["enabled"] for s in resp.get_json()["streams"]}


def _emails(api: Api) -> set[str]:
    return {c["email"] for c in api.get("/v2/customers", per_page=100).get_json()["data"]}


def test_turning_leads_on_makes_the_next_sync_pull_them(
    app: Flask, zoho_rt: SyncRuntime, api: Api, owner: User, zoho_connected: str
) -> None:
    """Leads off (with a switch), contacts always synced (no switch); the switch turns leads
    on through the API's service: GET shows it, the next run pulls the lead; the credits Zoho
    reported are on the page then; the switch turns leads off again."""
    browser = _browser(app, owner)
    html = _page(browser, "zoho")
    assert "Flux synchronisés" in html
    contacts, leads = _row(html, "contacts"), _row(html, "leads")
    assert 'data-enabled="true"' in contacts and "toujours synchronisé" in contacts
    assert 'id="stream-switch-contacts"' not in contacts
    assert 'data-enabled="false"' in leads and "Activer" in leads
    assert "Zoho CRM → iValid" in leads and "clients" in leads
    assert 'id="usage"' not in html  # Zoho reported nothing yet

    resp = browser.post(
        SWITCH.format(stream="leads"), data={"csrf_token": csrf_from(html), "enabled": "1"}
    )
    assert resp.status_code == 302
    html = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Flux leads activé" in html
    assert 'data-enabled="true"' in _row(html, "leads")
    assert _enabled(api) == {"contacts": True, "leads": True}

    assert "lea@example.fr" not in _emails(api)
    run_due(zoho_rt)
    assert "lea@example.fr" in _emails(api)
    html = _page(browser, "zoho")
    used = re.search(r'<dd id="usage-used">(\d+)</dd>', html)
    assert used and int(used.group(1)) > 0

    resp = browser.post(
        SWITCH.format(stream="leads"), data={"csrf_token": csrf_from(html), "enabled": "0"}
    )
    assert resp.status_code == 302
    assert _enabled(api) == {"contacts": True, "leads": False}


@pytest.mark.parametrize(
    ("stream", "value", "lang", "status", "text"),
    [
        pytest.param(
            "contacts", "0", "fr", 422, "Le flux contacts est toujours synchronisé", id="required"
        ),
        pytest.param(
            "contacts", "0", "en", 422, "The contacts stream is always synced", id="required-en"
        ),
        pytest.param(
            "deals", "1", "fr", 422, "Flux inconnu pour cette intégration : deals", id="unknown"
        ),
        pytest.param("leads", "maybe", "fr", 422, "Choix invalide (0 ou 1).", id="bad-value"),
    ],
)
def test_a_refused_switch_shows_its_error_and_changes_nothing(
    app: Flask,
    api: Api,
    owner: User,
    zoho_connected: str,
    stream: str,
    value: str,
    lang: str,
    status: int,
    text: str,
) -> None:
    """The service's refusal (or a value that is neither on nor off) on the page, never a
    500; the streams as they were."""
    before = _enabled(api)
    browser = _browser(app, owner, lang)
    html = _page(browser, "zoho")
    resp = browser.post(
        SWITCH.format(stream=stream), data={"csrf_token": csrf_from(html), "enabled": value}
    )
    assert resp.status_code == status
    page = resp.get_data(as_text=True)
    error = re.search(r'<p class="error" id="streams-error" role="alert">(.*?)</p>', page, re.S)
    assert error and text in error.group(1), page
    assert ("Synced streams" if lang == "en" else "Flux synchronisés") in page
    assert _enabled(api) == before == {"contacts": True, "leads": False}


@pytest.mark.parametrize(
    ("name", "calendar", "streams", "kind"),
    [
        pytest.param("google-calendar", True, False, "appointment", id="google-calendar"),
        pytest.param("outlook", True, False, "appointment", id="outlook"),
        pytest.param("zoho", False, True, "customer", id="zoho"),
    ],
)
def test_the_page_shows_what_applies_to_the_connectors_kind(
    app: Flask, tenant: Tenant, owner: User, name: str, calendar: bool, streams: bool, kind: str
) -> None:
    """Technicians' calendars for a calendar connector only; streams for one with record
    streams; the preview offers the kind of object its mapping turns into remote records."""
    for lang in ("fr", "en"):
        html = _page(_browser(app, owner, lang), name)
        heading = "Each technician’s calendar" if lang == "en" else "Agenda de chaque technicien"
        assert ('id="links"' in html) is calendar and (heading in html) is calendar
        assert ('id="streams"' in html) is streams
        assert f'id="preview-object" data-kind="{kind}"' in html
        label = {"customer": ("Preview on customer", "Aperçu sur le client")}.get(
            kind, ("Preview on appointment", "Aperçu sur le rendez-vous")
        )
        assert label[0 if lang == "en" else 1] in html


def test_zoho_preview_shows_a_customer_as_a_contact(
    app: Flask, api: Api, tenant: Tenant, owner: User
) -> None:
    """The dashboard's preview picks a customer for Zoho and shows the contact it becomes
    (with the draft YAML); the API previews a customer too, and refuses an appointment."""
    customers = api.get("/v2/customers", per_page=5).get_json()["data"]
    customer = next(c for c in customers if c.get("email"))
    browser = _browser(app, owner)
    html = _page(browser, "zoho")
    assert f'<option value="{customer["id"]}"' in html
    resp = browser.post(
        "/dashboard/sandbox/settings/integrations/zoho/mapping/preview",
        data={"csrf_token": csrf_from(html), "object_id": customer["id"], "mapping": ""},
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    payload = re.search(r'<pre id="preview-payload">(.*?)</pre>', page, re.S)
    assert payload and "Last_Name" in payload.group(1)
    assert customer["email"] in payload.group(1)

    answer = api.post("/v2/integrations/zoho/mapping/preview", {"customer_id": customer["id"]})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["customer_id"] == customer["id"]
    assert answer.get_json()["payload"]["Email"] == customer["email"]
    appointment = api.get("/v2/appointments", per_page=1).get_json()["data"][0]["id"]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("zoho", {"appointment_id": appointment}, "customer_id"),
        ("google-calendar", {"customer_id": customer["id"]}, "appointment_id"),
    ]
    for name, body, field in cases:
        refused = api.post(f"/v2/integrations/{name}/mapping/preview", body)
        assert refused.status_code == 422, refused.get_json()
        error = refused.get_json()["error"]
        assert error["code"] == "PREVIEW_KIND" and error["details"]["field"] == field


@pytest.mark.parametrize(
    ("role", "narrowed", "csrf", "sees_switch", "status"),
    [
        pytest.param("owner", False, "valid", True, 302, id="owner"),
        pytest.param("dispatcher", False, "valid", True, 302, id="dispatcher"),
        # A role without integrations:manage (no such role ships today: the dispatcher's
        # permission is taken away for the test).
        pytest.param("dispatcher", True, "valid", False, 403, id="without-manage"),
        pytest.param("owner", False, "missing", True, 400, id="csrf-missing"),
        pytest.param("owner", False, "forged", True, 400, id="csrf-forged"),
    ],
)
def test_the_switch_needs_integrations_manage_and_a_csrf_token(
    app: Flask,
    api: Api,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    narrowed: bool,
    csrf: str,
    sees_switch: bool,
    status: int,
) -> None:
    """No switch for a role without integrations:manage and its forged POST is a 403 page;
    a POST without this session's token is refused; leads stay off."""
    if narrowed:
        monkeypatch.setitem(
            PERMISSIONS, "integrations:manage", PERMISSIONS["integrations:manage"] - {role}
        )
    user = make_user(app, tenant.account_id, f"{role}-streams@tenant-a.fr", role)
    browser = _browser(app, user)
    html = _page(browser, "zoho")
    assert ('id="stream-switch-leads"' in html) is sees_switch
    assert 'id="stream-leads"' in html  # the streams are shown to everyone who sees the page
    token = {"valid": csrf_from(html), "forged": "forged", "missing": None}[csrf]
    data = {"enabled": "1", **({"csrf_token": token} if token else {})}
    resp = browser.post(SWITCH.format(stream="leads"), data=data)
    assert resp.status_code == status
    body = resp.get_data(as_text=True)
    if status == 403:
        assert "Votre rôle ne permet pas cette action." in body
    if status == 400:
        assert "Le formulaire a expiré" in body
    expected = status == 302
    assert _enabled(api) == {"contacts": True, "leads": expected}
