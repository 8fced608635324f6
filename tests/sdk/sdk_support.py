"""Helpers of the SDK tests: start and stop a live hub process; a scripted loopback server."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import ivalid
import requests

from tests.dates import anchor_monday

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "spec" / "ivalid-api-v2.md"
SDK_README = REPO_ROOT / "sdks" / "python" / "README.md"


# -- the live hub ---------------------------------------------------------------------------------


@dataclass
class LiveHub:
    """A running hub process and the sandbox account `ivalid demo` seeded in it."""

    origin: str
    demo: dict[str, Any]
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. `http://127.0.0.1:PORT/v2`."""
        return f"{self.origin}/v2"

    @property
    def api_key(self) -> str:
        """The demo account's API key."""
        return str(self.demo["api_key"])

    def client(self, **kwargs: Any) -> ivalid.Client:
        """A client of this server, authenticated with the demo API key unless told otherwise."""
        if "client_id" not in kwargs and "api_key" not in kwargs:
            kwargs["api_key"] = self.api_key
        kwargs.setdefault("base_url", self.base_url)
        return ivalid.Client(**kwargs)

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's output, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"


def _ivalid_command() -> list[str]:
    """The hub's console script, from the same environment as the interpreter running pytest."""
    script = Path(sys.executable).with_name("ivalid")
    if script.exists():
        return [str(script)]
    found = shutil.which("ivalid")
    if found:
        return [found]
    return [sys.executable, "-m", "hub.cli"]


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], env: Mapping[str, str], cwd: Path) -> str:
    done = subprocess.run(
        cmd, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {done.returncode}\n--- stdout\n{done.stdout}\n"
            f"--- stderr\n{done.stderr}"
        )
    return done.stdout


def _parse_demo(stdout: str) -> dict[str, Any]:
    """The JSON object `ivalid demo --json` printed (tolerating log lines around it)."""
    try:
        value = json.loads(stdout)
    except ValueError:
        value = None
        for line in reversed(stdout.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    value = json.loads(line)
                    break
    if not isinstance(value, dict) or "api_key" not in value:
        raise RuntimeError(f"`ivalid demo --json` printed no account:\n{stdout}")
    return value


def start_hub(workdir: Path, overrides: Mapping[str, str] | None = None) -> LiveHub:
    """Migrate a fresh database, seed the demo account, serve, and wait for `/healthz`."""
    env = dict(os.environ)
    for name in ("IVALID_BASE_URL", "IVALID_API_KEY", "IVALID_CLIENT_ID", "IVALID_CLIENT_SECRET"):
        env.pop(name, None)  # the SDK's variables, not the server's
    env["IVALID_DATA_DIR"] = str(workdir)
    env["IVALID_DATABASE_URL"] = os.environ.get("IVALID_TEST_DATABASE_URL") or (
        f"sqlite:///{workdir / 'ivalid.db'}"
    )
    env.update(overrides or {})
    command = _ivalid_command()
    _run([*command, "db", "upgrade"], env, workdir)
    demo = _parse_demo(_run([*command, "demo", "--json"], env, workdir))

    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    env["IVALID_PUBLIC_URL"] = origin
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "serve", "--dev", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    hub = LiveHub(origin=origin, demo=demo, env=env, process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited with {process.returncode}:\n{hub.log_tail()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{origin}/healthz", timeout=2).status_code == 200:
                return hub
        if time.monotonic() > deadline:
            stop_hub(hub)
            raise RuntimeError(f"the hub did not answer /healthz within 60s:\n{hub.log_tail()}")
        time.sleep(0.2)


def stop_hub(hub: LiveHub) -> None:
    """Stop the server process this fixture started, and reap it."""
    if hub.process.poll() is None:
        hub.process.terminate()
        try:
            hub.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            hub.process.kill()
            hub.process.wait(timeout=15)


# -- the scripted loopback server -----------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer; `drop` closes the connection without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass
class Received:
    """One request the stub server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The request body, decoded."""
        return json.loads(self.body) if self.body else None


class StubServer:
    """A real HTTP server on 127.0.0.1 that answers each route from a queue of `Reply`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._replies: dict[tuple[str, str], deque[Reply]] = {}
        self._defaults: dict[tuple[str, str], Callable[[Received], Reply]] = {}
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                request = Received(self.command, self.path, dict(self.headers.items()), body)
                reply = stub._next(self.command, path, request)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-Request-Id", f"req_stub{len(stub.received)}")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The API base URL of the stub."""
        return f"{self.origin}/v2"

    def queue(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to `method path` with these replies, in order."""
        with self._lock:
            self._replies.setdefault((method, path), deque()).extend(replies)

    def default(self, method: str, path: str, make: Callable[[Received], Reply]) -> None:
        """Answer `method path` with `make(request)` once its queue is empty."""
        self._defaults[(method, path)] = make

    def calls(self, method: str, path: str) -> list[Received]:
        """The requests received for one route."""
        return [r for r in self.received if r.method == method and r.path.split("?")[0] == path]

    def _next(self, method: str, path: str, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            queue = self._replies.get((method, path))
            if queue:
                return queue.popleft()
        make = self._defaults.get((method, path))
        if make is not None:
            return make(request)
        return Reply(404, {"error": {"code": "NOT_FOUND", "message": f"no stub for {path}"}})

    def close(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# -- dates ----------------------------------------------------------------------------------------


def future_slot(weeks: int, weekday: int, hour: int, minute: int = 0) -> datetime:
    """A UTC datetime on `weekday` (0 = Monday) of week `weeks` after the pinned anchor.

    Each live test books on its own day, far from the demo's appointment (tomorrow), so tests
    sharing one server never collide. Hours 07-14 UTC are within the demo technicians' working
    hours (08:00-17:00 Paris time) in both winter and summer.
    """
    day = anchor_monday(weeks + 1) + timedelta(days=weekday)  # tests/dates.py: pinned weeks
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def iso_z(value: datetime) -> str:
    """`2025-01-20T09:00:00Z`, as the API writes instants."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Worker:
    """An `ivalid worker` process started beside a live hub, and its log file."""

    process: subprocess.Popen[bytes]
    log: io.BufferedWriter


def start_worker(hub: LiveHub) -> Worker:
    """Start `ivalid worker` beside a live hub (same database); it delivers webhooks."""
    log = open(hub.log_path.with_name("worker.log"), "wb")  # noqa: SIM115 - closed in stop_worker
    process = subprocess.Popen(
        [*_ivalid_command(), "worker"],
        env=hub.env,
        cwd=hub.log_path.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return Worker(process, log)


def stop_worker(worker: Worker) -> None:
    """Stop a worker started by `start_worker`, reap it and close its log."""
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(timeout=15)
    worker.log.close()
