"""The loopback server every fake and live hub in the suite runs on: a client that hangs up
mid-response must not leave the response open (a static file left open surfaces later as a
ResourceWarning, failing whichever test the garbage collector happens to run in)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

from tests.fakes.server import LoopbackServer

_BODY = b"x" * 65536


class _Response:
    """An iterable WSGI response that records its close, as a FileWrapper would close its file.

    After its body it waits for `release` (when given): the client has then had time to act.
    """

    def __init__(self, release: threading.Event | None = None) -> None:
        self.closed = threading.Event()
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        yield _BODY
        if self._release is not None:
            self._release.wait(5)

    def close(self) -> None:
        self.closed.set()


def _headers() -> list[tuple[str, str]]:
    return [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(_BODY)))]


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (linger on, zero timeout), as a browser cancelling a load does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _read_response(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < len(_BODY):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def test_a_response_is_closed_when_the_client_resets_the_connection() -> None:
    # The client reads the whole body, sends more bytes and resets: the server's drain of the
    # request socket, which runs before it closes the response, meets the reset.
    client_gone = threading.Event()
    responses: list[_Response] = []

    def app(environ: dict[str, Any], start_response: Any) -> _Response:
        start_response("200 OK", _headers())
        response = _Response(release=client_gone)
        responses.append(response)
        return response

    server = LoopbackServer(app).start()
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /static/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /static/app.css HTTP/1.1\r\n")
        _reset(sock)
        client_gone.set()
        assert responses[0].closed.wait(5), "the response was left open"
    finally:
        server.stop()


def test_a_normal_response_is_served_whole_and_closed() -> None:
    responses: list[_Response] = []

    def app(environ: dict[str, Any], start_response: Any) -> _Response:
        start_response("200 OK", _headers())
        responses.append(_Response())
        return responses[-1]

    server = LoopbackServer(app).start()
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            received = _read_response(sock)
        assert received.startswith(b"HTTP/1.1 200")
        assert received.split(b"\r\n\r\n", 1)[1] == _BODY
        # werkzeug closes it, then the handler does again: the second close must be harmless
        assert responses[0].closed.wait(5)
    finally:
        server.stop()
