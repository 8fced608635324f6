"""A real webhook receiver on loopback: records every request, answers as told per path."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Reply:
    """What to answer: a status, headers, a body, after a delay (seconds)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


class Receiver:
    """A threaded HTTP/1.1 server; `replies[path]` (a Reply or a callable) decides the answer."""

    def __init__(self, default: Reply | None = None) -> None:
        self.requests: list[Received] = []
        self.replies: dict[str, Reply | Callable[[Received], Reply]] = {}
        self.default = default or Reply()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms stalls

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender vanished mid-body (a worker killed by a test): no request was
                    # made, as a real receiver, whose signature check would fail, would agree.
                    self.close_connection = True
                    return
                got = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                reply = receiver.reply_for(got)
                if reply.delay:
                    time.sleep(reply.delay)
                with receiver._cond:
                    receiver.requests.append(got)
                    receiver._cond.notify_all()
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (time-out): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # never refuse (or reset) a connection under load

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        """The URL of `path` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def reply_for(self, got: Received) -> Reply:
        """The configured answer to a request."""
        rule = self.replies.get(got.path, self.default)
        return rule(got) if callable(rule) else rule

    def received(self, path: str | None = None) -> list[Received]:
        """A copy of the requests received (on `path` only, when given)."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(
        self, count: int, timeout: float = 10.0, path: str | None = None
    ) -> list[Received]:
        """Block until `count` requests arrived (on `path`); raises on time-out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if path is None or r.path == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"received {len(got)} of {count} requests")
                self._cond.wait(left)

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
