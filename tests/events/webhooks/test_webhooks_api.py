"""/v2/webhooks: the spec's create body, secrets shown once, validation, SSRF refusals, tenancy."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import crypto
from hub.db import get_db
from hub.events.signing import is_standard_secret
from hub.models import WebhookEndpoint
from tests.events.conftest import FakeDns
from tests.events.webhooks.conftest import create_hook
from tests.events.webhooks.receiver import Receiver
from tests.support import Api, Tenant, key_with_scopes


def test_create_with_the_spec_body_shows_the_secret_once(
    app: Flask, api: Api, receiver: Receiver
) -> None:
    body = {
        "url": receiver.url("/webhooks/ivalid"),
        "events": ["appointment.created", "appointment.updated", "appointment.cancelled"],
        "secret": "whsec_your_webhook_secret",
        "active": True,
    }
    resp = api.post("/v2/webhooks", body)
    assert resp.status_code == 201, resp.json
    hook = resp.json
    assert hook["id"].startswith("wh_") and hook["secret"] == "whsec_your_webhook_secret"
    assert hook["events"] == body["events"] and hook["active"] is True
    assert hook["secret_hint"] == "whsec_…cret"
    shown = api.get(f"/v2/webhooks/{hook['id']}").json
    assert "secret" not in shown and shown["secret_hint"] == "whsec_…cret"
    listed = api.get("/v2/webhooks").json
    assert listed["meta"]["total"] == 1 and "secret" not in listed["data"][0]
    # Encrypted at rest: a database dump does not show it.
    with get_db(app).session() as s:
        stored = s.get(WebhookEndpoint, hook["id"])
        assert stored is not None and "your_webhook_secret" not in stored.secret
        assert crypto.decrypt(app.config["IVALID"], stored.secret) == body["secret"]


def test_a_secret_is_generated_when_absent(api: Api, receiver: Receiver) -> None:
    hook = create_hook(api, receiver.url())
    assert hook["secret"].startswith("whsec_") and is_standard_secret(hook["secret"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({"events": ["customer.created"]}, 422, "VALIDATION_ERROR", id="no-url"),
        pytest.param({"url": "U", "events": []}, 422, "VALIDATION_ERROR", id="no-events"),
        pytest.param(
            {"url": "U", "events": ["appointment.exploded"]},
            422,
            "VALIDATION_ERROR",
            id="unknown-event",
        ),
        pytest.param(
            {"url": "U", "events": "customer.created"},
            422,
            "VALIDATION_ERROR",
            id="events-not-a-list",
        ),
        pytest.param(
            {"url": "U", "events": ["customer.created"], "secret": "short"},
            422,
            "VALIDATION_ERROR",
            id="short-secret",
        ),
        pytest.param(
            {"url": "U", "events": ["customer.created"], "secret": "whsec_with space s"},
            422,
            "VALIDATION_ERROR",
            id="secret-with-spaces",
        ),
        pytest.param(
            {"url": "U", "events": ["customer.created"], "colour": "red"},
            422,
            "VALIDATION_ERROR",
            id="unknown-field",
        ),
        pytest.param(
            {"url": "U", "events": ["customer.created"], "active": "yes please"},
            422,
            "VALIDATION_ERROR",
            id="active-not-bool",
        ),
    ],
)
def test_bad_bodies_get_the_error_format(
    api: Api, receiver: Receiver, body: dict[str, object], status: int, code: str
) -> None:
    if body.get("url") == "U":
        body = {**body, "url": receiver.url()}
    resp = api.post("/v2/webhooks", body)
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code and resp.json["error"]["message"]


def test_not_json_is_400(api: Api) -> None:
    resp = api.client.post(
        "/v2/webhooks", data=b"{nope", headers=api.headers({"Content-Type": "application/json"})
    )
    assert resp.status_code == 400 and resp.json["error"]["code"] == "INVALID_JSON"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("http://hooks.example.com/x", "http_not_allowed", id="plain-http"),
        pytest.param("ftp://hooks.example.com/x", "scheme_not_allowed", id="ftp"),
        pytest.param("https://127.0.0.1/x", "loopback", id="loopback"),
        pytest.param("https://2130706433/x", "loopback", id="loopback-decimal"),
        pytest.param("https://0x7f.1/x", "loopback", id="loopback-hex"),
        pytest.param("https://[::1]/x", "loopback", id="loopback-v6"),
        pytest.param("https://localhost/x", "loopback", id="localhost"),
        pytest.param("https://10.1.2.3/x", "private", id="private-10"),
        pytest.param("https://192.168.0.10/x", "private", id="private-192"),
        pytest.param("https://169.254.169.254/latest/meta-data", "metadata", id="metadata-ip"),
        pytest.param("https://metadata.google.internal/x", "metadata", id="metadata-name"),
        pytest.param("https://169.254.10.10/x", "link_local", id="link-local"),
        pytest.param("https://[fe80::1]/x", "link_local", id="link-local-v6"),
        pytest.param("https://[::ffff:10.0.0.1]/x", "ipv4_mapped", id="v4-mapped"),
        pytest.param("https://user:pw@hooks.example.com/x", "userinfo_not_allowed", id="userinfo"),
    ],
)
def test_ssrf_urls_are_refused_at_creation(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    # Without an allow-list: the production default.
    monkeypatch.setitem(
        app.config, "IVALID", dataclasses.replace(app.config["IVALID"], webhook_allowlist="")
    )
    resp = api.post("/v2/webhooks", {"url": url, "events": ["customer.created"]})
    assert resp.status_code == 422, resp.json
    err = resp.json["error"]
    assert err["code"] == "WEBHOOK_URL_NOT_ALLOWED"
    assert err["details"]["errors"][0]["field"] == "url"
    assert err["details"]["errors"][0]["reason"] == reason


def test_a_name_resolving_to_a_private_address_is_refused_at_creation(
    api: Api, fake_dns: FakeDns
) -> None:
    fake_dns["internal.example.test"] = ["93.184.216.34", "10.0.0.7"]
    resp = api.post(
        "/v2/webhooks", {"url": "https://internal.example.test/h", "events": ["customer.created"]}
    )
    assert resp.status_code == 422
    assert resp.json["error"]["details"]["errors"][0]["reason"] == "private"
    fake_dns["public.example.test"] = ["93.184.216.34"]
    resp = api.post(
        "/v2/webhooks", {"url": "https://public.example.test/h", "events": ["customer.created"]}
    )
    assert resp.status_code == 201


def test_the_update_checks_the_url_too(api: Api, receiver: Receiver) -> None:
    hook = create_hook(api, receiver.url())
    resp = api.put(f"/v2/webhooks/{hook['id']}", {"url": "https://169.254.169.254/"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "WEBHOOK_URL_NOT_ALLOWED"
    resp = api.put(
        f"/v2/webhooks/{hook['id']}", {"events": ["customer.updated"], "description": "CRM"}
    )
    assert resp.status_code == 200
    assert resp.json["events"] == ["customer.updated"] and resp.json["description"] == "CRM"
    assert resp.json["url"] == receiver.url()


def test_delete(api: Api, receiver: Receiver) -> None:
    hook = create_hook(api, receiver.url())
    resp = api.delete(f"/v2/webhooks/{hook['id']}")
    assert resp.status_code == 204 and resp.data == b""
    assert api.get(f"/v2/webhooks/{hook['id']}").status_code == 404
    assert api.delete(f"/v2/webhooks/{hook['id']}").status_code == 404


def test_rotate_secret_returns_the_new_secret_once(api: Api, receiver: Receiver) -> None:
    hook = create_hook(api, receiver.url())
    resp = api.post(f"/v2/webhooks/{hook['id']}/rotate-secret")
    assert resp.status_code == 200, resp.json
    assert resp.json["secret"] != hook["secret"] and resp.json["secret"].startswith("whsec_")
    assert resp.json["previous_secret_expires_at"] is not None
    resp = api.post(
        f"/v2/webhooks/{hook['id']}/rotate-secret", {"secret": "whsec_chosen_by_the_customer"}
    )
    assert resp.json["secret"] == "whsec_chosen_by_the_customer"


def test_scope_webhooks_manage_is_required(app: Flask, client: FlaskClient, tenant: Tenant) -> None:
    reader = Api(client, key_with_scopes(app, tenant, "customers:read appointments:read"))
    for resp in (
        reader.get("/v2/webhooks"),
        reader.get("/v2/events"),
        reader.post("/v2/webhooks", {"url": "https://x.test", "events": ["customer.created"]}),
    ):
        assert resp.status_code == 403 and resp.json["error"]["code"] == "INSUFFICIENT_SCOPE"
    assert client.get("/v2/webhooks").status_code == 401


def test_another_tenants_webhook_is_404(
    app: Flask, client: FlaskClient, api: Api, other_tenant: Tenant, receiver: Receiver
) -> None:
    hook = create_hook(api, receiver.url())
    other = Api(client, other_tenant.api_key)
    for resp in (
        other.get(f"/v2/webhooks/{hook['id']}"),
        other.put(f"/v2/webhooks/{hook['id']}", {"active": False}),
        other.delete(f"/v2/webhooks/{hook['id']}"),
        other.get(f"/v2/webhooks/{hook['id']}/deliveries"),
        other.post(f"/v2/webhooks/{hook['id']}/test"),
        other.post(f"/v2/webhooks/{hook['id']}/rotate-secret"),
        other.post(f"/v2/webhooks/{hook['id']}/recover", {"since": "2025-01-01T00:00:00Z"}),
    ):
        assert resp.status_code == 404, resp.json
        assert resp.json["error"]["code"] == "NOT_FOUND"
    assert other.get("/v2/webhooks").json["meta"]["total"] == 0
    assert api.get(f"/v2/webhooks/{hook['id']}").json["active"] is True


def test_bad_queries_and_unknown_ids(api: Api, receiver: Receiver) -> None:
    hook = create_hook(api, receiver.url())
    assert api.get("/v2/webhooks", per_page=1000).status_code == 422
    assert api.get(f"/v2/webhooks/{hook['id']}/deliveries", status="lost").status_code == 422
    resp = api.post(f"/v2/webhooks/{hook['id']}/deliveries/whd_nope/retry")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "NOT_FOUND"
    resp = api.post(f"/v2/webhooks/{hook['id']}/recover", {"since": "2999-01-01T00:00:00Z"})
    assert resp.status_code == 422
    resp = api.post(f"/v2/webhooks/{hook['id']}/recover", {"since": "2025-01-01"})
    assert resp.status_code == 422  # a date-time with a zone is required
    resp = api.post(f"/v2/webhooks/{hook['id']}/recover", {})
    assert (
        resp.status_code == 422 and resp.json["error"]["details"]["errors"][0]["field"] == "since"
    )


def test_the_openapi_document_lists_the_webhook_routes(client: FlaskClient) -> None:
    paths = client.get("/v2/openapi.json").json["paths"]
    for path in (
        "/v2/webhooks",
        "/v2/webhooks/{webhook_id}",
        "/v2/webhooks/{webhook_id}/test",
        "/v2/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
        "/v2/events",
    ):
        assert path in paths
