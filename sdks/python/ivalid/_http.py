"""The transport: one place that sends requests, retries what is safe to retry, and maps errors."""

from __future__ import annotations

import json
import logging
import platform
import random
import time
import uuid
import weakref
from collections.abc import Mapping
from typing import Any, Callable

import requests

from ._auth import ApiKeyCredentials, Credentials
from ._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    error_from_response,
)
from ._util import encode_body, encode_query, get_header, parse_retry_after
from ._version import __version__

logger = logging.getLogger("ivalid")

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
# A server asking for a longer pause than this gets the error back at once: sleeping through
# minutes inside a library call would look like a hang.
MAX_RETRY_AFTER = 60.0
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})

USER_AGENT = (
    f"ivalid-python/{__version__} (Python {platform.python_version()}; "
    f"requests {requests.__version__})"
)


class HTTPClient:
    """Sends API requests with authentication, an automatic Idempotency-Key, and retries.

    Retried, up to `max_retries` times: 429 after `Retry-After`; 502/503/504 and broken
    connections for requests that are safe to repeat, which are GET and PUT and every POST
    (each POST carries an Idempotency-Key, kept across its retries, so the server runs it once).
    A DELETE is retried only when the connection could not even be opened.
    """

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        default_headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials: Credentials = credentials or ApiKeyCredentials("")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self._owns_session = session is None
        self.session = session or requests.Session()
        self._default_headers = dict(default_headers or {})
        self._sleep = sleep
        if self._owns_session:
            # Close pooled sockets even if the caller never calls close().
            self._finalizer = weakref.finalize(self, self.session.close)

    def close(self) -> None:
        """Release pooled connections (only those of a session this client created)."""
        if self._owns_session:
            self._finalizer()

    # -- API calls ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Call the API and return the decoded JSON (None for an empty body); raise on errors."""
        method = method.upper()
        headers = {"Accept": "application/json"}
        data = encode_body(json_body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        elif idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        url = self.base_url + path
        query = encode_query(params)

        token = self.credentials.bearer()
        response = self.send(
            method, url, params=query, data=data, headers=headers, token=token, timeout=timeout
        )
        if response.status_code == 401 and self.credentials.invalidate(token):
            # The token was revoked or expired early: fetch a new one and try once more.
            token = self.credentials.bearer()
            response = self.send(
                method, url, params=query, data=data, headers=headers, token=token, timeout=timeout
            )
        return self._decode(response)

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send one request, with retries; returns the last response, whatever its status."""
        method = method.upper()
        all_headers = {"User-Agent": USER_AGENT, **self._default_headers, **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if json is not None:
            data = encode_body(json)
            all_headers.setdefault("Content-Type", "application/json")
        repeatable = method in _IDEMPOTENT_METHODS or "Idempotency-Key" in all_headers
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=all_headers,
                    timeout=self.timeout if timeout is None else timeout,
                )
            except requests.RequestException as exc:
                never_sent = isinstance(exc, requests.ConnectTimeout) or (
                    isinstance(exc, requests.ConnectionError) and _refused(exc)
                )
                if attempt < self.max_retries and (repeatable or never_sent):
                    pause = _backoff(attempt)
                    logger.info("%s %s failed (%s); retrying in %.1fs", method, url, exc, pause)
                    self._sleep(pause)
                    attempt += 1
                    continue
                raise APIConnectionError(
                    f"{method} {url} failed after {attempt + 1} attempt(s): {exc}"
                ) from exc
            delay = self._retry_delay(response, attempt, repeatable)
            if delay is None:
                return response
            logger.info(
                "%s %s answered %s (request %s); retrying in %.1fs",
                method,
                url,
                response.status_code,
                response.headers.get("X-Request-Id"),
                delay,
            )
            response.close()
            self._sleep(delay)
            attempt += 1

    # -- helpers -------------------------------------------------------------------------------

    def _retry_delay(
        self, response: requests.Response, attempt: int, repeatable: bool
    ) -> float | None:
        """Seconds to wait before retrying this response, or None to return it."""
        status = response.status_code
        if attempt >= self.max_retries or status not in _RETRY_STATUSES:
            return None
        retry_after = parse_retry_after(response.headers)
        if status == 429:
            # A rate-limited request was not processed, so any method may be sent again.
            if retry_after is None:
                return _backoff(attempt)
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
        if not repeatable:
            return None
        if retry_after is not None and retry_after <= MAX_RETRY_AFTER:
            return retry_after
        return _backoff(attempt)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        text = response.text
        try:
            payload = json.loads(text) if text.strip() else None
        except ValueError:
            payload = None
            if response.ok:
                raise APIError(
                    f"The API answered {response.status_code} with a body that is not JSON",
                    http_status=response.status_code,
                    request_id=get_header(response.headers, "X-Request-Id"),
                    headers=dict(response.headers),
                    http_body=text[:2000],
                ) from None
        if response.ok:
            return payload
        error = error_from_response(response.status_code, payload, dict(response.headers), text)
        if response.status_code == 401 and not isinstance(error, AuthenticationError):
            error = AuthenticationError(
                error.message,
                http_status=401,
                code=error.code,
                details=error.details,
                request_id=error.request_id,
                headers=error.headers,
                json_body=payload,
                http_body=text,
            )
        raise error


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.25–0.5s, 0.5–1s, 1–2s … at most 8s."""
    ceiling = min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _refused(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established (so the server saw nothing)."""
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NewConnectionError",
            "Connection refused",
            "NameResolutionError",
            "Failed to resolve",
            "Errno 111",
            "Errno 61",
        )
    )
