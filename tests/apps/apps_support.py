"""Helpers of the apps' tests: the shared live hub, accounts on it, and the app's tokens."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.dates import workday
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

    def new_account(self, name: str) -> dict[str, Any]:
        """Another sandbox account with the demo data (`ivalid demo --json`) on this hub."""
        done = subprocess.run(
            [*_ivalid_command(), "demo", "--name", name, "--json"],
            env=self.live.env,
            cwd=self.live.log_path.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ivalid demo failed:\n{done.stdout}\n{done.stderr}")
        return _parse_demo(done.stdout)


def start_apps_hub(workdir: Path) -> AppsHub:
    """A hub that may deliver to this machine's loopback receivers, its worker polling fast."""
    live = start_hub(
        workdir,
        {"IVALID_WEBHOOK_ALLOWLIST": "127.0.0.1/32,localhost", "IVALID_WORKER_POLL": "0.2"},
    )
    return AppsHub(live)


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
