"""Attack: guess client secrets at /oauth/token, and learn which client ids exist."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from tests.support import Tenant


@pytest.fixture()
def throttled_app(base_config: dict[str, Any]) -> Iterator[Flask]:
    from hub import create_app
    from hub.db import get_db

    app = create_app(
        {
            **base_config,
            "redis_url": "",
            "token_rate_limit_client": "5/minute",
            "token_rate_limit_address": "1000/minute",
        }
    )
    yield app
    get_db(app).engine.dispose()


def _guess(client: Any, client_id: str, secret: str, address: str = "127.0.0.1") -> Any:
    return client.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_secrets_are_throttled_per_client_id(throttled_app: Flask, tenant: Tenant) -> None:
    client = throttled_app.test_client()
    # Each guess from another address: only the client id's budget can stop them.
    codes = [
        _guess(client, tenant.client_id, f"cs_wrong{i}", f"10.0.0.{i}").status_code
        for i in range(40)
    ]
    assert codes == [401] * 5 + [429] * 35
    refused = _guess(client, tenant.client_id, "cs_wrong", "10.0.1.1")
    assert refused.json["error"] == "slow_down"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_guesses_are_throttled_per_address(base_config: dict[str, Any], tenant: Tenant) -> None:
    from hub import create_app
    from hub.db import get_db

    app = create_app(
        {
            **base_config,
            "redis_url": "",
            "token_rate_limit_client": "1000/minute",
            "token_rate_limit_address": "6/minute",
        }
    )
    client = app.test_client()
    try:
        # A new client id each time (spraying): only the address's budget can stop them.
        codes = [_guess(client, f"cli_guess{i}", "cs_x", "10.9.9.9").status_code for i in range(20)]
        elsewhere = _guess(client, tenant.client_id, tenant.client_secret, "10.9.9.10")
    finally:
        get_db(app).engine.dispose()
    assert codes == [401] * 6 + [429] * 14
    assert elsewhere.status_code == 200  # another caller is not punished


def test_unknown_client_revoked_client_and_wrong_secret_answer_alike(
    app: Flask, tenant: Tenant
) -> None:
    from hub.db import get_db
    from hub.models import OAuthClient
    from hub.services.credentials import create_client

    client = app.test_client()
    with get_db(app).session() as session:
        revoked = create_client(session, tenant.account_id, "sandbox", None)
        with session.begin():
            session.execute(
                update(OAuthClient).where(OAuthClient.id == revoked.id).values(revoked=True)
            )
    answers = [
        _guess(client, "cli_doesnotexist", "cs_x"),
        _guess(client, tenant.client_id, "cs_wrong"),
        _guess(client, revoked.id, revoked.secret),
    ]
    for scheme_client_id, secret in (("cli_doesnotexist", "x"), (tenant.client_id, "wrong")):
        basic = base64.b64encode(f"{scheme_client_id}:{secret}".encode()).decode()
        answers.append(
            client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            )
        )
    assert {a.status_code for a in answers} == {401}
    assert {a.get_data() for a in answers} == {answers[0].get_data()}
    assert answers[0].json["error"] == "invalid_client"
    # The revocation endpoint authenticates the same way, and answers the same way.
    revoke = client.post(
        "/oauth/revoke", data={"token": "x", "client_id": "cli_nope", "client_secret": "cs_x"}
    )
    assert revoke.status_code == 401 and revoke.get_data() == answers[0].get_data()


@pytest.mark.parametrize("hops", [0, 1], ids=["direct", "behind-one-proxy"])
def test_the_address_is_the_one_a_trusted_proxy_saw(
    base_config: dict[str, Any], tenant: Tenant, hops: int
) -> None:
    """Direct: X-Forwarded-For is the caller's own claim and changes nothing. Behind a
    declared proxy: each client behind it has its own budget, not one for all."""
    from hub import create_app
    from hub.db import get_db

    app = create_app(
        {
            **base_config,
            "redis_url": "",
            "token_rate_limit_client": "1000/minute",
            "token_rate_limit_address": "3/minute",
            "proxy_hops": hops,
        }
    )
    client = app.test_client()
    proxy = f"10.7.{hops}.1"
    try:
        codes = [
            client.post(
                "/oauth/token",
                json={"grant_type": "client_credentials", "client_id": f"cli_{i}"},
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
                environ_base={"REMOTE_ADDR": proxy},
            ).status_code
            for i in range(6)
        ]
    finally:
        get_db(app).engine.dispose()
    assert codes == ([401] * 3 + [429] * 3 if hops == 0 else [401] * 6)
