"""The Node.js SDK (`sdks/node`, `@ivalid/sdk`): its `node --test` suites, against live hubs.

Each test runs one file of `sdks/node/test/` with `node --test`, after `npm ci` (TypeScript, the
only dev dependency, from the lockfile) and `tsc --noEmit` on the declarations. The live hubs
are the same server processes the Python SDK's tests use (`sdk_support.start_hub`), each with
its own demo account; their addresses and credentials reach node through the environment
(`IVALID_BASE_URL`, `IVALID_TEST_HUB`, ...). A node test that finds no hub skips, and a skip here
is a failure: under pytest every scenario must run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sdk_support import REPO_ROOT, LiveHub, start_worker, stop_worker

NODE_DIR: Path = Path(REPO_ROOT) / "sdks" / "node"
NODE = shutil.which("node")
NPM = shutil.which("npm")
# The SDK's own variables: the node process gets only those a test sets on purpose.
SDK_VARIABLES = ("IVALID_BASE_URL", "IVALID_API_KEY", "IVALID_CLIENT_ID", "IVALID_CLIENT_SECRET")
SPEC_PAYLOAD = json.dumps(
    {
        "id": "evt_1234567890",
        "event": "appointment.created",
        "timestamp": "2025-01-15T14:32:05.000Z",
        "data": {"id": "apt_1234567890", "customer": {"id": "cust_abc123"}},
    }
).encode()


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SDK_VARIABLES}
    env.pop("NODE_OPTIONS", None)
    env["NO_COLOR"] = "1"
    return env


def _hub_json(hub: LiveHub) -> str:
    return json.dumps({"origin": hub.origin, "base_url": hub.base_url, "demo": hub.demo})


@pytest.fixture(scope="module")
def node_project() -> Path:
    """`sdks/node` with its dev dependencies installed from the lockfile (`npm ci`)."""
    if NODE is None or NPM is None:
        pytest.skip("node/npm are not installed (`make system-deps` installs them from Debian)")
    done = _run(
        [NPM, "ci", "--no-audit", "--no-fund", "--prefer-offline"], _base_env(), timeout=600
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci failed:\n{done.stdout}\n{done.stderr}")
    return NODE_DIR


def run_node_tests(file: str, env: dict[str, str], timeout: float = 300) -> str:
    """Run one `node --test` file; fail with node's output unless every test in it passed."""
    assert NODE is not None
    done = _run([NODE, "--test", "--test-reporter=tap", f"test/{file}"], env, timeout)
    output = f"{done.stdout}\n{done.stderr}"
    counts = {
        name: int(value)
        for name, value in re.findall(
            r"^# (pass|fail|skipped|cancelled|tests) (\d+)$", output, re.M
        )
    }
    if done.returncode != 0 or counts.get("fail") or counts.get("cancelled"):
        pytest.fail(f"node --test {file} exited {done.returncode}:\n{output}")
    if counts.get("skipped"):
        pytest.fail(f"node --test {file} skipped tests (a hub or fixture is missing):\n{output}")
    assert counts.get("pass", 0) > 0 and counts.get("pass") == counts.get("tests"), output
    return output


@pytest.fixture(scope="module")
def node_hub(hub_factory: Callable[..., LiveHub]) -> LiveHub:
    """A hub of its own for the node suites (its own demo account, so slots never collide)."""
    return hub_factory(IVALID_WEBHOOK_ALLOWLIST="127.0.0.1/32,localhost")


@pytest.fixture(scope="module")
def short_token_hub(hub_factory: Callable[..., LiveHub]) -> LiveHub:
    """A hub whose access tokens live 4 seconds, to watch the SDK renew them."""
    return hub_factory(IVALID_ACCESS_TOKEN_TTL="4")


@pytest.fixture(scope="module")
def rate_limited_hub(hub_factory: Callable[..., LiveHub]) -> LiveHub:
    """A hub allowing 5 requests per 5 seconds per credential."""
    return hub_factory(IVALID_RATE_LIMIT="5 per 5 seconds")


