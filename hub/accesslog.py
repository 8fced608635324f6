"""Access logs without secrets: query-string values are redacted before a line is written.

OAuth redirects carry one-time secrets in the URL (`/oauth/callback/{name}?code=…&state=…`),
and a referer can repeat them. Log lines keep the path and the parameter names, never a value.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from gunicorn.glogging import Logger

REDACTED = "REDACTED"
_URL_IN_LINE = re.compile(r"(?P<url>/\S*\?\S*)")


def redact_query(query: str) -> str:
    """`query` with every value replaced by REDACTED (the names are kept)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='')}={REDACTED}" for k, _v in pairs)


def redact_url(url: str) -> str:
    """`url` (absolute or a request target) with its query string redacted."""
    if "?" not in url:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=redact_query(parts.query)))


class RedactingLogger(Logger):
    """Gunicorn's logger, with the request line, query and referer atoms redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        """The access-log atoms, with no query-string value left in them."""
        atoms = super().atoms(resp, req, environ, request_time)
        method, protocol = environ["REQUEST_METHOD"], environ["SERVER_PROTOCOL"]
        atoms["r"] = f"{method} {redact_url(environ.get('RAW_URI', ''))} {protocol}"
        atoms["q"] = redact_query(environ.get("QUERY_STRING", ""))
        atoms["f"] = redact_url(environ.get("HTTP_REFERER", "-"))
        atoms["{referer}i"] = atoms["f"]
        for key in ("{raw_uri}e", "{query_string}e", "{http_referer}e"):
            atoms.pop(key, None)
        return atoms


class RedactingFilter(logging.Filter):
    """For the development server (werkzeug): redacts query strings in its request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments; never drops a record."""
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _URL_IN_LINE.sub(lambda m: redact_url(m.group("url")), a)
                if isinstance(a, str)
                else a
                for a in record.args
            )
        return True


def install_dev_filter() -> None:
    """Redact werkzeug's request log lines (`ivalid serve --dev`)."""
    logging.getLogger("werkzeug").addFilter(RedactingFilter())
