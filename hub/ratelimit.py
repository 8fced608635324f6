"""Per-credential rate limit (Flask-Limiter); counters in Redis when several processes serve."""

from __future__ import annotations

from flask import Flask, request

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


def init_rate_limit(app: Flask, settings: Settings) -> None:
    """Limit every /v2 route to `IVALID_RATE_LIMIT` per credential, with X-RateLimit-* headers."""
    from flask import Response
    from flask_limiter import Limiter
    from flask_limiter.constants import HeaderNames

    # Registered before the limiter's own hook, so it runs after it: Retry-After belongs to
    # 429 answers only, not to every response.
    @app.after_request
    def _retry_after_only_when_limited(response: Response) -> Response:
        if response.status_code not in (429, 503):
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
