"""The OAuth 2.0 authorization server (Authlib): client credentials, authorization code with
PKCE (S256) for registered apps, refresh, revocation."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app
from flask import request as flask_request
from joserfc import jwt
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from hub import crypto
from hub.auth import grants as grant_store
from hub.auth.cache import TTLCache
from hub.auth.keys import KeyStore
from hub.auth.scopes import ALL_SCOPES, format_scopes, grantable_scopes, parse_scopes
from hub.auth.secrets import check_secret, generate_secret, hash_secret
from hub.db import get_db, get_session, transaction
from hub.ids import new_id
from hub.models import AccountUser, OAuthClient, OAuthCode, OAuthGrant, OAuthToken
from hub.timeutil import utcnow

AUDIENCE = "ivalid-api"
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class Client(ClientMixin):
    """Authlib's view of an OAuthClient row."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.scopes = parse_scopes(row.scopes)

    def get_client_id(self) -> str:
        return self.row.id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = parse_scopes(scope)
        if not requested:
            return format_scopes(self.scopes)
        if not requested <= self.scopes:
            raise InvalidScopeError(
                description="scope not granted to this client: "
                + " ".join(sorted(requested - self.scopes))
            )
        return format_scopes(requested)

    @property
    def is_app(self) -> bool:
        return self.row.kind == "app"

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match with a registered URI (no prefix, no pattern: RFC 9700 2.1)."""
        return self.is_app and redirect_uri in (self.row.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return check_secret(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return self.is_app and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if self.is_app:
            return grant_type in ("authorization_code", "refresh_token")
        return grant_type in ("client_credentials", "refresh_token")


class StoredToken(TokenMixin):
    """Authlib's view of an OAuthToken row (`by_refresh`: found by its refresh token)."""

    def __init__(self, row: OAuthToken, *, by_refresh: bool = False) -> None:
        self.row = row
        self.by_refresh = by_refresh

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.access_expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        expires = self.row.refresh_expires_at or self.row.access_expires_at
        return expires <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked


class ServiceIdentity:
    """The "user" of a machine-to-machine token: the client itself."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def get_user_id(self) -> str:
        return self.client_id


class GrantIdentity:
    """The "user" of an app's token: the account user who granted it, through one grant."""

    def __init__(self, grant: OAuthGrant) -> None:
        self.grant_id = grant.id
        self.user_id = grant.user_id
        self.account_id = grant.account_id
        self.environment = grant.environment

    def get_user_id(self) -> str:
        return self.user_id


class ConsentUser:
    """Who allows at the consent page: an account user (the dashboard's signed-in user)."""

    def __init__(self, user_id: str, account_id: str, role: str) -> None:
        self.user_id = user_id
        self.account_id = account_id
        self.role = role

    def get_user_id(self) -> str:
        return self.user_id


class StoredCode(AuthorizationCodeMixin):
    """Authlib's view of an OAuthCode row."""

    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class JsonAwareRequest(FlaskOAuth2Request):
    """An OAuth request whose parameters come from the form or, as the spec shows, a JSON body."""

    def __init__(self, request: Any) -> None:
        super().__init__(request)
        merged: MultiDict[str, Any] = MultiDict(request.form)
        if request.is_json:
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                for k, v in body.items():
                    if isinstance(v, str | int | float):
                        merged.setdefault(k, str(v))
        self._merged = merged
        self.payload._request = _MergedValues(merged)

    @property
    def form(self) -> MultiDict[str, Any]:
        return self._merged


class _MergedValues:
    """Quacks like a Flask request for FlaskOAuth2Payload (it only reads `.values`)."""

    def __init__(self, values: MultiDict[str, Any]) -> None:
        self.values = values


