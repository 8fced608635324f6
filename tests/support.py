"""Test helpers: tenants with credentials, a small API caller, table truncation, live servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.db import Base, get_db

ROOT = Path(__file__).resolve().parent.parent
KEEP_TABLES = {"signing_keys", "alembic_version"}


@dataclass
class Tenant:
    """An account with the demo data set and credentials."""

    account_id: str
    api_key: str
    client_id: str
    client_secret: str
    ids: dict[str, str] = field(default_factory=dict)
    environment: str = "sandbox"


def make_tenant(app: Flask, name: str, environment: str = "sandbox", seed: bool = True) -> Tenant:
    """Create an account, its demo data (optional) and an all-scopes key and client."""
    from hub.services import demo
    from hub.services.credentials import create_account, create_client, create_key

    with get_db(app).session() as session:
        account = create_account(session, name)
        ids = demo.seed(session, account.id, environment) if seed else {}
        key = create_key(session, account.id, environment, None)
        client = create_client(session, account.id, environment, None)
    return Tenant(account.id, key.secret, client.id, client.secret, ids, environment)


def key_with_scopes(app: Flask, tenant: Tenant, scopes: str, environment: str | None = None) -> str:
    """Another API key of `tenant` with only `scopes`."""
    from hub.services.credentials import create_key

    with get_db(app).session() as session:
        return create_key(
            session, tenant.account_id, environment or tenant.environment, scopes
        ).secret


def truncate_all(app: Flask) -> None:
    """Empty every table but the signing keys, children first."""
    db = get_db(app)
    with db.engine.begin() as conn:
        tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        if db.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                conn.execute(t.delete())


class Api:
    """Calls the API as one credential through the Flask test client."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"}
        h.update(extra or {})
        return h

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(path, query_string=params, headers=self.headers())

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        return self.client.post(path, json=body, headers=self.headers(headers))

    def put(self, path: str, body: Any = None) -> TestResponse:
        return self.client.put(path, json=body, headers=self.headers())

    def patch(self, path: str, body: Any = None) -> TestResponse:
        return self.client.patch(path, json=body, headers=self.headers())

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(path, headers=self.headers())


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`ivalid serve` in a subprocess (gunicorn, or Flask's server with dev=True)."""

    def __init__(
        self, env: dict[str, str], dev: bool = False, workers: int = 2, threads: int = 8
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            str(Path(sys.executable).parent / "ivalid"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        args += ["--dev"] if dev else ["--workers", str(workers), "--threads", str(threads)]
        full_env = {**os.environ, **env, "IVALID_PUBLIC_URL": self.url}
        log_path = Path(env.get("IVALID_DATA_DIR", "/tmp")) / f"server-{self.port}.log"
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, env=full_env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"server exited: see {self.log.name}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: see {self.log.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def cli_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run an `ivalid` command with --json and parse its output."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ivalid"), *args, "--json"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def follow_callback(app: Flask, client: FlaskClient, location: str, **headers: str) -> TestResponse:
    """Follow the provider's redirect to our OAuth callback as the browser would.

    A link started through the API is finished by a signed-in user of its account who
    confirms: when the callback asks for that, a user of the account signs in and confirms.
    """
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    from hub.models import AccountUser, IntegrationOAuthState
    from tests.dashboard.support import PASSWORD, User, make_user, sign_in

    parts = urlsplit(location)
    path = f"{parts.path}?{parts.query}"
    resp = client.get(path, headers=headers)
    if 'id="confirm"' in resp.get_data(as_text=True):  # already signed in: confirm
        return _confirm(client, parts.path, parts.query, resp, headers)
    if resp.status_code != 302 or "/dashboard/login" not in resp.headers["Location"]:
        return resp
    state = parse_qs(parts.query)["state"][0]
    with get_db(app).session() as session:
        row = session.get(IntegrationOAuthState, hashlib.sha256(state.encode()).hexdigest())
        assert row is not None
        email = f"owner-{row.account_id.lower()}@ivalid-tests.fr"
        known = session.query(AccountUser).filter(AccountUser.email == email).first()
        account_id = row.account_id
    user = (
        User(known.id, account_id, email, "owner", PASSWORD)
        if known
        else make_user(app, account_id, email, "owner")
    )
    assert sign_in(client, user, next_url=path).status_code == 302
    page = client.get(path, headers=headers)
    assert page.status_code == 200, page.get_data(as_text=True)
    return _confirm(client, parts.path, parts.query, page, headers)


def _confirm(
    client: FlaskClient, path: str, query_text: str, page: TestResponse, headers: dict[str, str]
) -> TestResponse:
    """Submit the callback's confirmation form."""
    from urllib.parse import parse_qs

    from tests.dashboard.support import csrf_from

    query = parse_qs(query_text)
    # The form carries back every parameter of the provider's redirect, as hidden fields.
    form = {key: values[0] for key, values in query.items()}
    form["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(path, data=form, headers=headers)
