"""Events: the explorer (type, date, payload) and the sandbox's reset."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.wrappers import Response

from hub.dashboard.blueprint import bp
from hub.dashboard.i18n import t
from hub.dashboard.session import principal, require
from hub.db import get_db, get_session
from hub.schemas.events import EventQuery
from hub.services import events as service
from hub.services import sandbox
from hub.services.events import SUBSCRIBABLE
from hub.timeutil import iso, utcnow


@bp.get("/<env>/events")
@require("events:view")
def events(env: str) -> str:
    """The environment's events of the last 30 days, newest first, filtered."""
    p = principal(env)
    args = request.args
    try:
        query = EventQuery(
            page=int(args.get("page") or 1),
            per_page=25,
            type=args.get("type") or None,
            date_from=args.get("date_from") or None,
            date_to=args.get("date_to") or None,
        )
    except (ValidationError, ValueError):
        query = EventQuery(per_page=25)
    page = service.list_(get_session(), p, query)
    context: dict[str, Any] = {"env": env, "page": page, "types": SUBSCRIBABLE, "filters": args}
    if env == "sandbox":
        last, upcoming = sandbox.schedule(get_session(), p.account_id)
        context.update(last_reset=iso(last), next_reset=iso(upcoming))
    return render_template("dashboard/events.html", **context)


@bp.post("/sandbox/reset")
@require("sandbox:reset")
def reset_sandbox() -> Response:
    """Put the sandbox back to the demo data now (production is never touched)."""
    done = sandbox.reset(get_db(), current_user.account_id, utcnow(), force=True)
    flash(
        t("Sandbox réinitialisée.", "Sandbox reset.")
        if done
        else t("Une réinitialisation est déjà en cours.", "A reset is already running."),
        "ok",
    )
    return redirect(url_for("dashboard.events", env="sandbox"))