@pytest.fixture
def live_env(node_hub: LiveHub) -> dict[str, str]:
    """The node process's environment: the node hub as `IVALID_BASE_URL` and `IVALID_TEST_HUB`."""
    env = _base_env()
    env["IVALID_BASE_URL"] = node_hub.base_url
    env["IVALID_TEST_HUB"] = _hub_json(node_hub)
    return env


@pytest.fixture
def node_worker(node_hub: LiveHub) -> Iterator[None]:
    """`ivalid worker` beside the node hub, for the suite that watches a real delivery."""
    worker = start_worker(node_hub)
    yield
    stop_worker(worker)


def test_node_declarations_type_check(node_project: Path) -> None:
    """S60: `tsc --noEmit` on index.d.ts and test/types (whose `@ts-expect-error` must error)."""
    tsc = node_project / "node_modules" / "typescript" / "bin" / "tsc"
    assert NODE is not None
    done = _run([NODE, str(tsc), "--noEmit", "-p", "tsconfig.json"], _base_env(), timeout=300)
    assert done.returncode == 0, f"tsc --noEmit failed:\n{done.stdout}\n{done.stderr}"


@pytest.mark.parametrize("file", ["config.test.js", "transport.test.js"])
def test_node_suite_without_a_hub(node_project: Path, file: str) -> None:
    """S01-S04, S07-S24, S26: configuration and transport, against loopback stub servers."""
    run_node_tests(file, _base_env())


def test_node_webhook_signatures(node_project: Path, tmp_path: Path) -> None:
    """S50-S59; S59 both ways: the hub's signing code signs, node verifies and signs back."""
    from hub.events import signing

    fresh, old, other = (
        signing.generate_secret(),
        "whsec_typed_in_by_hand",
        signing.generate_secret(),
    )
    headers = signing.delivery_headers(
        "appointment.created", "dlv_1", "msg_1", int(time.time()), SPEC_PAYLOAD, [fresh, old]
    )
    out = tmp_path / "sdk-signed.json"
    env = _base_env()
    env["IVALID_TEST_HUB_SIGNED"] = json.dumps(
        {
            "payload_base64": base64.b64encode(SPEC_PAYLOAD).decode(),
            "headers": headers,
            "secrets": [fresh, old],
            "other_secret": other,
        }
    )
    env["IVALID_TEST_SDK_SIGNED_OUT"] = str(out)
    run_node_tests("webhooks.test.js", env)

    sdk_headers: dict[str, Any] = json.loads(out.read_text())
    signing.verify_standard(sdk_headers, SPEC_PAYLOAD, [fresh])  # raises if the SDK signs wrong
    assert sdk_headers["X-iValid-Signature"] == signing.ivalid_signature(fresh, SPEC_PAYLOAD)


@pytest.mark.parametrize(
    "file", ["example.test.js", "appointments.live.test.js", "resources.live.test.js"]
)
def test_node_suite_on_a_live_hub(node_project: Path, live_env: dict[str, str], file: str) -> None:
    """S05-S06, S25, S33-S47, S49: the documentation's example and every resource."""
    run_node_tests(file, live_env)


def test_node_auth_on_live_hubs(
    node_project: Path,
    live_env: dict[str, str],
    short_token_hub: LiveHub,
    rate_limited_hub: LiveHub,
) -> None:
    """S27-S32: credentials, scopes, token refresh and 429 retries on real hubs."""
    live_env["IVALID_TEST_SHORT_TOKEN_HUB"] = _hub_json(short_token_hub)
    live_env["IVALID_TEST_RATE_LIMITED_HUB"] = _hub_json(rate_limited_hub)
    run_node_tests("auth.live.test.js", live_env)


def test_node_webhook_delivery(
    node_project: Path, live_env: dict[str, str], node_worker: None
) -> None:
    """S48: a delivery made by `ivalid worker` verifies with the SDK."""
    run_node_tests("delivery.live.test.js", live_env)
