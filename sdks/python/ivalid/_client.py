"""`Client`: the entry point, holding credentials and one service per API resource."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from ._auth import ApiKeyCredentials, ClientCredentials, Credentials
from ._http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HTTPClient
from .resources import (
    Appointments,
    Availability,
    Customers,
    Events,
    Integrations,
    Services,
    Teams,
    Technicians,
    Webhooks,
)

ENVIRONMENTS: Mapping[str, str] = {
    "production": "https://api.ivalid.fr/v2",
    "sandbox": "https://sandbox.api.ivalid.fr/v2",
}


class Client:
    """A client of the iValid API v2.

    ```python
    client = Client(api_key="...", environment="sandbox")
    for appointment in client.appointments.list(status="confirmed"):
        print(appointment.id, appointment.scheduled_at)
    ```

    Credentials: an API key (sent as the bearer token), or OAuth 2.0 `client_id` and
    `client_secret`, for which the client fetches a token from `/oauth/token`, caches it and
    renews it before it expires. Without arguments, `IVALID_API_KEY`, then `IVALID_CLIENT_ID` and
    `IVALID_CLIENT_SECRET`, are read from the environment.

    The server: `environment` picks production or sandbox; `base_url`, or else the
    `IVALID_BASE_URL` environment variable, overrides it (a self-hosted hub, e.g.
    `http://127.0.0.1:8000/v2`).
    """

    appointments: Appointments
    customers: Customers
    services: Services
    teams: Teams
    technicians: Technicians
    availability: Availability
    webhooks: Webhooks
    events: Events
    integrations: Integrations

    def __init__(
        self,
        api_key: str | None = None,
        environment: str = "production",
        base_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        *,
        scope: str | None = None,
        token_url: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if environment not in ENVIRONMENTS:
            raise ValueError(
                f"environment must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
            )
        self.environment = environment
        self.base_url = (
            base_url or os.environ.get("IVALID_BASE_URL") or ENVIRONMENTS[environment]
        ).rstrip("/")
        self.token_url = token_url or token_url_for(self.base_url)
        self._http = HTTPClient(
            base_url=self.base_url, timeout=timeout, max_retries=max_retries, session=session
        )
        self._http.credentials = self._credentials(
            api_key, client_id, client_secret, scope, timeout
        )

        self.appointments = Appointments(self._http)
        self.customers = Customers(self._http)
        self.services = Services(self._http)
        self.teams = Teams(self._http)
        self.technicians = Technicians(self._http)
        self.availability = Availability(self._http)
        self.webhooks = Webhooks(self._http)
        self.events = Events(self._http)
        self.integrations = Integrations(self._http)

    def _credentials(
        self,
        api_key: str | None,
        client_id: str | None,
        client_secret: str | None,
        scope: str | None,
        timeout: float,
    ) -> Credentials:
        if not api_key and not (client_id and client_secret):
            api_key = os.environ.get("IVALID_API_KEY")
            client_id = client_id or os.environ.get("IVALID_CLIENT_ID")
            client_secret = client_secret or os.environ.get("IVALID_CLIENT_SECRET")
        if api_key:
            return ApiKeyCredentials(api_key)
        if client_id and client_secret:
            return ClientCredentials(
                token_url=self.token_url,
                client_id=client_id,
                client_secret=client_secret,
                scope=scope,
                post=functools.partial(self._http.send, "POST"),
                timeout=timeout,
            )
        raise ValueError(
            "No credentials: pass api_key=..., or client_id=... and client_secret=... "
            "(or set IVALID_API_KEY, or IVALID_CLIENT_ID and IVALID_CLIENT_SECRET)"
        )

    @property
    def max_retries(self) -> int:
        """How many times a failed request that is safe to repeat is sent again."""
        return self._http.max_retries

    @property
    def timeout(self) -> float:
        """Seconds to wait for each response."""
        return self._http.timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call any API path (relative to the base URL) with the client's auth and retries.

        For endpoints or parameters this SDK version does not know yet; returns decoded JSON.
        """
        return self._http.request(
            method, path, params=params, json_body=json, idempotency_key=idempotency_key
        )

    def close(self) -> None:
        """Release pooled connections; the client is unusable afterwards."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ivalid.Client {self.base_url}>"


def token_url_for(base_url: str) -> str:
    """The OAuth token endpoint of an API base URL: `https://host/v2` → `https://host/oauth/token`."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    # Any other layout is unknown: the token endpoint is then at the server root.
    path = path[: -len("/v2")] if path.endswith("/v2") else ""
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/oauth/token", "", ""))
