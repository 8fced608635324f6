"""The webhook delivery HTTP client: one POST, pinned to a checked address, bounded in time.

What one :meth:`DeliveryClient.send` does:

1. validates the URL again (:func:`~hub.events.urlcheck.parse_webhook_url`): a URL saved before
   the allow-list changed is not trusted blindly;
2. resolves the host *now* and checks every address it gets
   (:func:`~hub.events.urlcheck.resolve_and_check`);
3. connects to one of those checked addresses and never resolves the name again -- so a DNS
   answer that changes between the check and the connection (DNS rebinding) cannot steer the
   request inside the network. The pinning is done in urllib3 terms: the request URL carries the
   IP literal, the ``Host`` header carries the name, and for https the pool is created with
   ``server_hostname=<name>``, which urllib3 uses for both the TLS SNI and the certificate
   hostname check. Pools are keyed by (scheme, IP, port, server_hostname), so keep-alive
   connections are only ever reused for the same checked address and name;
4. never follows redirects (a 3xx is a failure, reported with its ``Location``);
5. enforces a wall-clock deadline over connect + TLS + request + response: per-socket timeouts
   alone let a receiver that trickles one byte every few seconds hold a worker forever, so a
   watchdog thread shuts the connection's socket down when the deadline passes;
6. reads at most ``max_response_bytes`` of the response body, raw (no ``Accept-Encoding`` is
   sent, and a compressed answer is not inflated: no decompression bombs), for the delivery log.

Never raises for network trouble: every outcome is a :class:`DeliveryResult`. No proxy is used
(``trust_env`` is off): a proxy would resolve the name itself and undo the pinning.
The system resolver is not interruptible; its own timeout (resolv.conf) bounds DNS, and the
time DNS takes is charged to the delivery's budget.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import http.client
import itertools
import os
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.errors import parse_retry_after
from hub.events.urlcheck import (
    Allowlist,
    IPAddress,
    UnsafeURL,
    WebhookTarget,
    parse_webhook_url,
    resolve_and_check,
)

DEFAULT_TIMEOUT = 10.0
DEFAULT_POOL_SIZE = 10
DEFAULT_MAX_RESPONSE_BYTES = 1024


# The same few endpoint URLs are checked thousands of times: the check needs no DNS and depends
# only on the URL and the allowlist, so its verdict is kept (a refusal raises, and is not kept).
# The addresses are still resolved and checked on every delivery.
_checked_url = functools.lru_cache(maxsize=4096)(parse_webhook_url)


class DeliveryError(StrEnum):
    """Why a delivery attempt failed (stored in the delivery log, shown in the dashboard)."""

    TIMEOUT = "timeout"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    DNS_ERROR = "dns_error"
    REDIRECT = "redirect"
    SSRF_BLOCKED = "ssrf_blocked"
    HTTP_ERROR = "http_error"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery attempt, ready for the delivery log and the retry policy."""

    ok: bool  # 2xx and nothing else
    status: int | None
    latency_ms: int
    response_excerpt: str = ""  # first max_response_bytes of the body, decoded leniently
    error: str | None = None  # a DeliveryError value, None when ok
    retry_after: float | None = None  # seconds, from a Retry-After header
    gone: bool = False  # 410: the receiver asks us to stop (disable the endpoint)
    detail: str | None = None  # human-readable explanation of ``error``
    location: str | None = None  # the Location of a refused redirect
    ip: str | None = None  # the address actually dialled


# --- wall-clock deadline -------------------------------------------------------------------


class _Deadline:
    """The time budget of one delivery; when it runs out, its connection's socket is shut."""

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + seconds
        self.expired = False
        self._finished = False
        self._connections: list[_DeadlineOwned] = []
        self._sockets: list[socket.socket] = []  # TLS sockets in their handshake

    def remaining(self) -> float:
        """Return the seconds left, never negative."""
        return max(0.0, self.expires_at - time.monotonic())

    def watch(self, conn: _DeadlineOwned) -> None:
        """Take ownership of a connection (abort it at once if already expired)."""
        with _ownership:
            conn.ivalid_deadline = self
            if not any(c is conn for c in self._connections):
                self._connections.append(conn)
            if self.expired:
                _abort(conn)

    def watch_socket(self, sock: socket.socket) -> None:
        """Own a socket while its TLS handshake runs (abort it at once if already expired)."""
        with _ownership:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def unwatch_socket(self, sock: socket.socket) -> None:
        """Give a socket up once its handshake is over (its connection is owned from then)."""
        with _ownership:
            self._sockets = [s for s in self._sockets if s is not sock]

    def expire(self) -> None:
        """Called by the watchdog: shut the sockets this delivery still owns."""
        with _ownership:
            if self._finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)
            for conn in self._connections:
                if conn.ivalid_deadline is self:
                    _abort(conn)

    def finish(self) -> None:
        """Mark the delivery done: a late expiry must not touch a connection any more."""
        with _ownership:
            self._finished = True
            for conn in self._connections:
                if conn.ivalid_deadline is self:
                    conn.ivalid_deadline = None
            self._connections.clear()
            self._sockets.clear()


