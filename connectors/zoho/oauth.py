"""Zoho Accounts OAuth 2.0 with requests-oauthlib: consent, code exchange per data centre,
refresh and revocation.

Consent starts at the US accounts server (Zoho's multi-DC flow); the redirect names the user's
data centre, whose accounts server then takes the code, mints access tokens and revokes. Zoho
answers OAuth errors with its own codes (`invalid_code` for a used, foreign or revoked code or
refresh token), and blocks a refresh token that minted ten access tokens in ten minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from connectors.base import AuthError, InvalidRequest, OAuthToken, RateLimited, TransientError
from connectors.zoho import const
from connectors.zoho.datacentres import DataCentre, DataCentres

_AUTH_ERRORS = {"invalid_code", "invalid_client", "invalid_grant", "access_denied"}


@dataclass(frozen=True)
class ZohoGrant:
    """A token set and the data centre it belongs to (every later call goes there)."""

    token: OAuthToken
    centre: DataCentre

    @property
    def api_domain(self) -> str:
        """Where this connection's API calls go."""
        return self.centre.api_domain

    def to_config(self) -> dict[str, str]:
        """What a connection persists besides its tokens: its hosts."""
        return {
            "location": self.centre.location,
            "accounts_server": self.centre.accounts_server,
            "api_domain": self.centre.api_domain,
        }


class ZohoOAuth:
    """One registered Zoho client (server-based or self client, Multi-DC enabled)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        data_centres: DataCentres | None = None,
        timeout: float = const.TIMEOUT,
    ) -> None:
        """Configure the client; `data_centres` is the table of hosts it trusts."""
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.data_centres = data_centres or DataCentres()
        self.timeout = timeout

    def authorization_url(self, state: str | None = None) -> tuple[str, str]:
        """The consent URL (at the US accounts server) and the `state` to keep until callback."""
        state = state or secrets.token_urlsafe(32)
        session = OAuth2Session(
            self.client_id, redirect_uri=self.redirect_uri, scope=",".join(const.SCOPES)
        )
        url, _ = session.authorization_url(
            self.data_centres.consent.authorize_url, state=state, **const.AUTHORIZE_PARAMS
        )
        return url, state

    def exchange(self, callback: Mapping[str, str], expected_state: str) -> ZohoGrant:
        """Trade the callback's code at the user's data centre, after checking what it says."""
        if not expected_state or callback.get("state") != expected_state:
            raise AuthError("state mismatch", reason="state_mismatch")
        if callback.get("error"):
            raise AuthError(str(callback["error"]), reason=str(callback["error"]))
        code = callback.get("code")
        if not code:
            raise InvalidRequest("the callback has no code", reason="missing_code")
        centre = self.data_centres.from_callback(
            callback.get("location"), callback.get("accounts-server")
        )
        data = self._token_call(
            centre,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
            },
        )
        if not data.get("refresh_token"):
            raise AuthError(
                "Zoho sent no refresh token (consent without access_type=offline?)",
                reason="no_refresh_token",
            )
        self.data_centres.check_api_domain(centre, data.get("api_domain"))
        return ZohoGrant(OAuthToken.from_response(data), centre)

    def refresh(self, centre: DataCentre, refresh_token: str) -> OAuthToken:
        """Mint an access token at the connection's accounts server; the refresh token stays."""
        data = self._token_call(
            centre, {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        self.data_centres.check_api_domain(centre, data.get("api_domain"))
        data.setdefault("refresh_token", refresh_token)
        return OAuthToken.from_response(data)

    def revoke(self, centre: DataCentre, refresh_token: str) -> None:
        """Revoke a refresh token (and every access token it minted); unknown counts as done."""
        try:
            resp = requests.post(
                centre.revoke_url, params={"token": refresh_token}, timeout=self.timeout
            )
        except requests.RequestException as err:
            raise TransientError(f"token revocation failed: {err}") from err
        if resp.status_code >= 500:
            raise TransientError(f"revocation answered {resp.status_code}", status=resp.status_code)
        if resp.status_code == 400:
            return  # Zoho: "the token passed in the request is invalid" - nothing left to revoke
        if resp.status_code >= 400:
            raise InvalidRequest(f"revocation refused: {resp.text[:200]}", status=resp.status_code)

    def _token_call(self, centre: DataCentre, params: dict[str, str]) -> dict[str, Any]:
        """POST to the data centre's token endpoint and map Zoho's answers to our errors."""
        session = OAuth2Session(self.client_id, redirect_uri=self.redirect_uri)
        try:
            if params["grant_type"] == "authorization_code":
                data = session.fetch_token(
                    centre.token_url,
                    code=params["code"],
                    client_secret=self.client_secret,
                    include_client_id=True,
                    timeout=self.timeout,
                )
            else:
                data = session.refresh_token(
                    centre.token_url,
                    refresh_token=params["refresh_token"],
                    timeout=self.timeout,
                    client_id=self.client_id,
                    client_secret=self.client_secret,
                )
        except OAuth2Error as err:
            raise _map_oauth_error(err.error, err.description, err.status_code) from err
        except requests.RequestException as err:
            raise TransientError(f"Zoho accounts unreachable: {err}") from err
        except ValueError as err:
            raise TransientError(f"Zoho accounts answered no JSON: {err}") from err
        return dict(data)


def _map_oauth_error(error: str, description: str | None, status: int | None) -> Exception:
    """Zoho's token endpoint errors as connector errors."""
    text = f"{error}: {description}" if description else error
    if error == "Access Denied" and "too many requests" in (description or "").lower():
        # Ten access tokens per refresh token in ten minutes: wait the window out.
        return RateLimited(
            text, status=status, reason="token_mint_limit", retry_after=const.MINT_WINDOW
        )
    if error in _AUTH_ERRORS:
        return AuthError(text, status=status, reason=error)
    return InvalidRequest(text, status=status, reason=error)
