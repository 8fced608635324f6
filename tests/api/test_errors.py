"""Every error leaves in the spec's format with the right code, in French or English."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support import Api, Tenant


def _assert_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json
    err = resp.json["error"]
    assert err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], dict)
    return err


@pytest.mark.parametrize(
    "method,path,kwargs,status,code",
    [
        pytest.param("GET", "/v2/nothing-here", {}, 404, "ROUTE_NOT_FOUND", id="unknown-route"),
        pytest.param("PATCH", "/v2/customers", {}, 405, "METHOD_NOT_ALLOWED", id="wrong-method"),
        pytest.param(
            "POST",
            "/v2/customers",
            {"data": "{not json", "content_type": "application/json"},
            400,
            "INVALID_JSON",
            id="malformed",
        ),
        pytest.param(
            "POST",
            "/v2/customers",
            {"data": "first_name=a", "content_type": "application/x-www-form-urlencoded"},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            id="wrong-content-type",
        ),
        pytest.param(
            "POST",
            "/v2/customers",
            {"data": "[1, 2]", "content_type": "application/json"},
            400,
            "INVALID_JSON",
            id="not-object",
        ),
        pytest.param(
            "POST",
            "/v2/customers",
            {"data": "", "content_type": "application/json"},
            400,
            "INVALID_JSON",
            id="empty-body",
        ),
        pytest.param(
            "POST",
            "/v2/customers",
            {
                "data": '{"first_name": "' + "a" * 2_000_000 + '"}',
                "content_type": "application/json",
            },
            413,
            "PAYLOAD_TOO_LARGE",
            id="oversized",
        ),
        pytest.param(
            "GET",
            "/v2/appointments",
            {"query_string": {"page": "0"}},
            422,
            "VALIDATION_ERROR",
            id="page-zero",
        ),
        pytest.param(
            "GET",
            "/v2/appointments",
            {"query_string": {"per_page": "101"}},
            422,
            "VALIDATION_ERROR",
            id="per-page-too-big",
        ),
        pytest.param(
            "GET",
            "/v2/appointments",
            {"query_string": {"page": "abc"}},
            422,
            "VALIDATION_ERROR",
            id="page-not-int",
        ),
        pytest.param(
            "GET",
            "/v2/appointments",
            {"query_string": {"date_from": "yesterday"}},
            422,
            "VALIDATION_ERROR",
            id="bad-date",
        ),
        pytest.param(
            "GET",
            "/v2/appointments",
            {"query_string": {"status": "done"}},
            422,
            "VALIDATION_ERROR",
            id="bad-status-filter",
        ),
        pytest.param(
            "GET",
            "/v2/appointments",
            {"query_string": {"stauts": "pending"}},
            422,
            "VALIDATION_ERROR",
            id="unknown-query-param",
        ),
    ],
)
def test_request_errors(
    client: FlaskClient,
    tenant: Tenant,
    method: str,
    path: str,
    kwargs: dict,
    status: int,
    code: str,
) -> None:
    resp = client.open(
        path, method=method, headers={"Authorization": f"Bearer {tenant.api_key}"}, **kwargs
    )
    _assert_error(resp, status, code)


@pytest.mark.parametrize(
    "body,fields",
    [
        pytest.param({}, {"first_name", "last_name"}, id="missing-required"),
        pytest.param(
            {"first_name": "A", "last_name": "B", "email": "nope"}, {"email"}, id="bad-email"
        ),
        pytest.param({"first_name": 1, "last_name": "B"}, {"first_name"}, id="wrong-type"),
        pytest.param(
            {"first_name": "A", "last_name": "B", "colour": "red"}, {"colour"}, id="unknown-field"
        ),
        pytest.param(
            {"first_name": "A", "last_name": "B", "address": {"postal_code": "7500"}},
            {"address.postal_code"},
            id="nested",
        ),
        pytest.param(
            {"first_name": "A", "last_name": "B", "preferences": {"preferred_contact": "pigeon"}},
            {"preferences.preferred_contact"},
            id="enum",
        ),
    ],
)
def test_validation_lists_each_bad_field(api: Api, body: dict, fields: set[str]) -> None:
    err = _assert_error(api.post("/v2/customers", body), 422, "VALIDATION_ERROR")
    assert {e["field"] for e in err["details"]["errors"]} == fields
    assert all(e["reason"] for e in err["details"]["errors"])


@pytest.mark.parametrize(
    "body,field",
    [
        pytest.param({"scheduled_at": "9999-12-31T23:00:00Z"}, "scheduled_at", id="year-9999"),
        pytest.param({"scheduled_at": "0001-01-01T00:00:00"}, "scheduled_at", id="year-0001"),
        pytest.param({"scheduled_at": "2025-13-20T09:00:00Z"}, "scheduled_at", id="bad-month"),
        pytest.param({"duration": -5}, "duration", id="negative-duration"),
        pytest.param(
            {"location": {"postal_code": "ABCDE"}}, "location.postal_code", id="bad-postal-code"
        ),
    ],
)
def test_appointment_body_validation(api: Api, tenant: Tenant, body: dict, field: str) -> None:
    full = {
        "customer_id": tenant.ids["customer_id"],
        "service_id": tenant.ids["service_id"],
        "scheduled_at": "2030-01-07T09:00:00Z",
        **body,
    }
    err = _assert_error(api.post("/v2/appointments", full), 422, "VALIDATION_ERROR")
    assert field in {e["field"] for e in err["details"]["errors"]}


def test_english_messages(client: FlaskClient, tenant: Tenant) -> None:
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    fr = client.get("/v2/customers/cust_nope", headers=headers).json["error"]["message"]
    en = client.get(
        "/v2/customers/cust_nope", headers={**headers, "Accept-Language": "en-GB,en;q=0.9"}
    ).json["error"]["message"]
    assert fr == "Ressource non trouvée" and en == "Resource not found"


def test_unexpected_errors_have_no_stack_trace(
    app, client: FlaskClient, tenant: Tenant, monkeypatch
) -> None:
    from hub.services import customers

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(customers, "list_", boom)
    resp = client.get("/v2/customers", headers={"Authorization": f"Bearer {tenant.api_key}"})
    err = _assert_error(resp, 500, "INTERNAL_ERROR")
    assert "secret internals" not in resp.get_data(as_text=True) and err["details"] == {}


def test_request_id_on_every_response(client: FlaskClient) -> None:
    resp = client.get("/v2/customers")
    assert resp.headers["X-Request-Id"].startswith("req_")
    resp = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert resp.headers["X-Request-Id"] == "abc-123"
