"""Client authentication at the OAuth endpoints: who claims to call, and one answer for failure."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from flask import Request, Response

# The same bytes whether the client id is unknown, revoked, or its secret wrong: an attacker
# learns nothing about which client ids exist.
INVALID_CLIENT_BODY = {
    "error": "invalid_client",
    "error_description": "client authentication failed",
}


def claimed_client_id(request: Request) -> str | None:
    """The client id a token request names (HTTP Basic, form or JSON), unverified."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return unquote(decoded.partition(":")[0]) or None
    claimed: Any = request.form.get("client_id")
    if claimed is None and request.is_json:
        body = request.get_json(silent=True)
        claimed = body.get("client_id") if isinstance(body, dict) else None
    return claimed if isinstance(claimed, str) and claimed else None


def uniform_client_error(resp: Response) -> Response:
    """Any `invalid_client` answer rewritten to one fixed 401, whatever Authlib's reason was."""
    if resp.status_code not in (400, 401):
        return resp
    try:
        body = json.loads(resp.get_data())
    except ValueError:
        return resp
    if not isinstance(body, dict) or body.get("error") != "invalid_client":
        return resp
    resp.set_data(json.dumps(INVALID_CLIENT_BODY))
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Basic realm="ivalid"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
