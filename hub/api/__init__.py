"""One blueprint per resource; each view parses, calls one service, and serializes."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register every blueprint of the API, the OAuth endpoints and the docs."""
    from hub.api import (
        appointments,
        customers,
        docs,
        health,
        oauth,
        services,
        teams,
    )

    for module in (oauth, health, docs, customers, services, teams, appointments):
        app.register_blueprint(module.bp)
