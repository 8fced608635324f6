"""iValid Hub: the v2 API, its OAuth server and the integration sync hub."""

from __future__ import annotations

from typing import Any

from flask import Flask


class HubFlask(Flask):
    """Flask with the fast JSON provider."""

    from hub.jsonio import OrjsonProvider as json_provider_class


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application: the only place that wires things together."""
    from hub import db
    from hub.api import register_api
    from hub.auth.server import init_oauth
    from hub.bodylimit import init_body_limit
    from hub.config import Settings
    from hub.dashboard import init_dashboard
    from hub.errors import register_error_handlers
    from hub.ratelimit import init_rate_limit
    from hub.requestctx import init_request_context

    settings = Settings.from_env(config)
    app = HubFlask(__name__, instance_path=str(settings.data_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        IVALID=settings,
    )
    app.url_map.strict_slashes = False
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the hops the operator declared are trusted: the client address (the token
        # throttle's key) is the one the nearest trusted proxy saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]
    db.init_app(app, settings)
    init_request_context(app)
    init_body_limit(app)
    register_error_handlers(app)
    init_oauth(app)
    init_rate_limit(app, settings)
    register_api(app)
    init_dashboard(app)
    return app
