"""/healthz (the process answers) and /readyz (the database answers)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.db import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: no dependency is checked."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: the database must answer."""
    try:
        with get_db().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        resp = jsonify({"status": "unavailable", "checks": {"database": "down"}})
        resp.status_code = 503
        return resp
    return jsonify({"status": "ok", "checks": {"database": "ok"}})
