"""The OAuth 2.0 authorization server (Authlib): client credentials, refresh, revocation."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, current_app
from flask import request as flask_request
from joserfc import jwt
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from hub import crypto
from hub.auth.cache import TTLCache
from hub.auth.keys import KeyStore
from hub.auth.scopes import ALL_SCOPES, format_scopes, parse_scopes
from hub.auth.secrets import check_secret, generate_secret, hash_secret
from hub.db import get_db, get_session, transaction
from hub.models import OAuthClient, OAuthToken
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

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return check_secret(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
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

    def create_oauth2_request(self, request: Any) -> JsonAwareRequest:
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

    def authenticate_user(self, refresh_token: StoredToken) -> ServiceIdentity:
        return ServiceIdentity(refresh_token.row.client_id)

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
                session.add(_token_row(token, stored.row.client_id, stored.row.family_id))
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


def revoke_family(family_id: str) -> None:
    """Revoke every token pair descending from one grant (and forget them in this process)."""
    session = get_session()
    with transaction(session):
        jtis = session.scalars(
            select(OAuthToken.access_jti).where(OAuthToken.family_id == family_id)
        ).all()
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.family_id == family_id)
            .values(revoked=True, successor=None)
            .execution_options(synchronize_session=False)
        )
    cache = current_app.extensions["ivalid_credential_cache"]
    for jti in jtis:
        cache.discard(f"jti:{jti}")


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
            revoke_family(token.row.family_id)
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
        claims = {
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
        header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}
        return jwt.encode(header, claims, key)


def _token_row(token: dict[str, Any], client_id: str, family_id: str | None) -> OAuthToken:
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
    )


def _save_token(token: dict[str, Any], request: Any) -> None:
    """Record a client_credentials grant: the first pair of a new family."""
    session = get_session()
    with transaction(session):
        session.add(_token_row(token, request.client.get_client_id(), None))


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
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(HubRevocationEndpoint)
    app.extensions["ivalid_oauth"] = server
