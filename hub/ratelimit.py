"""Per-credential rate limit (Flask-Limiter); counters in Redis when several processes serve."""

from __future__ import annotations

import math
import time

from flask import Flask, g, request

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


def init_rate_limit(app: Flask, settings: Settings) -> None:
    """Limit every /v2 route to `IVALID_RATE_LIMIT` per credential, with X-RateLimit-* headers."""
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
        default_limits=[settings.rate_limit],
        default_limits_exempt_when=lambda: not request.path.startswith("/v2/"),
        headers_enabled=True,
        header_name_mapping={
            HeaderNames.LIMIT: "X-RateLimit-Limit",
            HeaderNames.REMAINING: "X-RateLimit-Remaining",
            HeaderNames.RESET: "X-RateLimit-Reset",
            HeaderNames.RETRY_AFTER: "Retry-After",
        },
        storage_uri=settings.redis_url or "memory://",
        strategy="fixed-window",
        key_prefix="ivalid-rl",
        swallow_errors=False,
    )
    app.extensions["ivalid_limiter"] = limiter
