"""NUL characters (which PostgreSQL cannot store) are refused as invalid input, not a 500."""

from __future__ import annotations

import pytest

from tests.support import Api


@pytest.mark.parametrize(
    "method,path,body,field",
    [
        pytest.param("GET", "/v2/customers?q=a%00b", None, "query", id="query"),
        pytest.param("GET", "/v2/customers/cust_a%00b", None, "path", id="path"),
        pytest.param(
            "POST", "/v2/customers", {"first_name": "a\x00", "last_name": "b"}, "body", id="body"
        ),
    ],
)
def test_nul_is_422(api: Api, method: str, path: str, body: dict | None, field: str) -> None:
    resp = api.client.open(path, method=method, json=body, headers=api.headers())
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["details"]["errors"][0] == {
        "field": field,
        "reason": "nul_character",
        "message": "Les caractères NUL sont refusés",  # French by default
    }
