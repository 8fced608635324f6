"""The PHP SDK (`sdks/php`, `ivalid/sdk`): its PHPUnit suite, run against live hub processes.

This module starts the hubs (the same way as the Python SDK's live tests), writes what it
started to a JSON file, and runs Debian's `phpunit` on `sdks/php` with `IVALID_TEST_HUBS_FILE`
and `IVALID_BASE_URL` in the environment. The PHPUnit tests name the scenarios of
`sdks/SCENARIOS.md` they cover; here the run must pass with no live test skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from sdk_support import REPO_ROOT, LiveHub, _ivalid_command

PHP_SDK = REPO_ROOT / "sdks" / "php"
SCENARIOS = REPO_ROOT / "sdks" / "SCENARIOS.md"
# Scenarios that have no PHP form: S60 is about a static type checker, which PHP lacks here.
NOT_FOR_PHP = {"S60"}


def _php_missing() -> str | None:
    """Why the PHP suite cannot run on this machine, or None."""
    for tool in ("php", "phpunit", "composer"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (make system-deps installs it from Debian)"
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout
    for module in ("curl", "json", "pcntl", "posix"):
        if module not in modules.split():
            return f"PHP lacks ext-{module} (Debian: php-curl / php-cli)"
    return None


pytestmark = pytest.mark.skipif(_php_missing() is not None, reason=str(_php_missing()))


@pytest.fixture(scope="module")
def php_hubs(hub_factory: Callable[..., LiveHub]) -> dict[str, LiveHub]:
    """Hubs of the PHP suite's own: its bookings never meet the other SDKs' on one calendar."""
    return {
        "live": hub_factory(IVALID_WEBHOOK_ALLOWLIST="127.0.0.1/32,localhost"),
        "short_token": hub_factory(IVALID_ACCESS_TOKEN_TTL="4"),
        "rate_limited": hub_factory(IVALID_RATE_LIMIT="5 per 5 seconds"),
    }


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=PHP_SDK, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_php_sdk_suite_passes_against_live_hubs(
    php_hubs: dict[str, LiveHub], tmp_path: Path
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("IVALID_API_KEY", "IVALID_CLIENT_ID", "IVALID_CLIENT_SECRET")
    }
    env.update(COMPOSER_ALLOW_SUPERUSER="1", COMPOSER_DISABLE_NETWORK="1")
    env["COMPOSER_HOME"] = str(tmp_path / "composer")
    dumped = _run(["composer", "dump-autoload", "--dev", "--no-interaction"], env, 120)
    assert dumped.returncode == 0, f"composer dump-autoload:\n{dumped.stdout}\n{dumped.stderr}"

    hubs_file = tmp_path / "hubs.json"
    description: dict[str, object] = {
        name: {
            "base_url": hub.base_url,
            "demo": hub.demo,
            "env": hub.env,
            "cwd": str(hub.log_path.parent),
        }
        for name, hub in php_hubs.items()
    }
    description["worker_command"] = [*_ivalid_command(), "worker"]
    description["python"] = sys.executable
    hubs_file.write_text(json.dumps(description))
    env["IVALID_TEST_HUBS_FILE"] = str(hubs_file)
    env["IVALID_BASE_URL"] = php_hubs["live"].base_url

    junit = tmp_path / "phpunit.xml"
    done = _run(["phpunit", "--log-junit", str(junit)], env, 900)
    output = f"{done.stdout}\n{done.stderr}"
    if done.returncode != 0:
        logs = "\n".join(
            f"--- {name} hub log\n{hub.log_tail(30)}" for name, hub in php_hubs.items()
        )
        pytest.fail(f"phpunit exited {done.returncode}:\n{output}\n{logs}", pytrace=False)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None, output
    skipped = [
        case.get("name") for case in suite.iter("testcase") if case.find("skipped") is not None
    ]
    assert skipped == [], f"PHPUnit tests skipped although every hub was given: {skipped}"
    assert int(suite.get("tests", "0")) >= 85, output  # the suite was found whole


def test_the_php_tests_follow_the_scenario_list() -> None:
    if not SCENARIOS.exists():
        pytest.skip("sdks/SCENARIOS.md is not in this checkout")
    listed = set(re.findall(r"\*\*(S\d+)\*\*", SCENARIOS.read_text(encoding="utf-8")))
    assert listed, "no scenario ids found in sdks/SCENARIOS.md"
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (PHP_SDK / "tests").glob("*Test.php"))
    covered = set(re.findall(r"\bS\d{2}\b", tests))
    missing = sorted(listed - covered - NOT_FOR_PHP)
    assert missing == [], f"scenarios without a PHP test: {missing}"
