"""Helpers of the apps' tests: the shared live hub, accounts on it, and the app's tokens."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.dates import workday
from tests.oauth_support import (
    CSRF,
    PASSWORD,
    RegisteredApp,
    answer_consent,
    pkce_pair,
    query_of,
)
from tests.sdk.sdk_support import LiveHub, _ivalid_command, _parse_demo, start_hub

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS_DIR = REPO_ROOT / "apps"
# Every scope an app asks for on the consent page.
APP_SCOPES = (
    "appointments:read appointments:write customers:read customers:write services:read teams:read"
)


@dataclass
class AppsHub:
    """The live hub of the apps' tests."""

    live: LiveHub

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return self.live.origin

    def ivalid(self, *args: str) -> str:
        """Run an `ivalid` command on this hub's database, as its operator would."""
        done = subprocess.run(
            [*_ivalid_command(), *args],
            env=self.live.env,
            cwd=self.live.log_path.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ivalid {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def new_account(self, name: str) -> dict[str, Any]:
        """Another sandbox account with the demo data (`ivalid demo --json`) on this hub."""
        return _parse_demo(self.ivalid("demo", "--name", name, "--json"))

    def register_app(
        self, account_id: str, name: str, redirect_uri: str, platform: str
    ) -> RegisteredApp:
        """`ivalid apps create` for the account's sandbox: the app's client id and secret."""
        out = json.loads(
            self.ivalid(
                "apps",
                "create",
                "--name",
                name,
                "--redirect-uri",
                redirect_uri,
                "--account",
                account_id,
                "--env",
                "sandbox",
                "--platform",
                platform,
                "--json",
            )
        )
        return RegisteredApp(out["client_id"], out["client_secret"], redirect_uri)

    def new_user(self, account_id: str, email: str) -> str:
        """`ivalid users create`, then the password chosen through the one-time link.

        The address gets the account's id appended (`owner+acct_…@…`): a PostgreSQL test
        database outlives one run, and an e-mail signs in to one account only.
        """
        local, domain = email.split("@")
        email = f"{local}+{account_id.lower()}@{domain}"
        out = json.loads(
            self.ivalid(
                "users",
                "create",
                "--account",
                account_id,
                "--email",
                email,
                "--role",
                "owner",
                "--json",
            )
        )
        with requests.Session() as http:
            page = http.get(out["set_password_url"], timeout=30)
            token = CSRF.search(page.text)
            assert page.status_code == 200 and token, page.text[:300]
            done = http.post(
                out["set_password_url"],
                data={"csrf_token": token.group(1), "password": PASSWORD, "confirm": PASSWORD},
                allow_redirects=False,
                timeout=30,
            )
            assert done.status_code == 302, done.text[:300]
        return email


def start_apps_hub(workdir: Path) -> AppsHub:
    """A hub that may deliver to this machine's loopback receivers, its worker polling fast."""
    live = start_hub(
        workdir,
        {"IVALID_WEBHOOK_ALLOWLIST": "127.0.0.1/32,localhost", "IVALID_WORKER_POLL": "0.2"},
    )
    return AppsHub(live)


def consent(base_url: str, authorize_url: str, email: str) -> dict[str, str]:
    """What the user does on the hub after the platform sent him to `authorize_url`: sign in
    (the dashboard's form), allow on the consent page. The redirect's query parameters."""
    with requests.Session() as http:
        return query_of(answer_consent(http, base_url, authorize_url, email))


def with_pkce(url: str) -> tuple[str, str]:
    """`url` with the S256 challenge the platform adds, and the verifier it keeps."""
    from urllib.parse import urlencode

    verifier, challenge = pkce_pair()
    extra = urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    return f"{url}&{extra}", verifier


def app_tokens(hub: AppsHub, account: dict[str, Any]) -> dict[str, str]:
    """An access and a refresh token for the app's calls in `account`.

    Obtained with the account's OAuth client (client credentials), which `/oauth/token`
    answers with a refresh token too, so refresh is exercised for real.
    """
    response = requests.post(
        f"{hub.origin}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": account["client_id"],
            "client_secret": account["client_secret"],
            "scope": APP_SCOPES,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"access_token": body["access_token"], "refresh_token": body["refresh_token"]}


def booking_day(n: int) -> str:
    """A working day far from the demo appointment, fixed by the pinned anchor."""
    return workday(n, weeks=3).isoformat()


def fixture_json(hub: AppsHub, account: dict[str, Any], **extra: Any) -> str:
    """What a node suite reads from `IVALID_TEST_ZAPIER`."""
    ids = {k: v for k, v in account.items() if k.endswith("_id")}
    return json.dumps(
        {
            "origin": hub.origin,
            "account_id": account["account_id"],
            "api_key": account["api_key"],
            "ids": ids,
            **extra,
        }
    )
