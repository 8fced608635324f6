"""The OpenAPI 3.1 document: valid, complete, and the API never answers 5xx to what it describes."""

from __future__ import annotations

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from tests.support import Tenant


def test_document_is_valid_openapi_31(client: FlaskClient) -> None:
    doc = client.get("/v2/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    assert "/v2/appointments" in doc["paths"] and "post" in doc["paths"]["/v2/appointments"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    body = doc["paths"]["/v2/appointments"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].split("/")[-1]
    props = doc["components"]["schemas"][ref]["properties"]
    for field in (
        "customer_id",
        "service_id",
        "scheduled_at",
        "technician_id",
        "duration",
        "location",
        "notes",
        "notify_customer",
        "reminder_sms",
        "reminder_email",
    ):
        assert field in props


def test_docs_page(client: FlaskClient) -> None:
    resp = client.get("/docs")
    assert resp.status_code == 200 and b"/v2/appointments" in resp.data


def test_no_server_errors(app: Flask, tenant: Tenant) -> None:
    """Property-based: generated requests for every operation never get a 5xx."""
    doc = app.test_client().get("/v2/openapi.json").json
    schema = schemathesis.openapi.from_dict(doc)
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(app=app, headers=headers)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                response.text[:300],
            )
            content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            assert "application/json" in str(content_type)

        check()
        checked += 1
    assert checked == sum(len(ops) for ops in doc["paths"].values())
