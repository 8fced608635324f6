"""Attack: read secrets out of a database dump or a world-readable data directory."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from tests.support import Api, Tenant

HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["appointment.created"]}


def _dump(app: Flask, table: str) -> bytes:
    """Every value of `table` as bytes, as a database dump would show them."""
    from hub.db import get_db

    with get_db(app).engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
    out = b""
    for row in rows:
        for value in row:
            out += value if isinstance(value, bytes | memoryview) else str(value).encode()
            out += b"\n"
    return out


def test_stored_idempotent_answers_hold_no_webhook_secret(app: Flask, api: Api) -> None:
    created = api.post("/v2/webhooks", HOOK, headers={"Idempotency-Key": "create-1"})
    assert created.status_code == 201
    secret = created.json["secret"]
    rotated = api.post(
        f"/v2/webhooks/{created.json['id']}/rotate-secret", {}, headers={"Idempotency-Key": "rot-1"}
    )
    assert rotated.status_code == 200, rotated.json
    new_secret = rotated.json["secret"]
    dump = _dump(app, "idempotency_keys")
    assert dump  # the answers are kept ...
    for s in (secret, new_secret):  # ... but not readable
        assert s.encode() not in dump and s.removeprefix("whsec_").encode() not in dump
    # The rightful caller's retry still gets the very same answer, secret included.
    again = api.post("/v2/webhooks", HOOK, headers={"Idempotency-Key": "create-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == created.json
    again = api.post(
        f"/v2/webhooks/{created.json['id']}/rotate-secret", {}, headers={"Idempotency-Key": "rot-1"}
    )
    assert again.json["secret"] == new_secret


def test_webhook_secrets_are_encrypted_in_their_table(app: Flask, api: Api) -> None:
    created = api.post("/v2/webhooks", {**HOOK, "secret": "whsec_" + "k" * 40}).json
    api.post(f"/v2/webhooks/{created['id']}/rotate-secret", {})
    dump = _dump(app, "webhook_endpoints")
    assert b"k" * 40 not in dump and created["secret"].encode() not in dump


def test_the_signing_key_is_encrypted_with_the_key_ring(app: Flask, api: Api) -> None:
    from hub import crypto
    from hub.db import get_db
    from hub.models import SigningKey

    app.extensions["ivalid_keys"].signing_key()
    assert b"PRIVATE KEY" not in _dump(app, "signing_keys")
    with get_db(app).session() as session:
        stored = session.scalars(select(SigningKey.private_pem)).first()
    assert stored is not None
    assert "PRIVATE KEY" in crypto.decrypt(app.config["IVALID"], stored)


def test_expired_idempotency_keys_and_tokens_are_purged(app: Flask, tenant: Tenant) -> None:
    from hub.db import get_db
    from hub.models import IdempotencyRecord, OAuthToken
    from hub.services.retention import purge_credentials

    client = app.test_client()
    api = Api(client, tenant.api_key)
    assert api.post("/v2/webhooks", HOOK, headers={"Idempotency-Key": "k1"}).status_code == 201
    token = client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    ).json
    refreshed = client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert refreshed.status_code == 200
    db, settings = get_db(app), app.config["IVALID"]
    now = datetime.now(UTC)

    def counts() -> tuple[int, int, int]:
        with db.session() as s:
            return (
                len(s.scalars(select(IdempotencyRecord.id)).all()),
                len(s.scalars(select(OAuthToken.id)).all()),
                len(
                    s.scalars(select(OAuthToken.id).where(OAuthToken.successor.is_not(None))).all()
                ),
            )

    assert counts() == (1, 2, 1)
    # An hour on: tokens' refresh halves still live, keys within their day; only the
    # successor kept for racing refreshes is past its grace.
    assert purge_credentials(db, settings, now + timedelta(hours=1)) == {
        "idempotency_keys": 0,
        "oauth_tokens": 0,
        "oauth_codes": 0,
        "refresh_successors": 1,
    }
    assert counts() == (1, 2, 0)
    later = now + timedelta(seconds=settings.refresh_token_ttl + 60)
    assert purge_credentials(db, settings, later)["idempotency_keys"] == 1
    assert counts() == (0, 0, 0)


def test_the_data_directory_and_database_are_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub import create_app
    from hub.db import get_db
    from hub.migrate import upgrade

    umask = os.umask(0o022)  # the usual umask: files world-readable unless the hub says so
    try:
        data = tmp_path / "fresh" / "instance"
        monkeypatch.delenv("IVALID_DATABASE_URL", raising=False)
        app = create_app({"data_dir": data, "database_url": "", "encryption_keys": ""})
        upgrade(app.config["IVALID"].database_url)
        with app.app_context():
            app.extensions["ivalid_keys"].signing_key()  # first writes: the WAL files appear
        get_db(app).engine.dispose()
    finally:
        os.umask(umask)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir() if p.is_file()}
    assert "ivalid.db" in files and "ratelimit.db" in files and "secret_key" in files
    assert {name: mode for name, mode in files.items() if mode & 0o077} == {}


def test_the_migration_encrypts_existing_rows_and_walks_back(tmp_path: Path) -> None:
    """0006 on an installation with a plaintext signing key and stored answers, then down."""
    from alembic import command

    from hub import crypto
    from hub.config import Settings
    from hub.migrate import alembic_config, upgrade

    settings = Settings.from_env(
        {"data_dir": tmp_path / "data", "encryption_keys": crypto.generate_key()}
    )
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005")
    engine = create_engine(url)
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY-----\n"
    body = b'{"id": "wh_1", "secret": "whsec_plaintextsecret"}'
    now = datetime(2026, 12, 1, 12, 0)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, timezone, settings, created_at, updated_at)"
                " VALUES ('acct_1', 'A', 'Europe/Paris', '{}', :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO signing_keys (kid, private_pem, public_jwk, created_at, active)"
                " VALUES ('k1', :pem, '{}', :now, 1)"
            ),
            {"pem": pem, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO idempotency_keys (account_id, credential_id, key, fingerprint,"
                " status_code, response_body, created_at)"
                " VALUES ('acct_1', 'key:1', 'k', 'f', 201, :body, :now)"
            ),
            {"body": body, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO oauth_clients (id, account_id, environment, name, secret_hash, scopes,"
                " revoked, created_at, updated_at)"
                " VALUES ('cli_1', 'acct_1', 'sandbox', '', 'h', '', 0, :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO oauth_tokens (client_id, access_jti, refresh_hash, scope, issued_at,"
                " access_expires_at, refresh_expires_at, revoked)"
                " VALUES ('cli_1', 'jti1', 'rh', '', :now, :now, :now, 0)"
            ),
            {"now": now},
        )
    upgrade(url, "0006", settings)

    def read() -> tuple[Any, ...]:
        with engine.connect() as conn:
            return (
                conn.execute(text("SELECT private_pem FROM signing_keys")).scalar_one(),
                bytes(
                    conn.execute(text("SELECT response_body FROM idempotency_keys")).scalar_one()
                ),
            )

    stored_pem, stored_body = read()
    assert "PRIVATE KEY" not in stored_pem and b"plaintextsecret" not in stored_body
    assert crypto.decrypt(settings, stored_pem) == pem
    assert crypto.box(settings).decrypt(stored_body) == body
    with engine.connect() as conn:
        assert conn.execute(text("SELECT family_id FROM oauth_tokens")).scalar_one() == "jti1"
    cfg = alembic_config(url)
    cfg.attributes["ivalid_settings"] = settings
    command.downgrade(cfg, "0005")
    assert read() == (pem, body)
    upgrade(url, "head", settings)  # and up again
    assert "PRIVATE KEY" not in read()[0]
    engine.dispose()


def test_key_rotation_covers_every_encrypted_secret(app: Flask, api: Api) -> None:
    """After `ivalid keys rotate-encryption`, the old key can go: nothing still needs it."""
    import dataclasses

    from cryptography.fernet import Fernet

    from hub import crypto
    from hub.db import get_db
    from hub.integrations.keys import rotate_encryption
    from hub.models import IdempotencyRecord, SigningKey, WebhookEndpoint

    created = api.post("/v2/webhooks", HOOK, headers={"Idempotency-Key": "rotate-me"}).json
    api.post(f"/v2/webhooks/{created['id']}/rotate-secret", {})
    app.extensions["ivalid_keys"].signing_key()
    settings = app.config["IVALID"]
    old_key = (settings.data_dir / crypto.KEY_FILE).read_text().strip()
    new = Fernet.generate_key().decode()
    counts = rotate_encryption(
        get_db(app), dataclasses.replace(settings, encryption_keys=f"{new},{old_key}")
    )
    assert (counts.webhook_endpoints, counts.idempotency_keys) == (1, 1)
    assert counts.signing_keys >= 1
    only_new = dataclasses.replace(settings, encryption_keys=new)
    try:
        with get_db(app).session() as session:
            ep = session.scalars(select(WebhookEndpoint)).one()
            assert crypto.decrypt(only_new, ep.secret).startswith("whsec_")
            assert crypto.decrypt(only_new, ep.previous_secret or "") == created["secret"]
            for pem in session.scalars(select(SigningKey.private_pem)):
                assert "PRIVATE KEY" in crypto.decrypt(only_new, pem)
            body = session.scalars(select(IdempotencyRecord.response_body)).one()
            assert created["secret"].encode() in crypto.box(only_new).decrypt(body or b"")
    finally:
        # The signing keys outlive the test: back to the data directory's key for the others.
        rotate_encryption(
            get_db(app), dataclasses.replace(settings, encryption_keys=f"{old_key},{new}")
        )
