"""One blueprint per resource; each view parses, calls one service, and serializes."""

from __future__ import annotations

import importlib
from types import ModuleType

from flask import Flask

# Every module here defines `bp`; importing one registers its routes in routing.ENDPOINTS.
BLUEPRINT_MODULES = (
    "oauth",
    "health",
    "docs",
    "customers",
    "services",
    "teams",
    "appointments",
    "availability",
    "me",
    "webhooks",
    "events",
    "integrations",
    "hooks",
    "payments",
    "credentials",
)


def blueprint_modules() -> list[ModuleType]:
    """Import (once) and return every blueprint module of the API."""
    return [importlib.import_module(f"hub.api.{name}") for name in BLUEPRINT_MODULES]


def register_api(app: Flask) -> None:
    """Register every blueprint of the API, the OAuth endpoints and the docs."""
    for module in blueprint_modules():
        app.register_blueprint(module.bp)