class HubAuthorizationServer(AuthorizationServer):
    """Authlib's Flask server, reading JSON bodies too."""

    def create_oauth2_request(self, request: Any) -> FlaskOAuth2Request:
        if flask_request.path == "/oauth/authorize":  # query string (and the consent form)
            return FlaskOAuth2Request(flask_request)
        return JsonAwareRequest(flask_request)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """client_credentials that also issues a refresh token, as the spec's response shows."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client = self.request.client
        scope = client.get_allowed_scope(self.request.payload.scope)
        token = self.generate_token(
            user=ServiceIdentity(client.get_client_id()), scope=scope, include_refresh_token=True
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """refresh_token with atomic rotation, a short grace for racing callers, reuse detection."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredToken | None:
        row = (
            get_session()
            .scalars(
                select(OAuthToken).where(OAuthToken.refresh_hash == hash_secret(refresh_token))
            )
            .first()
        )
        if row is None or row.revoked or row.refresh_expires_at is None:
            return None
        if row.refresh_expires_at <= utcnow():
            return None
        return StoredToken(row)

    def authenticate_user(self, refresh_token: StoredToken) -> ServiceIdentity | GrantIdentity:
        grant_id = refresh_token.row.grant_id
        if grant_id is None:
            return ServiceIdentity(refresh_token.row.client_id)
        session = get_session()
        grant = session.get(OAuthGrant, grant_id)
        if grant is None or grant.revoked_at is not None:
            raise InvalidGrantError(description="the grant was revoked")
        user = session.get(AccountUser, grant.user_id)
        if user is None or not user.active:
            raise InvalidGrantError(description="the user of this grant is no longer active")
        return GrantIdentity(grant)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Rotate the presented refresh token: exactly one caller wins the conditional update."""
        stored: StoredToken = self.request.refresh_token
        if stored.row.rotated_at is not None:
            return self._replay_or_revoke(stored.row.id)
        user = self.authenticate_user(stored)
        token = self.issue_token(user, stored)
        settings = current_app.config["IVALID"]
        session = get_session()
        now = utcnow()
        with transaction(session):
            claimed = session.execute(
                update(OAuthToken)
                .where(
                    OAuthToken.id == stored.row.id,
                    OAuthToken.rotated_at.is_(None),
                    OAuthToken.revoked.is_(False),
                )
                .values(rotated_at=now, successor=crypto.encrypt(settings, json.dumps(token)))
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if claimed == 1:
                session.add(
                    _token_row(
                        token, stored.row.client_id, stored.row.family_id, stored.row.grant_id
                    )
                )
        if claimed != 1:  # another worker rotated it first: answer what it answered
            return self._replay_or_revoke(stored.row.id)
        return 200, token, self.TOKEN_RESPONSE_HEADER

    def _replay_or_revoke(self, row_id: int) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """The successor within the grace; after it, a reuse: the whole family is revoked."""
        settings = current_app.config["IVALID"]
        session = get_session()
        session.expire_all()
        row = session.get(OAuthToken, row_id, populate_existing=True)
        if row is None or row.revoked or row.rotated_at is None:
            raise InvalidGrantError()
        grace = timedelta(seconds=settings.refresh_grace_seconds)
        if row.successor is not None and utcnow() <= row.rotated_at + grace:
            successor: dict[str, Any] = json.loads(crypto.decrypt(settings, row.successor))
            return 200, successor, self.TOKEN_RESPONSE_HEADER
        revoke_family(row.family_id)
        raise InvalidGrantError(description="refresh token already used: its family is revoked")


def revoke_family(family_id: str, reason: str = "refresh_reuse") -> None:
    """Revoke every token pair descending from one grant (and forget them in this process).

    A family of an app's grant takes its grant along: the grant, all its tokens, its hooks.
    """
    session = get_session()
    with transaction(session):
        jtis = list(
            session.scalars(
                select(OAuthToken.access_jti).where(OAuthToken.family_id == family_id)
            ).all()
        )
        grant_ids = {
            g
            for g in session.scalars(
                select(OAuthToken.grant_id).where(OAuthToken.family_id == family_id)
            ).all()
            if g
        }
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.family_id == family_id)
            .values(revoked=True, successor=None)
            .execution_options(synchronize_session=False)
        )
        jtis += grant_store.revoke_rows(session, sorted(grant_ids), reason, utcnow())
    grant_store.forget(jtis)


class HubRevocationEndpoint(RevocationEndpoint):
    """RFC 7009: revokes a refresh token (its whole family) or an access token (by its jti)."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> StoredToken | None:
        session = get_session()
        row = session.scalars(
            select(OAuthToken).where(OAuthToken.refresh_hash == hash_secret(token_string))
        ).first()
        if row is not None:
            return StoredToken(row, by_refresh=True)
        jti = _unverified_claims(token_string).get("jti")
        if isinstance(jti, str):
            row = session.scalars(select(OAuthToken).where(OAuthToken.access_jti == jti)).first()
        return StoredToken(row) if row is not None else None

    def authenticate_token(self, request: Any, client: Client) -> StoredToken | None:
        """Another client's token is treated as unknown: 200, and nothing changes (RFC 7009 2.2)."""
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is None or not token.check_client(client):
            return None
        return token

    def revoke_token(self, token: StoredToken, request: Any) -> None:
        if token.by_refresh:
            revoke_family(token.row.family_id, "revoked_by_client")
            return
        session = get_session()
        with transaction(session):
            row = session.get(OAuthToken, token.row.id)
            if row is not None:
                row.revoked = True
        current_app.extensions["ivalid_credential_cache"].discard(f"jti:{token.row.access_jti}")


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT without checking it (only to find which row to revoke)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(payload))
        return data if isinstance(data, dict) else {}
    except (IndexError, ValueError):
        return {}


