"""Attack: fork a refresh token into parallel chains, replay a stolen one, revoke another's."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from sqlalchemy import func, select

from tests.support import LiveServer, Tenant

PARALLEL = 20


def _grant(client: FlaskClient, tenant: Tenant) -> dict[str, Any]:
    resp = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert resp.status_code == 200, resp.json
    return resp.json  # type: ignore[no-any-return]


def _refresh(client: FlaskClient, tenant: Tenant, refresh_token: str) -> Any:
    return client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )


def _me(client: FlaskClient, access_token: str) -> int:
    return client.get("/v2/me", headers={"Authorization": f"Bearer {access_token}"}).status_code


@pytest.fixture()
def no_grace_app(base_config: dict[str, Any]) -> Iterator[Flask]:
    """The hub with no grace: a second use of a refresh token is always a reuse."""
    from hub import create_app
    from hub.db import get_db

    app = create_app({**base_config, "refresh_grace_seconds": 0, "credential_cache_seconds": 0})
    yield app
    get_db(app).engine.dispose()


@pytest.mark.slow
def test_parallel_refreshes_of_one_token_yield_one_chain(
    base_config: dict[str, Any], data_dir: Path, tenant: Tenant, app: Flask
) -> None:
    """20 refreshes at once, on two gunicorn workers: all answered with the same successor."""
    from hub.db import get_db
    from hub.models import OAuthToken

    env = {
        "IVALID_DATABASE_URL": base_config["database_url"],
        "IVALID_DATA_DIR": str(data_dir),
        "IVALID_SECRET_KEY": uuid.uuid4().hex,
        "IVALID_RATE_LIMIT": "100000/minute",
    }
    server = LiveServer(env, workers=2, threads=16)
    try:
        first = requests.post(
            f"{server.url}/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": tenant.client_id,
                "client_secret": tenant.client_secret,
            },
            timeout=30,
        ).json()
        barrier = threading.Barrier(PARALLEL)

        def refresh(_: int) -> requests.Response:
            with requests.Session() as s:
                barrier.wait()
                return s.post(
                    f"{server.url}/oauth/token",
                    json={
                        "grant_type": "refresh_token",
                        "refresh_token": first["refresh_token"],
                        "client_id": tenant.client_id,
                        "client_secret": tenant.client_secret,
                    },
                    timeout=60,
                )

        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(refresh, range(PARALLEL)))
        assert Counter(a.status_code for a in answers) == {200: PARALLEL}, [a.text for a in answers]
        successors = {(a.json()["access_token"], a.json()["refresh_token"]) for a in answers}
        assert len(successors) == 1
        access, refresh_token = successors.pop()
        me = requests.get(
            f"{server.url}/v2/me", headers={"Authorization": f"Bearer {access}"}, timeout=30
        )
        assert me.status_code == 200
    finally:
        server.stop()
    with get_db(app).session() as session:
        pairs = session.scalar(
            select(func.count())
            .select_from(OAuthToken)
            .where(OAuthToken.client_id == tenant.client_id)
        )
    assert pairs == 2  # the grant and its one successor: no second chain exists
    # The chain goes on from the successor.
    assert _refresh(app.test_client(), tenant, refresh_token).status_code == 200


def test_a_rotated_refresh_token_presented_again_revokes_its_family(
    no_grace_app: Flask, tenant: Tenant
) -> None:
    client = no_grace_app.test_client()
    first = _grant(client, tenant)
    second = _refresh(client, tenant, first["refresh_token"]).json
    third = _refresh(client, tenant, second["refresh_token"]).json
    # A thief replays the first refresh token: the whole family dies, thief and owner alike.
    replay = _refresh(client, tenant, first["refresh_token"])
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert _refresh(client, tenant, third["refresh_token"]).json["error"] == "invalid_grant"
    assert {_me(client, t["access_token"]) for t in (first, second, third)} == {401}
    # Another grant of the same client is another family: untouched.
    other = _grant(client, tenant)
    assert _me(client, other["access_token"]) == 200


def test_a_refresh_keeps_access_tokens_already_issued(no_grace_app: Flask, tenant: Tenant) -> None:
    """Integrations sharing a token must not see 401s because one of them refreshed."""
    client = no_grace_app.test_client()
    first = _grant(client, tenant)
    second = _refresh(client, tenant, first["refresh_token"])
    assert second.status_code == 200
    assert _me(client, first["access_token"]) == 200
    assert _me(client, second.json["access_token"]) == 200


def test_revoking_another_clients_token_answers_200_and_changes_nothing(
    client: FlaskClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    victim = _grant(client, tenant)
    for token in (victim["refresh_token"], victim["access_token"]):
        resp = client.post(
            "/oauth/revoke",
            data={
                "token": token,
                "client_id": other_tenant.client_id,
                "client_secret": other_tenant.client_secret,
            },
        )
        assert resp.status_code == 200, resp.json
    assert _me(client, victim["access_token"]) == 200
    assert _refresh(client, tenant, victim["refresh_token"]).status_code == 200


def test_revoking_a_refresh_token_revokes_its_family(no_grace_app: Flask, tenant: Tenant) -> None:
    client = no_grace_app.test_client()
    first = _grant(client, tenant)
    second = _refresh(client, tenant, first["refresh_token"]).json
    resp = client.post(
        "/oauth/revoke",
        data={
            "token": second["refresh_token"],
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert resp.status_code == 200
    assert {_me(client, t["access_token"]) for t in (first, second)} == {401}
    assert _refresh(client, tenant, second["refresh_token"]).status_code == 400


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"acct": "acct_someoneelse"}, id="account"),
        pytest.param({"env": "production"}, id="environment"),
        pytest.param({"client_id": "cli_other", "sub": "cli_other"}, id="client"),
        pytest.param({"exp_extra": 86400}, id="expiry"),
    ],
)
def test_a_signed_token_whose_claims_disagree_with_its_row_is_refused(
    no_grace_app: Flask, tenant: Tenant, other_tenant: Tenant, change: dict[str, Any]
) -> None:
    """A valid signature (a leaked key, an issuance bug) does not outvote the stored row."""
    client = no_grace_app.test_client()
    issued = _grant(client, tenant)
    claims = _claims(issued["access_token"])
    change = dict(change)
    claims["exp"] += change.pop("exp_extra", 0)
    if change.get("acct") == "acct_someoneelse":
        change["acct"] = other_tenant.account_id
    claims.update(change)
    key = no_grace_app.extensions["ivalid_keys"].signing_key()
    forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key)
    assert _me(client, forged) == 401
    assert _me(client, issued["access_token"]) == 200
