"""Per-request context: the X-Request-Id every response carries."""

from __future__ import annotations

import re

from flask import Flask, Response, g, request

from hub.ids import new_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def init_request_context(app: Flask) -> None:
    """Give each request an id (the client's if it sent a sane one) and echo it back."""

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else new_id("req", 16)

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response
