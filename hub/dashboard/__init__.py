"""Server-rendered pages for the people of an account: credentials, webhooks, integrations."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask


def init_dashboard(app: Flask) -> None:
    """Sessions (Flask-Login), CSRF (Flask-WTF), cookie flags, and the dashboard's pages."""
    from hub.dashboard import views  # noqa: F401  (registers the routes on the blueprint)
    from hub.dashboard.blueprint import bp, csrf
    from hub.dashboard.session import init_login

    secure = app.config["IVALID"].public_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_NAME="ivalid_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        # The API is authenticated by bearer tokens, not cookies: only the dashboard's own
        # forms (and the pages that reuse its sign-in) are checked, by csrf.protect().
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    init_login(app)
    app.register_blueprint(bp)
