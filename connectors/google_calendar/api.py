"""The only module that touches google-api-python-client: builds the service, maps its errors."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import credentials as ga_credentials
from google.auth import exceptions as ga_exceptions
from googleapiclient import discovery
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.base import (
    AuthError,
    Conflict,
    ConnectorError,
    CursorExpired,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    RateLimited,
    RejectableTokenProvider,
    TokenProvider,
    TransientError,
    backoff_delay,
    parse_retry_after,
)

from .const import (
    API_BASE_URL,
    AUTH_403_REASONS,
    BATCH_PATH,
    DEFAULT_HTTP_TIMEOUT,
    DEFAULT_REQUESTS_PER_MINUTE,
    QUOTA_REASONS,
    RATE_LIMIT_ATTEMPTS,
    RATE_LIMIT_BASE_DELAY,
    RATE_LIMIT_MAX_DELAY,
    RATE_LIMIT_REASONS,
)

_LOGGER = logging.getLogger(__name__)


class ProviderCredentials(ga_credentials.Credentials):
    """google-auth credentials that ask a TokenProvider for the token before every request.

    On a 401, google-auth-httplib2 calls `refresh()` once: we tell the provider the token was
    rejected so it refreshes; if it cannot, or hands back the same token, that is an AuthError.
    """

    def __init__(self, provider: TokenProvider) -> None:
        """Wrap the provider."""
        super().__init__()
        self._provider = provider

    @property
    def expired(self) -> bool:
        """Never expired from google-auth's point of view: the provider decides."""
        return False

    @property
    def valid(self) -> bool:
        """Always usable: the provider hands out a valid token on each request."""
        return True

    def refresh(self, request: Any) -> None:
        """Called after a 401: make the provider refresh, or give up."""
        rejected = str(self.token or "")
        if not isinstance(self._provider, RejectableTokenProvider):
            raise ga_exceptions.RefreshError("access token rejected and provider cannot refresh")
        self._provider.token_rejected(rejected)
        self.token = self._provider.get_access_token()
        if self.token == rejected:
            raise ga_exceptions.RefreshError("access token rejected again after refresh")

    def before_request(self, request: Any, method: str, url: str, headers: Any) -> None:
        """Put the provider's current token in the Authorization header."""
        self.token = self._provider.get_access_token()
        self.apply(headers)


