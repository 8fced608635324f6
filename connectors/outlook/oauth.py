"""The `OAuth2Client` face of msal, so the hub's generic connect flow works for Outlook."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from connectors.base import (
    AuthError,
    AuthorizationRequest,
    InvalidRequest,
    Manifest,
    NotSupported,
    OAuth2Client,
    OAuthToken,
)

from . import const
from .auth import MsalAuth
from .authority import RedirectingSession

# Flow keys needed to finish the code flow; auth_uri is left out of the stored blob.
_FLOW_KEYS = ("state", "redirect_uri", "scope", "code_verifier", "nonce", "claims_challenge")
_DEFAULT_TIMEOUT = 30.0  # msal's HTTP timeout when it builds its own session
# A directory id (GUID) or a verified domain name: what admin consent's `tenant` may be.
_TENANT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,253}")


def encode_flow(flow: Mapping[str, Any]) -> str:
    """The part of an msal auth code flow needed at the callback, as one opaque string."""
    kept = {key: flow.get(key) for key in _FLOW_KEYS}
    raw = json.dumps(kept, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_flow(blob: str) -> dict[str, Any]:
    """The flow `encode_flow` packed (AuthError if the blob was tampered with or truncated)."""
    try:
        padded = blob + "=" * (-len(blob) % 4)
        flow = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error) as err:
        raise AuthError("unreadable authorization flow", reason="invalid_flow") from err
    if not isinstance(flow, dict) or not flow.get("state") or not flow.get("code_verifier"):
        raise AuthError("incomplete authorization flow", reason="invalid_flow")
    return flow


class OutlookOAuthClient(OAuth2Client):
    """`OAuth2Client` over msal, so the hub's generic connect flow works for Outlook.

    `authorization_url()` returns the consent URL; its `code_verifier` field carries the msal
    flow (state, PKCE verifier, nonce) as an opaque string to keep in the user's session until
    the callback, where `exchange_code(code, that_string)` finishes the flow. The callback
    carries code and state in its query (default), or as a form POST with
    `response_mode="form_post"`. The tokens also
    land in `auth`'s cache: store `auth.dump_cache()` with the connection. Microsoft offers no
    token revocation endpoint for this flow: `revoke()` raises NotSupported.
    """

    def __init__(
        self,
        manifest: Manifest,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
        authority: str | None = None,
        tenant: str | None = None,
        http_client: Any = None,
        cache: str | None = None,
        instance_discovery: bool | None = None,
        response_mode: str = const.DEFAULT_RESPONSE_MODE,
        permissions: str = const.PERMISSIONS_DELEGATED,
    ) -> None:
        """Configure the app registration and the msal wrapper behind it."""
        super().__init__(manifest, client_id, client_secret, redirect_uri, timeout=timeout)
        self.permissions = permissions
        self._timeout = timeout
        self._instance_discovery = instance_discovery
        self.auth = MsalAuth(
            client_id,
            client_secret,
            authority=authority,
            tenant=tenant,
            redirect_uri=redirect_uri,
            scopes=manifest.scopes,
            http_client=http_client,
            cache=cache,
            instance_discovery=instance_discovery,
            timeout=timeout,
            response_mode=response_mode,
            permissions=permissions,
        )

    def authorization_url(
        self, state: str | None = None, code_verifier: str | None = None, **extra: str
    ) -> AuthorizationRequest:
        """Consent URL with msal's PKCE/nonce; `code_verifier` is ignored (msal makes its own)."""
        allowed = {"login_hint", "prompt", "domain_hint", "response_mode"}
        unknown = set(extra) - allowed
        if unknown:
            raise InvalidRequest(f"unsupported authorization parameter(s): {sorted(unknown)}")
        if self.permissions == const.PERMISSIONS_APPLICATION:
            # Application permissions: an admin consents for the whole tenant; no code comes
            # back, only admin_consent=True and the tenant (see `exchange_callback`).
            state = state or secrets.token_urlsafe(32)
            url = self.auth.admin_consent_url(state, self.redirect_uri)
            if isinstance(self.auth.http_client, RedirectingSession):
                url = self.auth.http_client.rewrite(url)
            blob = json.dumps({"admin_consent": True, "state": state}).encode("utf-8")
            verifier = base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")
            return AuthorizationRequest(url=url, state=state, code_verifier=verifier)
        flow = self.auth.initiate(state, **extra)
        url = str(flow["auth_uri"])
        if isinstance(self.auth.http_client, RedirectingSession):
            url = self.auth.http_client.rewrite(url)  # the browser must reach the same fake
        return AuthorizationRequest(
            url=url, state=str(flow["state"]), code_verifier=encode_flow(flow)
        )

    def exchange_code(
        self,
        code: str,
        code_verifier: str,
        *,
        auth_response: Mapping[str, Any] | None = None,
    ) -> OAuthToken:
        """Finish the flow packed in `code_verifier` with the callback's code (and query)."""
        flow = decode_flow(code_verifier)
        response = dict(auth_response or {})
        response.setdefault("code", code)
        response.setdefault("state", flow["state"])
        return self.auth.complete(flow, response)

    def exchange_callback(self, args: Mapping[str, str], code_verifier: str) -> OAuthToken | None:
        """Finish an admin consent (application permissions); None: a code flow, use the code.

        The callback says `admin_consent=True` and which `tenant` consented; the app then
        gets its own token in that tenant through msal's client credentials grant (which
        also proves the consent: a tenant that did not consent yields no usable token).
        """
        if self.permissions != const.PERMISSIONS_APPLICATION:
            return None
        try:
            padded = code_verifier + "=" * (-len(code_verifier) % 4)
            flow = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, binascii.Error) as err:
            raise AuthError("unreadable admin consent state", reason="invalid_flow") from err
        if not isinstance(flow, dict) or not flow.get("admin_consent"):
            raise AuthError("this callback does not finish an admin consent", reason="invalid_flow")
        if args.get("state") != flow.get("state"):
            raise AuthError("admin consent state mismatch", reason="invalid_auth_response")
        if str(args.get("admin_consent", "")).lower() != "true":
            raise AuthError("the administrator did not consent", reason="consent_required")
        tenant = str(args.get("tenant") or "")
        if not _TENANT.fullmatch(tenant):
            raise AuthError("the admin consent named no valid tenant", reason="invalid_tenant")
        base = self.auth.authority.rstrip("/").rpartition("/")[0]
        self.auth = MsalAuth(
            self.client_id,
            self.client_secret,
            authority=f"{base}/{tenant}",
            http_client=self.auth.http_client,
            instance_discovery=self._instance_discovery,
            timeout=self._timeout,
            permissions=const.PERMISSIONS_APPLICATION,
        )
        return self.auth.acquire_token_for_client()

    def refresh(self, refresh_token: str) -> OAuthToken:
        """New tokens from a refresh token (Entra rotates it: keep the one returned)."""
        return self.auth.acquire_token_by_refresh_token(refresh_token)

    def revoke(self, token: str) -> None:
        """Not offered by the Microsoft identity platform; disconnect with `auth.sign_out()`."""
        raise NotSupported("the Microsoft identity platform has no token revocation endpoint")