# Who owns a connection changes when it goes back to the pool and out again; reading the owner
# and shutting its socket must be atomic with that, or a late expiry could shut the connection
# another delivery has just taken. The critical sections are a few attribute reads.
_ownership = threading.Lock()


def _abort(conn: _DeadlineOwned) -> None:
    """Shut a connection's socket down from another thread, waking any blocked recv/send."""
    sock = conn.sock
    if sock is not None:
        _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Shut a socket's file descriptor down, waking the thread blocked on it."""
    # socket.socket.shutdown, not SSLSocket.shutdown: the latter drops the SSL object under the
    # feet of the thread blocked in it. Shutting the fd down is what wakes that thread.
    with contextlib.suppress(OSError):  # already closed by its owner: nothing to wake
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread per client that expires deadlines on time (no thread per delivery)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, deadline: _Deadline) -> None:
        """Schedule a deadline's expiry."""
        with self._cond:
            if self._closed:
                raise RuntimeError("DeliveryClient is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ivalid-webhook-watchdog", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, (deadline.expires_at, next(self._order), deadline))
            self._cond.notify()

    def _run(self) -> None:
        """Sleep until the earliest deadline, expire it, repeat."""
        with self._cond:
            while not self._closed:
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)[2].expire()

    def close(self) -> None:
        """Stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()


# The deadline of the delivery running on this thread; urllib3 connects and reads in the caller's
# thread, so the connection classes below find it here without any plumbing through requests.
_current = threading.local()


class _DeadlineOwned(HTTPConnection):
    """A connection a delivery deadline can own and abort (base of both connection classes).

    Ownership moves at two public points of urllib3's connection: ``request`` (a connection
    starts a request for the delivery running on this thread) and ``is_connected`` (urllib3
    asks it of a connection it takes out of the pool, on the taking thread, before using it).
    So a delivery that has finished with a connection, or whose connection went back to the
    pool when its body was read to the end, can no longer abort it once another delivery holds
    it. The TLS handshake, which happens before any request, is covered by the socket class
    of the TLS context (:class:`_HandshakeSocket`).
    """

    ivalid_deadline: _Deadline | None = None

    @property
    def is_connected(self) -> bool:
        """Whether the connection is up; the asking thread's delivery becomes its owner."""
        _watch_current(self)
        return super().is_connected

    def request(self, *args: Any, **kwargs: Any) -> None:
        """Send a request; the delivery running on this thread owns the connection."""
        _watch_current(self)
        super().request(*args, **kwargs)


def _watch_current(conn: _DeadlineOwned) -> None:
    """Give a connection to the deadline of the delivery running on this thread, if any."""
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(conn)


class _WatchedHTTPConnection(_DeadlineOwned):
    """HTTP connection under a delivery deadline."""


class _WatchedHTTPSConnection(_DeadlineOwned, HTTPSConnection):
    """HTTPS connection under a delivery deadline."""


class _WatchedHTTPPool(HTTPConnectionPool):
    """Pool of deadline-aware HTTP connections (``ConnectionCls`` is urllib3's hook for it)."""

    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    """Pool of deadline-aware HTTPS connections."""

    ConnectionCls = _WatchedHTTPSConnection


class _HandshakeSocket(ssl.SSLSocket):
    """TLS socket whose handshake the delivery deadline can cut (``SSLContext.sslsocket_class``).

    The handshake runs inside urllib3's ``connect``, before the connection has a request or a
    socket we could see; the socket itself reports to the deadline for the handshake's length.
    """

    def do_handshake(self, block: bool = False) -> None:
        """Do the handshake under the deadline of the delivery running on this thread."""
        deadline: _Deadline | None = getattr(_current, "deadline", None)
        if deadline is None:
            super().do_handshake(block)
            return
        deadline.watch_socket(self)
        try:
            super().do_handshake(block)
        finally:
            deadline.unwatch_socket(self)


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """Build the client's TLS context: trust per ``verify``, handshakes under the deadline."""
    if verify is False:
        context = urllib3.util.create_urllib3_context(cert_reqs=ssl.CERT_NONE)
    else:
        context = urllib3.util.create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
        if verify is True:
            context.load_default_certs()
        elif os.path.isdir(verify):
            context.load_verify_locations(capath=verify)
        else:
            context.load_verify_locations(cafile=verify)
    context.sslsocket_class = _HandshakeSocket
    return context


