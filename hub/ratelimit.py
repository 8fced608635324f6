"""One rate budget per credential across every /v2 route (Flask-Limiter), and the token throttle.

Counters live in Redis when `IVALID_REDIS_URL` is set (several machines), otherwise in a SQLite
file of the data directory that every process of the machine shares (`hub.ratelimit_store`):
gunicorn's workers spend one budget, never one each.
"""

from __future__ import annotations

import math
import time

from flask import Flask, g, request
from limits import parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from hub.auth.guard import authenticate
from hub.config import Settings


def credential_key() -> str:
    """The budget a request spends: its credential's, or its address's when it sends none.

    Authenticating here (cached on `g` for the view) means a bad token answers 401 without
    spending anyone's budget, and a forged token cannot spend another client's.
    """
    if request.headers.get("Authorization"):
        return authenticate().credential_id
    return f"ip:{request.remote_addr}"


def retry_after_seconds(window_reset: float, now: float | None = None, *, margin: float = 0) -> int:
    """Whole seconds a client must wait so that its retry falls in the next window.

    The limiter itself truncates (`int(reset - now)`), so a client honouring its answer can
    retry into the same full window and be refused again: round up instead, never less than
    one second. `margin` covers a storage that reports the reset imprecisely (Redis gives a
    key's TTL rounded to the nearest second: half a second either way).
    """
    remaining = window_reset - (time.time() if now is None else now)
    return max(1, math.ceil(remaining + margin))


def storage_uri(settings: Settings) -> str:
    """Redis when configured, else the counters file every local process shares."""
    from hub.ratelimit_store import storage_uri as file_uri

    return settings.redis_url or file_uri(settings.data_dir)


def init_rate_limit(app: Flask, settings: Settings) -> None:
    """Limit the /v2 API to `IVALID_RATE_LIMIT` per credential, with X-RateLimit-* headers."""
    from flask import Response
    from flask_limiter import Limiter
    from flask_limiter.constants import HeaderNames

    # Registered before the limiter's own hook, so it runs after it: the limiter's Retry-After
    # belongs to 429 answers only (never too short); another error's own (a 503's) is kept.
    @app.after_request
    def _retry_after_only_when_limited(response: Response) -> Response:
        if response.status_code == 429:
            current = limiter.current_limit
            if current is not None:
                response.headers["Retry-After"] = str(
                    retry_after_seconds(current.window[0], margin=0.5 if settings.redis_url else 0)
                )
        else:
            own = g.pop("ivalid_retry_after", None)  # set by hub.errors.error_response
            if own is not None:
                response.headers["Retry-After"] = own
            else:
                response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(
        credential_key,
        app=app,
        # An application limit is one counter per key for the whole app; a default limit
        # would be one per route (eight routes, eight budgets).
        application_limits=[settings.rate_limit],
        application_limits_exempt_when=lambda: not request.path.startswith("/v2/"),
        headers_enabled=True,
        header_name_mapping={
            HeaderNames.LIMIT: "X-RateLimit-Limit",
            HeaderNames.REMAINING: "X-RateLimit-Remaining",
            HeaderNames.RESET: "X-RateLimit-Reset",
            HeaderNames.RETRY_AFTER: "Retry-After",
        },
        storage_uri=storage_uri(settings),
        strategy="fixed-window",
        key_prefix="ivalid-rl",
        swallow_errors=False,
    )
    app.extensions["ivalid_limiter"] = limiter
    app.extensions["ivalid_token_throttle"] = TokenThrottle(limiter.storage, settings)


class TokenThrottle:
    """Attempts at /oauth/token per client id and per address, on the limiter's counters."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self._strategy = FixedWindowRateLimiter(storage)
        self._per_client = parse(settings.token_rate_limit_client)
        self._per_address = parse(settings.token_rate_limit_address)
        self._redis = bool(settings.redis_url)

    def retry_after(self, client_id: str | None, address: str | None) -> int | None:
        """Spend one attempt of each budget; seconds to wait when one is exhausted, else None."""
        checks = [(self._per_address, "oauth-addr", address or "-")]
        if client_id:
            checks.append((self._per_client, "oauth-client", client_id[:80]))
        wait = 0
        for item, scope, ident in checks:
            if not self._strategy.hit(item, scope, ident):
                reset, _ = self._strategy.get_window_stats(item, scope, ident)
                wait = max(wait, retry_after_seconds(reset, margin=0.5 if self._redis else 0))
        return wait or None
