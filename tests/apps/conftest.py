"""Fixtures of the automation-platform apps' tests: one live hub and its worker for them all.

The hub is the real server (`ivalid db upgrade`, `ivalid demo --json`, `ivalid serve --dev`),
allowed to deliver webhooks to loopback receivers; the worker (`ivalid worker`) makes the REST
hook deliveries. Both stop when the package's tests are done.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.apps.apps_support import AppsHub, start_apps_hub
from tests.sdk.sdk_support import start_worker, stop_hub, stop_worker


@pytest.fixture(scope="package")
def apps_hub(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[AppsHub]:
    """The live hub the Zapier suite and the Make runner share (each has its own account).

    After `database_url`: on PostgreSQL that fixture resets the test database and sets the
    encryption key ring every process reading it (this hub too) must share.
    """
    hub = start_apps_hub(tmp_path_factory.mktemp("apps-hub"))
    worker = start_worker(hub.live)
    yield hub
    stop_worker(worker)
    stop_hub(hub.live)
