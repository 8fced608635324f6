"""The pinning and the deadline hold through the libraries' public hooks (fails if an upgrade
of urllib3/requests makes the client resolve the name again or lose its handshake deadline)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
import requests

from hub.events import http as http_mod
from hub.events.http import DeliveryClient, DeliveryError
from hub.events.urlcheck import parse_allowlist
from tests.events.conftest import LoopbackServer, RecordingHandler, TlsLoopbackServer, _serve

if TYPE_CHECKING:
    from tests.events.conftest import FakeDns, TlsFiles

BODY = b'{"id":"evt_1"}'
HEADERS = {"Content-Type": "application/json"}
ALLOW = parse_allowlist("127.0.0.0/8,hooks.example.test")


class _SecondLoopback(LoopbackServer):
    """A loopback server on 127.0.0.2, on a chosen port (the same as the first server's)."""

    def __init__(self, port: int) -> None:
        ThreadingHTTPServer.__init__(self, ("127.0.0.2", port), RecordingHandler)
        self.routes = {}
        self.received = []
        self.stopping = threading.Event()


class _SecondTlsLoopback(_SecondLoopback, TlsLoopbackServer):
    """The second loopback server behind TLS."""


def _rebind_after_first_lookup(
    monkeypatch: pytest.MonkeyPatch, fake_dns: FakeDns, name: str, second: str
) -> None:
    """Make the name answer ``second`` from the lookup after the first one on (rebinding)."""
    checked = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        answer = checked(host, *args, **kwargs)
        if host == name:
            fake_dns[name] = [second]
        return answer

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def second_http(http_server: LoopbackServer) -> Iterator[LoopbackServer]:
    """A plain-HTTP server on 127.0.0.2 at the port of ``http_server``."""
    yield from _serve(_SecondLoopback(http_server.port))


@pytest.fixture
def second_https(https_server: LoopbackServer, tls_files: TlsFiles) -> Iterator[LoopbackServer]:
    """An HTTPS server on 127.0.0.2 at the port of ``https_server``, same certificate."""
    server = _SecondTlsLoopback(https_server.port)
    server.tls = tls_files
    yield from _serve(server)


def test_a_dns_answer_changing_after_the_check_never_reaches_the_new_address(
    http_server: LoopbackServer,
    second_http: LoopbackServer,
    fake_dns: FakeDns,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    _rebind_after_first_lookup(monkeypatch, fake_dns, "hooks.example.test", "127.0.0.2")
    with DeliveryClient(ALLOW, timeout=2) as c:
        first = c.send(http_server.url("/hook", "hooks.example.test"), BODY, HEADERS)
        assert first.ok and first.ip == "127.0.0.1"
        assert (len(http_server.received), second_http.received) == (1, [])

        # The next delivery checks the new answer and goes there: no pool is keyed by the name.
        second = c.send(http_server.url("/hook", "hooks.example.test"), BODY, HEADERS)
    assert second.ok and second.ip == "127.0.0.2"
    assert (len(http_server.received), len(second_http.received)) == (1, 1)


def test_https_rebinding_keeps_sni_and_the_name_check_on_the_checked_address(
    https_server: LoopbackServer,
    second_https: LoopbackServer,
    tls_files: TlsFiles,
    fake_dns: FakeDns,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    _rebind_after_first_lookup(monkeypatch, fake_dns, "hooks.example.test", "127.0.0.2")
    url = https_server.url("/hook", "hooks.example.test", "https")
    with DeliveryClient(ALLOW, timeout=2, verify=str(tls_files.ca_path)) as c:
        first = c.send(url, BODY, HEADERS)
        again = c.send(url, BODY, HEADERS)
    assert first.ok and first.ip == "127.0.0.1", first.detail
    assert again.ok and again.ip == "127.0.0.2", again.detail
    [received] = https_server.received
    [moved] = second_https.received
    assert received.sni == moved.sni == "hooks.example.test"


def test_a_tls_handshake_trickled_byte_by_byte_is_cut_by_the_deadline() -> None:
    # A TLS record header announcing 16 KiB, then one byte every 50 ms: every read gets data
    # before a per-read timeout, so the handshake ends only if it runs under the delivery's
    # budget (the socket class of the client's TLS context, and Python's whole-handshake
    # timeout, both take the time left).
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"\x16\x03\x03\x40\x00")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b"\x00")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        with DeliveryClient(ALLOW, timeout=0.5) as c:
            started = time.monotonic()
            result = c.send(f"https://127.0.0.1:{port}/hook", BODY, HEADERS)
            elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert (result.ok, result.error) == (False, DeliveryError.TIMEOUT), result.detail
    assert 0.45 <= elapsed < 1.5


def test_a_late_deadline_never_cuts_a_connection_another_delivery_took_from_the_pool(
    http_server: LoopbackServer,
) -> None:
    # A first delivery leaves its kept-alive connection in the pool. We then give that pooled
    # connection to a stale deadline (as if the first delivery's budget were still running)
    # and let it expire while a second delivery is using the connection: the second delivery
    # took ownership when urllib3 handed it the connection, so it is not cut.
    def slow(handler: RecordingHandler) -> None:
        handler.pause(0.3)
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with DeliveryClient(ALLOW, timeout=2) as c:
        assert c.send(http_server.url("/hook"), BODY, HEADERS).ok
        pool = c._adapter.get_connection_with_tls_context(
            requests.Request("POST", http_server.url("/hook")).prepare(), verify=True
        )
        [conn] = [conn for conn in pool.pool.queue if conn is not None]  # type: ignore[union-attr]
        stale = http_mod._Deadline(60)
        stale.watch(conn)
        http_server.routes["/hook"] = slow
        timer = threading.Timer(0.15, stale.expire)
        timer.start()
        result = c.send(http_server.url("/hook"), BODY, HEADERS)
        timer.join()
    assert result.ok, result.detail
    assert len({r.client_port for r in http_server.received}) == 1  # the same connection
