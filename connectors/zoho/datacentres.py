"""Zoho's data centres: which accounts server and API domain belong to each location.

Zoho hosts each organisation in one data centre. The consent redirect names it (`location`,
`accounts-server`) and the token answer names its API domain (`api_domain`); every later call of
that connection goes there. Those values arrive through the user's browser, so they are checked
against this table and never trusted as given: an accounts server outside Zoho's list would
receive our client secret and the user's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from connectors.base import AuthError


@dataclass(frozen=True)
class DataCentre:
    """One Zoho data centre: its location code, accounts server and API domain."""

    location: str
    accounts_server: str
    api_domain: str

    @property
    def authorize_url(self) -> str:
        """The consent page."""
        return f"{self.accounts_server}/oauth/v2/auth"

    @property
    def token_url(self) -> str:
        """Where codes and refresh tokens are exchanged."""
        return f"{self.accounts_server}/oauth/v2/token"

    @property
    def revoke_url(self) -> str:
        """Where a refresh token is revoked."""
        return f"{self.accounts_server}/oauth/v2/token/revoke"


# From Zoho's "Multi DC support" pages (Zoho Accounts and Zoho CRM v8).
ZOHO_DATA_CENTRES: Final = {
    dc.location: dc
    for dc in (
        DataCentre("us", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        DataCentre("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        DataCentre("in", "https://accounts.zoho.in", "https://www.zohoapis.in"),
        DataCentre("au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        DataCentre("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        DataCentre("cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
        DataCentre("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        DataCentre("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    )
}
CONSENT_LOCATION: Final = "us"  # Zoho's multi-DC flow starts every consent at accounts.zoho.com


class DataCentres:
    """A table of trusted data centres (Zoho's own by default; a fake's in tests)."""

    def __init__(self, centres: Mapping[str, DataCentre] | None = None) -> None:
        """Trust exactly `centres` (default: Zoho's list)."""
        self._centres = dict(centres or ZOHO_DATA_CENTRES)
        if CONSENT_LOCATION not in self._centres:
            raise ValueError("the table needs the US data centre, where consent starts")

    @classmethod
    def from_config(cls, table: Mapping[str, Mapping[str, Any]] | None) -> DataCentres:
        """Build from `{location: {"accounts_server", "api_domain"}}` (settings, tests)."""
        if not table:
            return cls()
        return cls(
            {
                loc: DataCentre(loc, _base(v["accounts_server"]), _base(v["api_domain"]))
                for loc, v in table.items()
            }
        )

    @property
    def consent(self) -> DataCentre:
        """The data centre every consent starts at."""
        return self._centres[CONSENT_LOCATION]

    def get(self, location: str) -> DataCentre:
        """The data centre at `location`, or AuthError if Zoho has none there."""
        try:
            return self._centres[location]
        except KeyError:
            raise AuthError(
                f"unknown Zoho data centre {location!r}", reason="unknown_data_centre"
            ) from None

    def from_callback(self, location: str | None, accounts_server: str | None) -> DataCentre:
        """The data centre a consent redirect names; both values must agree with the table."""
        centre = self.consent if not location else self.get(location)
        if accounts_server is not None and _base(accounts_server) != centre.accounts_server:
            raise AuthError(
                f"accounts server {accounts_server!r} is not Zoho's for {centre.location!r}",
                reason="untrusted_accounts_server",
            )
        return centre

    def check_api_domain(self, centre: DataCentre, api_domain: str | None) -> str:
        """The API domain a token answer names, if it is that data centre's."""
        if api_domain is None:
            return centre.api_domain
        if _base(api_domain) != centre.api_domain:
            raise AuthError(
                f"API domain {api_domain!r} is not Zoho's for {centre.location!r}",
                reason="untrusted_api_domain",
            )
        return centre.api_domain


def _base(url: str) -> str:
    return str(url).strip().rstrip("/")