# --- pinned transport ----------------------------------------------------------------------


class _PinnedRequest(requests.PreparedRequest):
    """A prepared request whose URL holds the checked IP; ``tls_name`` is the real host name."""

    tls_name: str | None = None


class _PinnedAdapter(HTTPAdapter):
    """HTTPAdapter that dials the IP in the URL but does TLS (SNI + cert check) for the name.

    Uses only the extension points requests documents for subclasses (``init_poolmanager``,
    ``build_connection_pool_key_attributes``) and urllib3's public ``pool_classes_by_scheme``,
    ``ConnectionCls``, ``server_hostname`` and ``ssl_context`` pool arguments.
    """

    def __init__(self, verify: bool | str, **kwargs: Any) -> None:
        self.tls_context = _tls_context(verify)
        self.tls_verify = verify
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with deadline-aware connection pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:  # (host params, pool kwargs); requests types them with private TypedDicts
        """Add ``server_hostname`` so TLS uses the name while the socket goes to the IP."""
        if verify != self.tls_verify:
            raise ValueError("this adapter's TLS context was built for another verify")
        host_params, base_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        pool_kwargs: dict[str, Any] = dict(base_kwargs)
        if host_params["scheme"] == "https":
            # Trust is already in our context: urllib3 would load the CA file per connection.
            pool_kwargs = {
                key: value
                for key, value in pool_kwargs.items()
                if key not in ("ca_certs", "ca_cert_dir")
            }
            pool_kwargs["ssl_context"] = self.tls_context
            tls_name = getattr(request, "tls_name", None)
            if tls_name:
                # Also part of urllib3's pool key: a pool never serves two names.
                pool_kwargs["server_hostname"] = tls_name
        return host_params, pool_kwargs