class AccessTokenGenerator(BearerTokenGenerator):
    """RS256 JWT access tokens (RFC 9068: `typ` at+jwt, `kid`), opaque refresh tokens."""

    def __init__(self, keystore: KeyStore, issuer: str, ttl: int) -> None:
        super().__init__(
            self.make_access_token,
            lambda *a, **k: generate_secret("rt_", 32),
            lambda client, grant_type: ttl,
        )
        self.keystore = keystore
        self.issuer = issuer

    def make_access_token(self, client: Client, grant_type: str, user: Any, scope: str) -> str:
        now = int(time.time())
        key = self.keystore.signing_key()
        row = client.row
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": row.id,
            "client_id": row.id,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self._get_expires_in(client, grant_type),
            "jti": generate_secret("", 16),
            "scope": scope,
            "acct": row.account_id,
            "env": row.environment,
        }
        if isinstance(user, GrantIdentity):  # acts for the user's account, through the grant
            claims.update(
                sub=user.user_id, acct=user.account_id, env=user.environment, grant=user.grant_id
            )
        header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
        return jwt.encode(header, claims, key)


def _token_row(
    token: dict[str, Any], client_id: str, family_id: str | None, grant_id: str | None = None
) -> OAuthToken:
    """The row of an issued pair: the jti and the refresh token's hash, never the tokens."""
    claims = _unverified_claims(token["access_token"])
    issued = datetime.fromtimestamp(claims["iat"], UTC)
    settings = current_app.config["IVALID"]
    has_refresh = "refresh_token" in token
    return OAuthToken(
        client_id=client_id,
        access_jti=claims["jti"],
        refresh_hash=hash_secret(token["refresh_token"]) if has_refresh else None,
        scope=token.get("scope", ""),
        issued_at=issued,
        access_expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        refresh_expires_at=issued + timedelta(seconds=settings.refresh_token_ttl)
        if has_refresh
        else None,
        family_id=family_id or claims["jti"],
        grant_id=grant_id,
    )


def _save_token(token: dict[str, Any], request: Any) -> None:
    """Record a client_credentials grant: the first pair of a new family."""
    session = get_session()
    with transaction(session):
        session.add(_token_row(token, request.client.get_client_id(), None))


