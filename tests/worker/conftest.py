"""Fixtures of the worker tests: `ivalid worker` processes beside the test's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.events.webhooks.receiver import Receiver
from tests.support import ROOT

ALLOWLIST = "127.0.0.1/32,::1,localhost"


@pytest.fixture(scope="session")
def session_app(base_config: dict[str, Any]) -> Iterator[Flask]:
    """The app with IVALID_WEBHOOK_ALLOWLIST admitting loopback receivers."""
    from hub import create_app
    from hub.db import get_db

    app = create_app({**base_config, "webhook_allowlist": ALLOWLIST})
    yield app
    get_db(app).engine.dispose()  # pooled PostgreSQL connections closed, not garbage-collected


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@dataclass
class WorkerProcess:
    """A running `ivalid worker`."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill9(self) -> None:
        """Kill without warning, as a crash or the OOM killer would."""
        self.proc.kill()
        self.proc.wait(10)


def worker_env(base_config: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment of a worker on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVALID_")}
    env.update(
        {
            "IVALID_DATABASE_URL": str(base_config["database_url"]),
            "IVALID_DATA_DIR": str(base_config["data_dir"]),
            "IVALID_WEBHOOK_ALLOWLIST": ALLOWLIST,
            "IVALID_WORKER_POLL": "0.2",
            "IVALID_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


@pytest.fixture()
def start_worker(
    app: Flask, base_config: dict[str, Any], tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `ivalid worker` processes; every one still running is stopped after the test."""
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        log_path = tmp_path / f"worker-{name}.log"
        with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "ivalid"), "worker"],
                env=worker_env(base_config, IVALID_WORKER_NAME=name, **env),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        worker = WorkerProcess(name, proc, log_path)
        started.append(worker)
        deadline = time.monotonic() + 30
        while "started" not in worker.log():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{worker.log()}")
            time.sleep(0.05)
        return worker

    yield start
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait(10)