def _cause_chain(exc: BaseException) -> list[BaseException]:
    """Return an exception and everything it wraps, outermost first (requests nests deeply)."""
    chain: list[BaseException] = []
    todo: deque[BaseException] = deque([exc])
    while todo:
        current = todo.popleft()
        if any(current is seen for seen in chain):
            continue
        chain.append(current)
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        for nested in (getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(nested, BaseException):
                todo.append(nested)
    return chain


def _classify_exception(exc: BaseException) -> tuple[DeliveryError, bool]:
    """Map a transport exception to (error, whether the request surely never left)."""
    chain = _cause_chain(exc)

    def caused_by(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    if caused_by(ConnectionRefusedError):
        return DeliveryError.CONNECTION_REFUSED, True
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return DeliveryError.TIMEOUT, True
    if caused_by(urllib3.exceptions.NewConnectionError):  # unreachable, reset while connecting
        return DeliveryError.CONNECTION_ERROR, True
    if caused_by(requests.exceptions.SSLError, ssl.SSLError):
        return DeliveryError.TLS_ERROR, False
    if caused_by(requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
        return DeliveryError.TIMEOUT, False
    return DeliveryError.CONNECTION_ERROR, False


class DeliveryClient:
    """Pooled, SSRF-guarded, deadline-bounded HTTP client for webhook deliveries (thread-safe)."""

    def __init__(
        self,
        allowlist: Allowlist,
        timeout: float = DEFAULT_TIMEOUT,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        *,
        max_hosts: int = 64,
        verify: bool | str = True,
    ) -> None:
        self.allowlist = allowlist
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.verify = verify
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies from the environment: they'd undo pinning
        # pool_maxsize = the worker's concurrency: one kept-alive connection per busy thread;
        # pool_connections = how many distinct (IP, name) pools stay cached.
        self._adapter = _PinnedAdapter(verify, pool_connections=max_hosts, pool_maxsize=pool_size)
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)
        self._watchdog = _Watchdog()

    def close(self) -> None:
        """Close pooled connections and stop the watchdog thread."""
        self.session.close()
        self._watchdog.close()

    def __enter__(self) -> DeliveryClient:
        """Use the client as a context manager that closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the client."""
        self.close()

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        """POST a signed body to a webhook URL; never raises for network trouble."""
        started = time.monotonic()
        deadline = _Deadline(self.timeout)
        self._watchdog.arm(deadline)
        _current.deadline = deadline
        try:
            return self._send(url, body, headers, deadline, started)
        finally:
            _current.deadline = None
            deadline.finish()

    def _send(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        deadline: _Deadline,
        started: float,
    ) -> DeliveryResult:
        """Check, resolve, then try each checked address until one answers or time runs out."""
        try:
            target = _checked_url(url, self.allowlist)
        except UnsafeURL as exc:
            return _failure(DeliveryError.SSRF_BLOCKED, f"{exc.reason_code}: {exc}", started)
        try:
            addresses = resolve_and_check(target.host, target.port, self.allowlist)
        except UnsafeURL as exc:
            return _failure(DeliveryError.SSRF_BLOCKED, f"{exc.reason_code}: {exc}", started)
        except OSError as exc:  # socket.gaierror and friends
            detail = f"cannot resolve {target.host}: {exc}"
            return _failure(DeliveryError.DNS_ERROR, detail, started)

        result = _failure(DeliveryError.TIMEOUT, "no time left to connect", started)
        for ip in addresses:
            if deadline.remaining() <= 0:
                break
            result, retry_next = self._attempt(target, ip, body, headers, deadline, started)
            if not retry_next:
                break
        return result

    def _attempt(
        self,
        target: WebhookTarget,
        ip: IPAddress,
        body: bytes,
        headers: Mapping[str, str],
        deadline: _Deadline,
        started: float,
    ) -> tuple[DeliveryResult, bool]:
        """POST once to one address; the flag says whether another address may be tried."""
        request = _PinnedRequest()
        request.tls_name = target.host if target.ip is None else None
        host = f"[{ip}]" if ip.version == 6 else str(ip)
        remaining = max(deadline.remaining(), 0.001)  # 0 would mean a non-blocking socket
        try:
            request.prepare(
                method="POST",
                url=f"{target.scheme}://{host}:{target.port}{target.path}",
                headers={**headers, "Host": target.host_header},
                data=body,
            )
            # The adapter, not Session.send: even with allow_redirects=False, Session.send reads
            # the whole body of a 3xx (to prepare Response.next), unbounded.
            response = self._adapter.send(
                request, stream=True, timeout=(remaining, remaining), verify=self.verify, proxies={}
            )
        except requests.RequestException as exc:
            error, never_sent = _classify_exception(exc)
            if deadline.expired:
                error = DeliveryError.TIMEOUT
            detail = f"{error.value} after {_ms_since(started)} ms: {_short(exc)}"
            return _failure(error, detail, started, ip), never_sent and not deadline.expired
        try:
            if deadline.expired:
                # The watchdog shut the socket while the status line or headers were arriving;
                # http.client takes that EOF for the end of the headers, so the response we hold
                # is a truncated one and its status means nothing.
                detail = f"timeout: no complete response within {self.timeout:g} s"
                return _failure(DeliveryError.TIMEOUT, detail, started, ip), False
            return self._read_response(response, deadline, started, str(ip)), False
        finally:
            response.close()  # keeps the connection alive only if the body was fully read

    def _read_response(
        self, response: requests.Response, deadline: _Deadline, started: float, ip: str
    ) -> DeliveryResult:
        """Turn a response into a DeliveryResult, reading at most max_response_bytes of body."""
        excerpt, read_error = b"", None
        try:
            # One byte more than kept tells "exactly the limit" from "truncated".
            excerpt = response.raw.read(self.max_response_bytes + 1, decode_content=False)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            read_error = _short(exc)  # the excerpt is for the log: its loss is no failure
        if deadline.expired:  # a shut socket reads as a clean EOF: the error may not surface
            read_error = f"timeout after {self.timeout:g} s"
        status = response.status_code
        ok = 200 <= status < 300
        error: DeliveryError | None = None
        detail: str | None = None
        location = response.headers.get("Location") if 300 <= status < 400 else None
        if 300 <= status < 400:
            error = DeliveryError.REDIRECT
            detail = f"HTTP {status} redirect to {location or '(no Location)'}; not followed"
        elif not ok:
            error = DeliveryError.HTTP_ERROR
            detail = f"HTTP {status} {response.reason or ''}".strip()
        if read_error is not None:
            detail = (detail + "; " if detail else "") + f"body not fully read: {read_error}"
        return DeliveryResult(
            ok=ok,
            status=status,
            latency_ms=_ms_since(started),
            response_excerpt=excerpt[: self.max_response_bytes].decode("utf-8", "replace"),
            error=error,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            gone=status == 410,
            detail=detail,
            location=location,
            ip=ip,
        )


def _failure(
    error: DeliveryError, detail: str, started: float, ip: IPAddress | None = None
) -> DeliveryResult:
    """Return the result of an attempt that got no HTTP status."""
    return DeliveryResult(
        ok=False,
        status=None,
        latency_ms=_ms_since(started),
        error=error,
        detail=detail,
        ip=str(ip) if ip is not None else None,
    )


def _ms_since(started: float) -> int:
    """Return whole milliseconds elapsed since a monotonic start time."""
    return int((time.monotonic() - started) * 1000)


def _short(exc: BaseException) -> str:
    """Return the innermost message of a nested transport exception, for the delivery log."""
    innermost = _cause_chain(exc)[-1]
    return (str(innermost) or type(innermost).__name__)[:300]
