"""Which Microsoft identity authority msal talks to, and how a loopback fake is reached."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.base import InvalidRequest

from . import const

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class RedirectingSession(requests.Session):
    """A requests session that sends calls for some origins to others (msal's http_client).

    msal only accepts an https authority, so an identity endpoint on plain-http loopback (the
    test fake) is reached by keeping the real authority and rewriting its origin here. Only
    loopback targets are accepted: this never sends credentials elsewhere in production.
    """

    def __init__(self, origins: Mapping[str, str]) -> None:
        """`origins` maps "https://login.microsoftonline.com" to "http://127.0.0.1:PORT"."""
        super().__init__()
        for target in origins.values():
            host = urlsplit(target).hostname or ""
            if host not in _LOOPBACK_HOSTS:
                raise InvalidRequest(f"refusing to redirect identity calls to {target}")
        self.origins = {k.rstrip("/"): v.rstrip("/") for k, v in origins.items()}

    def rewrite(self, url: str) -> str:
        """`url` with a mapped origin replaced."""
        for source, target in self.origins.items():
            if url == source or url.startswith(source + "/"):
                return target + url[len(source) :]
        return url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send the request to the rewritten URL."""
        text = url.decode() if isinstance(url, bytes) else url
        return super().request(method, self.rewrite(text), *args, **kwargs)


def endpoints_to_authority(
    token_url: str | None, tenant: str | None = None
) -> tuple[str | None, RedirectingSession | None]:
    """(authority, http_client) for a configured token endpoint URL.

    "https://login.microsoftonline.us/<tenant>/oauth2/v2.0/token" selects that cloud and
    tenant (`tenant`, when given, replaces the URL's: a connection's own directory); a
    plain-http loopback URL (a fake) keeps the public authority and redirects msal's calls
    there. None: the defaults.
    """
    if not token_url:
        return None, None
    parts = urlsplit(token_url)
    tenant = tenant or next((p for p in parts.path.split("/") if p), const.DEFAULT_TENANT)
    if parts.scheme == "https":
        return f"https://{parts.netloc}/{tenant}", None
    origin = f"{parts.scheme}://{parts.netloc}"
    return authority_url(tenant), RedirectingSession({const.AUTHORITY_HOST: origin})


def authority_url(tenant: str | None = None, host: str = const.AUTHORITY_HOST) -> str:
    """ "https://login.microsoftonline.com/<tenant>" ("common" when no tenant is configured)."""
    return f"{host.rstrip('/')}/{tenant or const.DEFAULT_TENANT}"