class S256Challenge(CodeChallenge):
    """PKCE required on every authorization request, S256 only (`plain` and a missing method,
    which RFC 7636 reads as plain, are refused)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge' (PKCE is required)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code for registered apps: single-use, short-lived codes bound to the client,
    redirect URI, user and PKCE challenge; the exchange makes one grant (OAuthGrant), whose
    tokens form one refresh family. A code presented again revokes that grant (RFC 6749 4.1.2).
    """

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    AUTHORIZATION_CODE_LENGTH = 48

    def save_authorization_code(self, code: str, request: Any) -> None:
        settings = current_app.config["IVALID"]
        client: Client = request.client
        now = utcnow()
        data = request.payload.data
        session = get_session()
        with transaction(session):
            session.add(
                OAuthCode(
                    code_hash=hash_secret(code),
                    client_id=client.get_client_id(),
                    user_id=request.user.get_user_id(),
                    environment=client.row.environment,
                    redirect_uri=request.payload.redirect_uri,
                    # Never more than the user's role may grant (the consent page said so).
                    scope=format_scopes(
                        parse_scopes(request.scope) & grantable_scopes(request.user.role)
                    ),
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data["code_challenge_method"],
                    created_at=now,
                    expires_at=now + timedelta(seconds=min(settings.authorization_code_ttl, 600)),
                )
            )

    def query_authorization_code(self, code: str, client: Client) -> StoredCode | None:
        """The live code of this client; a used one is a replay: its grant is revoked."""
        session = get_session()
        row = session.get(OAuthCode, hash_secret(code))
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            self._revoke_replayed(row.code_hash)
            return None
        if row.expires_at <= utcnow():
            return None
        return StoredCode(row)

    def _revoke_replayed(self, code_hash: str) -> None:
        session = get_session()
        with transaction(session):
            row = session.get(OAuthCode, code_hash, populate_existing=True)
            grant_id = row.grant_id if row is not None else None
            jtis = (
                grant_store.revoke_rows(session, [grant_id], "code_replay", utcnow())
                if grant_id
                else []
            )
        grant_store.forget(jtis)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing left to do: create_token_response claimed the code when it issued."""

    def authenticate_user(self, authorization_code: StoredCode) -> ConsentUser | None:
        user = get_session().get(AccountUser, authorization_code.row.user_id)
        if user is None or not user.active:
            return None
        return ConsentUser(user.id, user.account_id, user.role)

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Claim the code (one winner), make the grant, issue its first pair: one transaction."""
        client: Client = self.request.client
        code: StoredCode = self.request.authorization_code
        user = self.authenticate_user(code)
        if user is None:
            raise InvalidGrantError(description="the user of this code is no longer active")
        session = get_session()
        now = utcnow()
        # The code's scopes, within what the user's role may grant now.
        scope = format_scopes(parse_scopes(code.get_scope()) & grantable_scopes(user.role))
        if not scope:
            raise InvalidGrantError(description="nothing this user may grant is left to grant")
        grant = OAuthGrant(
            id=new_id("grt"),
            client_id=client.get_client_id(),
            user_id=user.user_id,
            account_id=user.account_id,
            environment=code.row.environment,
            scope=scope,
        )
        token = self.generate_token(
            user=GrantIdentity(grant), scope=scope, include_refresh_token=True
        )
        with transaction(session):
            claimed = session.execute(
                update(OAuthCode)
                .where(OAuthCode.code_hash == code.row.code_hash, OAuthCode.used_at.is_(None))
                .values(used_at=now, grant_id=grant.id)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if claimed == 1:
                session.add(grant)
                session.flush()
                session.add(_token_row(token, client.get_client_id(), None, grant.id))
        if claimed != 1:  # another request exchanged it first: a replay
            self._revoke_replayed(code.row.code_hash)
            raise InvalidGrantError(description="authorization code already used")
        return 200, token, self.TOKEN_RESPONSE_HEADER


def _query_client(client_id: str) -> Client | None:
    row = get_session().get(OAuthClient, client_id)
    if row is None or row.revoked:
        return None
    return Client(row)


def init_oauth(app: Flask) -> None:
    """Create the key store and the authorization server of `app`."""
    settings = app.config["IVALID"]
    keystore = KeyStore(get_db(app), settings)
    app.extensions["ivalid_credential_cache"] = TTLCache[Any](settings.credential_cache_seconds)
    app.extensions["ivalid_keys"] = keystore
    server = HubAuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.scopes_supported = set(ALL_SCOPES)
    generator = AccessTokenGenerator(keystore, settings.public_url, settings.access_token_ttl)
    server.register_token_generator("default", generator)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(HubRevocationEndpoint)
    app.extensions["ivalid_oauth"] = server
