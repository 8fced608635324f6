"""The delivery client against real loopback HTTP(S) servers: outcomes, limits, SSRF, pinning."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest

from hub.events.http import DeliveryClient, DeliveryError, parse_retry_after
from hub.events.signing import delivery_headers, generate_secret, ivalid_signature
from hub.events.urlcheck import parse_allowlist, validate_webhook_url

if TYPE_CHECKING:
    from tests.events.conftest import FakeDns, LoopbackServer, RecordingHandler, TlsFiles

LOCAL = parse_allowlist("127.0.0.1/32,::1")
BODY = json.dumps(
    {"id": "evt_1", "event": "appointment.created", "data": {"customer": "Zoé Lefèvre"}},
    ensure_ascii=False,
).encode()
HEADERS = {"Content-Type": "application/json", "User-Agent": "iValid-Webhooks/2.0"}


@pytest.fixture
def client() -> Iterator[DeliveryClient]:
    """A client allowed to reach 127.0.0.1 and ::1, with a short deadline for the slow tests."""
    with DeliveryClient(LOCAL, timeout=0.5, pool_size=4) as c:
        yield c


def test_2xx_is_delivered_byte_for_byte(
    client: DeliveryClient, http_server: LoopbackServer
) -> None:
    secret = generate_secret()
    headers = delivery_headers("appointment.created", "dlv_1", "evt_1", 1736951525, BODY, [secret])
    result = client.send(http_server.url("/hook?x=1"), BODY, headers)

    assert result.ok and result.status == 200 and result.error is None
    assert result.response_excerpt == '{"received":true}'
    assert result.ip == "127.0.0.1"
    [received] = http_server.received
    assert received.path == "/hook?x=1"
    assert received.body == BODY
    assert received.headers["Host"] == f"127.0.0.1:{http_server.port}"
    assert received.headers["X-iValid-Signature"] == ivalid_signature(secret, BODY)
    assert received.headers["webhook-id"] == "evt_1"
    assert received.headers["User-Agent"] == "iValid-Webhooks/2.0"
    assert "Cookie" not in received.headers


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_every_2xx_is_success(
    client: DeliveryClient, http_server: LoopbackServer, status: int
) -> None:
    http_server.reply("/hook", status)
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert result.ok and result.status == status


@pytest.mark.parametrize(
    ("status", "gone"),
    [
        pytest.param(400, False, id="400"),
        pytest.param(404, False, id="404"),
        pytest.param(410, True, id="410-gone"),
        pytest.param(429, False, id="429"),
        pytest.param(500, False, id="500"),
        pytest.param(503, False, id="503"),
    ],
)
def test_non_2xx_is_a_failure(
    client: DeliveryClient, http_server: LoopbackServer, status: int, gone: bool
) -> None:
    http_server.reply("/hook", status, b'{"error":"nope"}')
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert not result.ok
    assert (result.status, result.gone, result.error) == (status, gone, DeliveryError.HTTP_ERROR)
    assert result.response_excerpt == '{"error":"nope"}'
    assert result.detail is not None and str(status) in result.detail


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_not_followed(
    client: DeliveryClient, http_server: LoopbackServer, status: int
) -> None:
    elsewhere = http_server.url("/elsewhere")
    http_server.reply("/hook", status, b"moved", {"Location": elsewhere})
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert not result.ok
    assert (result.status, result.error, result.location) == (
        status,
        DeliveryError.REDIRECT,
        elsewhere,
    )
    assert [r.path for r in http_server.received] == ["/hook"]


def test_receiver_that_never_answers_times_out(
    client: DeliveryClient, http_server: LoopbackServer
) -> None:
    def silent(handler: RecordingHandler) -> None:
        handler.pause(5)

    http_server.routes["/hook"] = silent
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert (result.ok, result.status, result.error) == (False, None, DeliveryError.TIMEOUT)
    assert 400 <= result.latency_ms < 1500


def test_receiver_trickling_headers_hits_the_wall_clock_deadline(
    client: DeliveryClient, http_server: LoopbackServer
) -> None:
    # One header line every 50 ms: no single read waits long enough for a socket timeout.
    def trickle(handler: RecordingHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        while handler.pause(0.05):
            handler.wfile.write(b"X-Slow: 1\r\n")
            handler.wfile.flush()

    http_server.routes["/hook"] = trickle
    started = time.monotonic()
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    elapsed = time.monotonic() - started
    assert (result.ok, result.status, result.error) == (False, None, DeliveryError.TIMEOUT)
    assert 0.45 <= elapsed < 1.5


def test_receiver_trickling_the_body_after_a_2xx_still_counts_as_delivered(
    client: DeliveryClient, http_server: LoopbackServer
) -> None:
    def slow_body(handler: RecordingHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        while handler.pause(0.05):
            handler.wfile.write(b"x")
            handler.wfile.flush()

    http_server.routes["/hook"] = slow_body
    started = time.monotonic()
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert time.monotonic() - started < 1.5
    assert result.ok and result.status == 200  # the receiver acknowledged; the log is partial
    assert result.detail is not None and "body not fully read" in result.detail


def test_connection_refused(client: DeliveryClient) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = client.send(f"http://127.0.0.1:{port}/hook", BODY, HEADERS)
    assert (result.ok, result.status, result.error) == (
        False,
        None,
        DeliveryError.CONNECTION_REFUSED,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("120", 120.0, id="seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("Wed, 15 Jan 2025 14:33:35 GMT", 90.0, id="http-date"),
        pytest.param("Wednesday, 15-Jan-25 14:33:35 GMT", 90.0, id="rfc850-date"),
        pytest.param("Wed, 15 Jan 2025 14:00:00 GMT", 0.0, id="date-in-the-past"),
        pytest.param("-5", None, id="negative"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2025, 1, 15, 14, 32, 5, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_from_a_real_response(
    client: DeliveryClient, http_server: LoopbackServer, form: str
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    value = "90" if form == "seconds" else format_datetime(when, usegmt=True)
    http_server.reply("/hook", 503, b"busy", {"Retry-After": value})
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert result.status == 503 and not result.ok
    assert result.retry_after is not None and 87 <= result.retry_after <= 90


@pytest.mark.parametrize(
    ("size", "kept"),
    [
        pytest.param(10, 10, id="small"),
        pytest.param(1024, 1024, id="exactly-1kb"),
        pytest.param(1025, 1024, id="one-byte-over"),
        pytest.param(200_000, 1024, id="large"),
    ],
)
def test_response_excerpt_is_at_most_1kb(
    client: DeliveryClient, http_server: LoopbackServer, size: int, kept: int
) -> None:
    http_server.reply("/hook", 500, b"e" * size)
    result = client.send(http_server.url("/hook"), BODY, HEADERS)
    assert result.response_excerpt == "e" * kept


def test_excerpt_decodes_utf8_leniently(http_server: LoopbackServer) -> None:
    http_server.reply("/hook", 400, "Requête refusée".encode() + b"\xff")
    with DeliveryClient(LOCAL, max_response_bytes=64) as c:
        result = c.send(http_server.url("/hook"), BODY, HEADERS)
    assert result.response_excerpt == "Requête refusée\ufffd"


def test_keep_alive_connection_is_reused(
    client: DeliveryClient, http_server: LoopbackServer
) -> None:
    for _ in range(3):
        assert client.send(http_server.url("/hook"), BODY, HEADERS).ok
    assert len({r.client_port for r in http_server.received}) == 1


def test_concurrent_deliveries(http_server: LoopbackServer) -> None:
    results = []
    with DeliveryClient(LOCAL, pool_size=8) as c:

        def worker() -> None:
            for _ in range(5):
                results.append(c.send(http_server.url("/hook"), BODY, HEADERS))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 40 and all(r.ok for r in results)
    assert len(http_server.received) == 40


def test_loopback_needs_the_allowlist(http_server: LoopbackServer) -> None:
    with DeliveryClient(parse_allowlist("")) as c:
        result = c.send(http_server.url("/hook"), BODY, HEADERS)
    assert (result.ok, result.error) == (False, DeliveryError.SSRF_BLOCKED)
    assert result.detail is not None and "loopback" in result.detail
    assert http_server.received == []


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://169.254.169.254/latest/meta-data/", id="metadata"),
        pytest.param("http://0x7f000002/", id="hex-loopback-outside-allowlist"),
        pytest.param("not a url", id="garbage"),
        pytest.param("https://user:pw@example.com/", id="userinfo"),
    ],
)
def test_refused_urls_never_raise(client: DeliveryClient, url: str) -> None:
    result = client.send(url, BODY, HEADERS)
    assert (result.ok, result.error, result.status) == (False, DeliveryError.SSRF_BLOCKED, None)


def test_dns_failure(client: DeliveryClient, fake_dns: FakeDns) -> None:
    fake_dns["hooks.example.com"] = []
    result = client.send("https://hooks.example.com/hook", BODY, HEADERS)
    assert (result.ok, result.error) == (False, DeliveryError.DNS_ERROR)


def test_dns_rebinding_is_refused_at_delivery(
    http_server: LoopbackServer, fake_dns: FakeDns
) -> None:
    # The name is allow-listed for plain http (local development), its addresses are not.
    allow = parse_allowlist("rebind.example.test")
    url = http_server.url("/hook", host="rebind.example.test")
    fake_dns["rebind.example.test"] = ["93.184.216.34"]  # public when the webhook is saved
    validate_webhook_url(url, allow, resolve=True)

    fake_dns["rebind.example.test"] = ["127.0.0.1"]  # loopback when the worker delivers
    with DeliveryClient(allow, timeout=2) as c:
        result = c.send(url, BODY, HEADERS)
    assert (result.ok, result.error) == (False, DeliveryError.SSRF_BLOCKED)
    assert result.detail is not None and "127.0.0.1" in result.detail
    assert http_server.received == []


def test_connection_is_pinned_to_the_checked_address(
    http_server: LoopbackServer, fake_dns: FakeDns
) -> None:
    allow = parse_allowlist("127.0.0.1/32,hooks.example.test")
    url = http_server.url("/hook", host="hooks.example.test")
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    with DeliveryClient(allow, timeout=2) as c:
        result = c.send(url, BODY, HEADERS)
        # Exactly one lookup, ours: urllib3 dialled the checked IP and never resolved the name,
        # while the receiver still saw its own name in the Host header.
        assert result.ok and result.ip == "127.0.0.1"
        assert fake_dns.lookups == ["hooks.example.test"]
        assert http_server.received[0].headers["Host"] == f"hooks.example.test:{http_server.port}"

        # The next delivery resolves again and is refused: no cached answer, no cached pool.
        fake_dns["hooks.example.test"] = ["10.0.0.8"]
        again = c.send(url, BODY, HEADERS)
    assert (again.ok, again.error) == (False, DeliveryError.SSRF_BLOCKED)
    assert len(http_server.received) == 1


def test_next_address_is_tried_when_the_first_refuses(
    http_server: LoopbackServer, fake_dns: FakeDns
) -> None:
    # Nothing listens on ::1 at that port (or IPv6 is off): connecting fails, nothing was sent.
    fake_dns["dual.example.test"] = ["::1", "127.0.0.1"]
    allow = parse_allowlist("127.0.0.1/32,::1,dual.example.test")
    with DeliveryClient(allow, timeout=2) as c:
        result = c.send(http_server.url("/hook", host="dual.example.test"), BODY, HEADERS)
    assert result.ok and result.ip == "127.0.0.1"
    assert len(http_server.received) == 1


def test_https_keeps_sni_and_certificate_check_for_the_name(
    https_server: LoopbackServer, tls_files: TlsFiles, fake_dns: FakeDns
) -> None:
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    with DeliveryClient(LOCAL, timeout=2, verify=str(tls_files.ca_path)) as c:
        result = c.send(https_server.url("/hook", "hooks.example.test", "https"), BODY, HEADERS)
    assert result.ok, result.detail
    [received] = https_server.received
    assert received.sni == "hooks.example.test"
    assert received.headers["Host"] == f"hooks.example.test:{https_server.port}"
    assert fake_dns.lookups == ["hooks.example.test"]


def test_https_certificate_for_another_name_is_refused(
    https_server: LoopbackServer, tls_files: TlsFiles, fake_dns: FakeDns
) -> None:
    # Same socket address, but the URL names a host the certificate does not cover.
    fake_dns["evil.example.test"] = ["127.0.0.1"]
    with DeliveryClient(LOCAL, timeout=2, verify=str(tls_files.ca_path)) as c:
        result = c.send(https_server.url("/hook", "evil.example.test", "https"), BODY, HEADERS)
    assert (result.ok, result.error) == (False, DeliveryError.TLS_ERROR)
    assert https_server.received == []


def test_https_untrusted_certificate_is_refused(
    https_server: LoopbackServer, fake_dns: FakeDns
) -> None:
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    with DeliveryClient(LOCAL, timeout=2) as c:  # system CAs: our test CA is unknown
        result = c.send(https_server.url("/hook", "hooks.example.test", "https"), BODY, HEADERS)
    assert (result.ok, result.error) == (False, DeliveryError.TLS_ERROR)
