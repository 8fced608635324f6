"""A WSGI app served on loopback in a background thread: the base of every HTTP fake."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_RESPONSE_KEY = "tests.loopback.response"


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr, and that closes each
    response even when the client hangs up mid-transfer.

    Werkzeug's `run_wsgi` closes the application's iterable after draining the request socket;
    when the client (a browser leaving a page) has reset the connection, that drain raises first
    and the iterable, a static file's `FileWrapper`, stays open until the garbage collector
    warns about it in whichever test is running then.
    """

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Stay silent."""

    def run_wsgi(self) -> None:
        """Serve one request, then close its response whatever happened to the connection."""
        try:
            super().run_wsgi()
        finally:
            response = getattr(self, "environ", {}).pop(_RESPONSE_KEY, None)
            close = getattr(response, "close", None)
            if close is not None:
                close()  # idempotent: a second close of a closed file does nothing


def _remembering_response(app: Any) -> Any:
    """Wrap `app` so the handler can find (and close) the iterable it returned."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        response = app(environ, start_response)
        environ[_RESPONSE_KEY] = response
        return response

    return serve


class LoopbackServer:
    """Serve `app` on 127.0.0.1 (port 0: an ephemeral port) until `stop()`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        """Remember what to serve; nothing listens before `start()`."""
        self._app = app
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT of the running server."""
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    def start(self) -> LoopbackServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = make_server(
            self._host,
            self._port,
            _remembering_response(self._app),
            threaded=True,
            request_handler=_QuietHandler,
        )
        # A short poll interval makes stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


class LoopbackFake:
    """What a remote-API fake shares: a loopback server of itself (it is the WSGI app), a
    lock, and a thread delivering its automatic notifications in order.

    A subclass calls `_init_loopback(port)` in its constructor and implements `__call__`
    (WSGI); one that notifies queues with `_queue_notifications(items)` and implements
    `_deliver_queued(item)`.
    """

    def _init_loopback(self, port: int) -> None:
        self._lock = threading.RLock()
        self._server = LoopbackServer(self, port=port)
        self._deliveries: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._notifier: threading.Thread | None = None

    def start(self) -> Self:
        """Listen on an ephemeral loopback port; returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop listening (and the notification thread)."""
        if self._notifier is not None:
            self._deliveries.put(None)
            self._notifier.join(timeout=5)
            self._notifier = None
        self._server.stop()

    def __enter__(self) -> Self:
        """Start on entering a with block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving it."""
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT."""
        return self._server.base_url

    def flush_notifications(self, timeout: float = 5.0) -> None:
        """Wait until queued automatic notifications have been delivered."""
        deadline = time.monotonic() + timeout
        while self._deliveries.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _queue_notifications(self, items: list[tuple[Any, ...]]) -> None:
        """Queue notifications (the first item a subscription's or channel's id)."""
        with self._lock:
            if self._notifier is None:
                self._notifier = threading.Thread(target=self._deliver_loop, daemon=True)
                self._notifier.start()
        for item in items:
            self._deliveries.put(item)

    def _deliver_loop(self) -> None:
        while True:
            item = self._deliveries.get()
            try:
                if item is None:
                    return
                self._deliver_queued(item)
            finally:
                self._deliveries.task_done()

    def _deliver_queued(self, item: tuple[Any, ...]) -> None:
        """Send one queued notification, if its channel or subscription still exists."""
        raise NotImplementedError