def _error_payload(content: bytes | str | None) -> tuple[str, str | None]:
    """(message, first reason) out of a Google JSON error body, tolerating anything else."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    try:
        error = json.loads(content or "{}").get("error", {})
    except (ValueError, AttributeError):
        return (content or "")[:200], None
    if isinstance(error, str):  # OAuth-style {"error": "invalid_token"}
        return error, error
    reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)]
    return str(error.get("message", "")), next((r for r in reasons if r), None)


def translate_http_error(
    status: int, content: bytes | str | None, headers: Mapping[str, str] | None = None
) -> ConnectorError:
    """Map a Google Calendar HTTP error to the connector error the sync engine acts on."""
    message, reason = _error_payload(content)
    kw: dict[str, Any] = {"status": status, "reason": reason}
    text = f"Google Calendar {status} {reason or ''}: {message}".strip()
    if status == 401:
        return AuthError(text, **kw)
    if status == 403:
        if reason in RATE_LIMIT_REASONS or reason in QUOTA_REASONS:
            return TransientError(text, **kw)
        if reason in AUTH_403_REASONS:
            return AuthError(text, **kw)
        return InvalidRequest(text, **kw)
    if status == 429:
        seconds = parse_retry_after((headers or {}).get("retry-after"))
        return RateLimited(text, retry_after=seconds, **kw)
    if status == 404:
        return NotFound(text, **kw)
    if status == 409:
        return Conflict(text, **kw)
    if status == 410:
        # "fullSyncRequired" on a list; "deleted" when touching an already deleted event.
        return NotFound(text, **kw) if reason == "deleted" else CursorExpired(text, **kw)
    if status == 412:
        return PreconditionFailed(text, **kw)
    if status >= 500 or status == 408:
        return TransientError(text, **kw)
    return InvalidRequest(text, **kw)


def rate_limited(err: ConnectorError) -> bool:
    """A refusal of the per-user or per-project budget (403 rateLimitExceeded & co, or 429)."""
    return isinstance(err, RateLimited) or (
        isinstance(err, TransientError) and err.reason in RATE_LIMIT_REASONS
    )


class Pacer:
    """Keeps one connector's calls within a per-minute budget (a sliding minute).

    Google's per-user quota (600 calls a minute per user and project, a sliding window) is
    shared by every calendar of the connected user: the default budget stays below it. Each
    call of a batch counts, as Google counts them. `clock` and `sleep` are injectable (tests).
    """

    def __init__(
        self,
        per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """A budget of `per_minute` calls (0 or less: unlimited)."""
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self, calls: int = 1) -> None:
        """Wait until `calls` more calls fit in the last minute, then count them."""
        if self.per_minute <= 0:
            return
        calls = min(calls, self.per_minute)
        with self._lock:
            while True:
                now = self.clock()
                while self._sent and self._sent[0] <= now - 60.0:
                    self._sent.popleft()
                if len(self._sent) + calls <= self.per_minute:
                    self._sent.extend([now] * calls)
                    return
                wait = self._sent[len(self._sent) + calls - self.per_minute - 1] + 60.0 - now
                wait = max(wait, 0.01)
                self.waited += wait
                self.sleep(wait)


class GoogleCalendarApi:
    """Thin typed wrapper over the Calendar v3 service; every call goes through `_execute`.

    Every call is paced (`Pacer`); a call refused for the rate limit (403 rateLimitExceeded /
    userRateLimitExceeded, 429) is retried after an exponential back-off with full jitter, a
    few times, before the error goes up to the engine (which backs off the whole run).
    """

    def __init__(
        self,
        tokens: TokenProvider,
        *,
        api_base_url: str = API_BASE_URL,
        timeout: float = DEFAULT_HTTP_TIMEOUT,
        pacer: Pacer | None = None,
        rng: random.Random | None = None,
        attempts: int = RATE_LIMIT_ATTEMPTS,
    ) -> None:
        """Build the service from the bundled discovery document, pointed at `api_base_url`."""
        self._credentials = ProviderCredentials(tokens)
        self._tokens = tokens
        self._http = google_auth_httplib2.AuthorizedHttp(
            self._credentials,
            http=httplib2.Http(timeout=timeout),
            max_refresh_attempts=1,
        )
        self.pacer = pacer or Pacer()
        self._rng = rng or random.Random()
        self.attempts = max(1, attempts)
        self.retries = 0  # calls retried after a rate-limit refusal
        # The batch endpoint lives at the API's root (the discovery document's batchPath);
        # google-api-python-client would take it from the document's rootUrl, not api_endpoint.
        base = api_base_url.rstrip("/")
        root = base[: -len("/calendar/v3")] if base.endswith("/calendar/v3") else base
        self._batch_uri = root + "/" + BATCH_PATH
        # static_discovery: no network call to fetch the discovery document. api_endpoint
        # replaces rootUrl+servicePath, so it must end with the service path (".../calendar/v3/").
        self._service = discovery.build(
            "calendar",
            "v3",
            http=self._http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": api_base_url.rstrip("/") + "/"},
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._service.close()

    def backoff(self, attempt: int, err: ConnectorError) -> None:
        """Sleep before retrying a rate-limited call: Retry-After, else exponential + jitter."""
        retry_after = getattr(err, "retry_after", None)
        if retry_after:
            delay = min(float(retry_after), RATE_LIMIT_MAX_DELAY)
        else:
            delay = backoff_delay(attempt, RATE_LIMIT_BASE_DELAY, RATE_LIMIT_MAX_DELAY, self._rng)
        self.retries += 1
        self.pacer.sleep(max(delay, 0.01))

    def _execute(self, request: Any, *, if_match: str | None = None) -> Any:
        """Run one request (paced, rate-limit refusals retried), errors as connector errors."""
        if if_match:
            request.headers["If-Match"] = if_match
        for attempt in range(self.attempts):
            self.pacer.acquire()
            try:
                return self._execute_once(request)
            except ConnectorError as err:
                if not rate_limited(err) or attempt + 1 >= self.attempts:
                    raise
                self.backoff(attempt, err)
        raise AssertionError("unreachable")  # pragma: no cover

    def _execute_once(self, request: Any) -> Any:
        try:
            return request.execute(num_retries=0)
        except HttpError as err:
            headers = {str(k).lower(): str(v) for k, v in dict(err.resp).items()}
            raise translate_http_error(err.resp.status, err.content, headers) from err
        except ga_exceptions.RefreshError as err:
            raise AuthError(str(err), status=401, reason="refresh_failed") from err
        except (httplib2.HttpLib2Error, OSError) as err:
            raise TransientError(f"network error talking to Google Calendar: {err}") from err

    def execute_batch(self, requests: Sequence[Any]) -> list[Any]:
        """Run requests as one batch call (POST /batch/calendar/v3, multipart/mixed).

        Returns, in order, each call's answer or the ConnectorError it met. The batch as a
        whole failing (network, 5xx, 401 after one refresh) raises. Each call counts against
        the quota as one call: the pacer is asked for all of them.
        """
        results: list[Any] = [None] * len(requests)

        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            index = int(request_id)
            if isinstance(exception, HttpError):
                headers = {str(k).lower(): str(v) for k, v in dict(exception.resp).items()}
                results[index] = translate_http_error(
                    exception.resp.status, exception.content, headers
                )
            elif exception is not None:
                results[index] = TransientError(f"batch call failed: {exception}")
            else:
                results[index] = response

        batch = BatchHttpRequest(callback=collect, batch_uri=self._batch_uri)
        for index, request in enumerate(requests):
            batch.add(request, request_id=str(index))
        self.pacer.acquire(len(requests))
        # The batch library applies the credentials' current token to each part.
        self._credentials.token = self._tokens.get_access_token()
        try:
            batch.execute(http=self._http)
        except HttpError as err:
            headers = {str(k).lower(): str(v) for k, v in dict(err.resp).items()}
            raise translate_http_error(err.resp.status, err.content, headers) from err
        except ga_exceptions.RefreshError as err:
            raise AuthError(str(err), status=401, reason="refresh_failed") from err
        except (httplib2.HttpLib2Error, OSError) as err:
            raise TransientError(f"network error talking to Google Calendar: {err}") from err
        return results

    def insert_request(self, calendar_id: str, body: Mapping[str, Any]) -> Any:
        """An events.insert request, not yet sent (for `execute_batch`)."""
        return self._service.events().insert(calendarId=calendar_id, body=dict(body))

    # -- calendarList

    def get_calendar_list_entry(self, calendar_id: str) -> dict[str, Any]:
        """calendarList.get: one calendar as the user sees it ("primary" gives their email)."""
        return self._execute(self._service.calendarList().get(calendarId=calendar_id))

    def get_calendar(self, calendar_id: str) -> dict[str, Any]:
        """calendars.get: the calendar's metadata (dataOwner, for secondary calendars)."""
        return self._execute(self._service.calendars().get(calendarId=calendar_id))

    def list_calendars(self, page_token: str | None = None) -> dict[str, Any]:
        """calendarList.list: one page of the user's calendars."""
        kwargs: dict[str, Any] = {}
        if page_token:
            kwargs["pageToken"] = page_token
        return self._execute(self._service.calendarList().list(**kwargs))

    # -- events

    def list_events(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        max_results: int | None = None,
        time_min: str | None = None,
        time_max: str | None = None,
    ) -> dict[str, Any]:
        """events.list with deleted events and expanded instances (the sync query)."""
        kwargs: dict[str, Any] = {
            "calendarId": calendar_id,
            "showDeleted": True,
            "singleEvents": True,
        }
        if max_results:
            kwargs["maxResults"] = max_results
        if sync_token:
            kwargs["syncToken"] = sync_token
        else:  # Google refuses timeMin/timeMax with a sync token
            if time_min:
                kwargs["timeMin"] = time_min
            if time_max:
                kwargs["timeMax"] = time_max
        if page_token:
            kwargs["pageToken"] = page_token
        return self._execute(self._service.events().list(**kwargs))

    def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        """events.get (returns cancelled events too)."""
        return self._execute(self._service.events().get(calendarId=calendar_id, eventId=event_id))

    def insert_event(self, calendar_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """events.insert."""
        return self._execute(self._service.events().insert(calendarId=calendar_id, body=dict(body)))

    def patch_event(
        self, calendar_id: str, event_id: str, body: Mapping[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        """events.patch, conditional on the etag when one is given."""
        request = self._service.events().patch(
            calendarId=calendar_id, eventId=event_id, body=dict(body)
        )
        return self._execute(request, if_match=if_match)

    def delete_event(self, calendar_id: str, event_id: str, if_match: str | None) -> None:
        """events.delete, conditional on the etag when one is given."""
        request = self._service.events().delete(calendarId=calendar_id, eventId=event_id)
        self._execute(request, if_match=if_match)

    def watch_events(self, calendar_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """events.watch: open a web_hook notification channel on a calendar's events."""
        return self._execute(self._service.events().watch(calendarId=calendar_id, body=dict(body)))

    def stop_channel(self, body: Mapping[str, Any]) -> None:
        """channels.stop."""
        self._execute(self._service.channels().stop(body=dict(body)))
