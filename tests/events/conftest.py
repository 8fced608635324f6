"""Fixtures for the webhook delivery tests: a fake resolver and real loopback HTTP(S) servers."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Handler = Callable[["RecordingHandler"], None]


class FakeDns:
    """Canned getaddrinfo answers per host name, and the names looked up so far."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []

    def __setitem__(self, name: str, addresses: list[str]) -> None:
        self.answers[name] = addresses


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    """Answer getaddrinfo for chosen names ([] = NXDOMAIN); anything else goes to the real one."""
    fake = FakeDns()
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in fake.answers:
            return real(host, port, *args, **kwargs)
        fake.lookups.append(host)
        if not fake.answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (ip, port, 0, 0) if ":" in ip else (ip, port),
            )
            for ip in fake.answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@dataclass
class Received:
    """One request as the loopback server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int
    sni: str | None = None


class RecordingHandler(BaseHTTPRequestHandler):
    """Records each request, then lets the test's route function answer it."""

    protocol_version = "HTTP/1.1"  # keep-alive, like real receivers
    server: LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: pytest output is for failures."""

    def do_POST(self) -> None:
        """Record the request and dispatch it to the route registered for its path."""
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.append(
            Received(
                method="POST",
                path=self.path,
                headers={k: v for k, v in self.headers.items()},
                body=body,
                client_port=self.client_address[1],
                sni=getattr(self.connection, "ivalid_sni", None),
            )
        )
        route = self.server.routes.get(self.path, reply(200, b'{"received":true}'))
        try:
            route(self)
        except OSError:
            self.close_connection = True  # the client hung up (timeouts): nothing to answer

    def pause(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; False means stop trickling."""
        return not self.server.stopping.wait(seconds)


def reply(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    """Return a route that answers with a fixed status, headers and body."""

    def route(handler: RecordingHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


class LoopbackServer(ThreadingHTTPServer):
    """A real HTTP(S) server on 127.0.0.1 with per-path behaviour set by each test."""

    daemon_threads = True  # a handler still trickling bytes must not hold the test up

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.routes: dict[str, Handler] = {}
        self.received: list[Received] = []
        self.stopping = threading.Event()

    def reply(
        self, path: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        """Make the server answer a path with a fixed status, headers and body."""
        self.routes[path] = reply(status, body, headers)

    @property
    def port(self) -> int:
        """Return the ephemeral port the server listens on."""
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        """Return a URL of this server for a path, under any host name."""
        return f"{scheme}://{host}:{self.port}{path}"


def _serve(server: LoopbackServer) -> Iterator[LoopbackServer]:
    """Run a server in a thread for the duration of a test."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A plain-HTTP loopback server."""
    yield from _serve(LoopbackServer())


@dataclass(frozen=True)
class TlsFiles:
    """A throw-away CA and a leaf certificate for one host name."""

    ca_path: Path
    cert_path: Path
    key_path: Path
    hostname: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls_files(directory: Path, hostname: str) -> TlsFiles:
    """Create a CA and a leaf certificate for ``hostname`` signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("iValid test CA"))
        .issuer_name(_name("iValid test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hostname))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(
        ca_path=directory / "ca.pem",
        cert_path=directory / f"{hostname}.pem",
        key_path=directory / f"{hostname}.key",
        hostname=hostname,
    )
    files.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class TlsLoopbackServer(LoopbackServer):
    """The loopback server behind TLS; records the SNI name each client sent."""

    tls: TlsFiles | None = None

    def get_request(self) -> tuple[Any, Any]:
        """Accept a TCP connection and do the TLS handshake, remembering the SNI."""
        sock, address = super().get_request()
        assert self.tls is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert_path, self.tls.key_path)
        seen: dict[str, str | None] = {}

        def remember(_sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _ctx: Any) -> None:
            seen["sni"] = name

        context.sni_callback = remember
        try:
            tls_sock = context.wrap_socket(sock, server_side=True)
        except OSError:
            sock.close()  # the client refused our certificate: drop the connection
            raise
        tls_sock.ivalid_sni = seen.get("sni")  # type: ignore[attr-defined]
        return tls_sock, address


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    """A CA and a certificate for hooks.example.test."""
    return make_tls_files(tmp_path, "hooks.example.test")


@pytest.fixture
def https_server(tls_files: TlsFiles) -> Iterator[LoopbackServer]:
    """An HTTPS loopback server presenting a certificate for hooks.example.test."""
    server = TlsLoopbackServer()
    server.tls = tls_files
    yield from _serve(server)
