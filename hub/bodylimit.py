"""Request bodies: the size limit holds for chunked bodies too, and JSON nesting is bounded.

Werkzeug applies `MAX_CONTENT_LENGTH` to a body without Content-Length (chunked) by cutting the
stream at the limit and handing the view what it read: a truncated body was processed. Here a
chunked body is read up to one byte past the limit before the view runs, and refused with 413.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, current_app, request

from hub.errors import ApiError

# Deeper than any request body of the API (a mapping override is the deepest, ~6 levels).
MAX_JSON_DEPTH = 64


def too_large(limit: int) -> ApiError:
    """413 PAYLOAD_TOO_LARGE, saying the limit."""
    return ApiError(413, "PAYLOAD_TOO_LARGE", {"max_bytes": limit})


def init_body_limit(app: Flask) -> None:
    """Refuse a chunked body over `MAX_CONTENT_LENGTH` (413) instead of cutting it."""

    @app.before_request
    def _bounded_chunked_body() -> None:
        environ = request.environ
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit is None or environ.get("CONTENT_LENGTH"):
            return  # a declared length is checked by werkzeug itself
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return
        stream = environ["wsgi.input"]
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = stream.read(min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_large(int(limit))
        body = b"".join(chunks)
        # The body is whole and within the limit: hand it on as a plain sized body.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # werkzeug ignores a length beside it


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` (parsed JSON) nests arrays/objects deeper than `limit` (iterative)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
