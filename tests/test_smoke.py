"""The spec's first call: a token, then GET /v2/appointments in the spec's shape."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support import Tenant


def test_token_then_first_call(client: FlaskClient, tenant: Tenant) -> None:
    resp = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "scope": "appointments:read appointments:write customers:read",
        },
    )
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "appointments:read appointments:write customers:read"
    resp = client.get(
        "/v2/appointments",
        headers={
            "Authorization": f"Bearer {body['access_token']}",
            "Content-Type": "application/json",
        },
    )
    assert resp.status_code == 200
    data = resp.json
    assert data["meta"] == {"total": 1, "page": 1, "per_page": 10, "total_pages": 1}
    apt = data["data"][0]
    assert apt["id"].startswith("apt_")
    assert apt["customer"]["name"] == "Marie Dupont"
    assert set(apt["customer"]) == {"id", "name", "email", "phone"}
    assert set(apt["service"]) == {"id", "name", "duration", "price"}
    assert apt["service"] == {
        "id": tenant.ids["service_id"],
        "name": "Installation Climatisation",
        "duration": 120,
        "price": 150.0,
    }
    assert apt["technician"] == {"id": tenant.ids["technician_id"], "name": "Jean Martin"}
    assert apt["status"] == "confirmed"
    assert apt["scheduled_at"].endswith("Z")
    assert apt["location"]["postal_code"] == "75001"
    assert set(apt["location"]["coordinates"]) == {"lat", "lng"}
