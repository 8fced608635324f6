"""Bearer authentication of API requests: RS256 access tokens and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import or_, select, update

from hub.auth.cache import TTLCache
from hub.auth.keys import KeyStore
from hub.auth.scopes import parse_scopes
from hub.auth.secrets import hash_secret
from hub.auth.server import AUDIENCE
from hub.db import get_db
from hub.errors import ApiError
from hub.models import AccountUser, ApiKey, OAuthClient, OAuthGrant, OAuthToken
from hub.timeutil import utcnow

API_KEY_PREFIXES = {"ivk_live_": "production", "ivk_test_": "sandbox"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: one account, one environment, a set of scopes, one credential."""

    account_id: str
    environment: str
    scopes: frozenset[str]
    # "key:<id>", "client:<id>" or "grant:<id>": the rate-limit and idempotency key
    credential_id: str
    # Set for an access token of an app's grant (authorization code): which grant, which user.
    grant_id: str | None = None
    user_id: str | None = None


def _unauthenticated(code: str, description: str) -> ApiError:
    error = "invalid_request" if code == "UNAUTHENTICATED" else "invalid_token"
    challenge = f'Bearer realm="ivalid", error="{error}", error_description="{description}"'
    if code == "UNAUTHENTICATED":
        challenge = 'Bearer realm="ivalid"'
    return ApiError(401, code, headers={"WWW-Authenticate": challenge})


def authenticate() -> Principal:
    """The request's principal, from its bearer credential; 401 if there is none or it is bad."""
    cached: Principal | None = g.get("principal")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise _unauthenticated("UNAUTHENTICATED", "missing bearer token")
    if credential.startswith(tuple(API_KEY_PREFIXES)):
        principal = _from_api_key(credential)
    else:
        principal = _from_access_token(credential)
    g.principal = principal
    return principal


def _cache() -> TTLCache[Principal]:
    return current_app.extensions["ivalid_credential_cache"]


def _from_api_key(key: str) -> Principal:
    digest = hash_secret(key)
    cached = _cache().get(digest)
    if cached is not None:
        return cached
    # Core, not ORM: this runs on every request and needs four columns.
    with get_db().engine.connect() as conn:
        row = conn.execute(
            select(ApiKey.id, ApiKey.account_id, ApiKey.environment, ApiKey.scopes).where(
                ApiKey.key_hash == digest, ApiKey.revoked.is_(False)
            )
        ).first()
    if row is None:
        raise _unauthenticated("INVALID_TOKEN", "unknown or revoked API key")
    _touch(row.id)
    principal = Principal(
        row.account_id, row.environment, parse_scopes(row.scopes), f"key:{row.id}"
    )
    _cache().put(digest, principal)
    return principal


LAST_USED_PRECISION = timedelta(minutes=1)


def _touch(key_id: str) -> None:
    """Record when a key was last used (the dashboard shows it), at most once a minute.

    Runs on a credential-cache miss only, so a busy key costs one conditional UPDATE per
    process every few seconds at most, and none while the stored time is recent.
    """
    now = utcnow()
    with get_db().engine.begin() as conn:
        conn.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(
                    ApiKey.last_used_at.is_(None),
                    ApiKey.last_used_at < now - LAST_USED_PRECISION,
                ),
            )
            .values(last_used_at=now)
        )


def _from_access_token(token: str) -> Principal:
    keystore: KeyStore = current_app.extensions["ivalid_keys"]
    settings = current_app.config["IVALID"]
    try:
        header = extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise _unauthenticated("INVALID_TOKEN", "malformed token") from exc
    if header.get("typ") != "at+jwt" or header.get("alg") != "RS256":
        raise _unauthenticated("INVALID_TOKEN", "not an access token")
    key = keystore.public_key(str(header.get("kid", "")))
    if key is None:
        raise _unauthenticated("INVALID_TOKEN", "unknown signing key")
    try:
        decoded = jwt.decode(token, key, algorithms=["RS256"])
        JWTClaimsRegistry(
            iss={"essential": True, "value": settings.public_url},
            aud={"essential": True, "value": AUDIENCE},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise _unauthenticated("INVALID_TOKEN", "invalid or expired token") from exc
    claims = decoded.claims
    if _cache().get(f"jti:{claims['jti']}") is None:
        _check_stored_row(claims)
    grant = claims.get("grant")
    if isinstance(grant, str) and grant:
        return Principal(
            str(claims["acct"]),
            str(claims["env"]),
            parse_scopes(str(claims.get("scope", ""))),
            f"grant:{grant}",
            grant_id=grant,
            user_id=str(claims["sub"]),
        )
    return Principal(
        str(claims["acct"]),
        str(claims["env"]),
        parse_scopes(str(claims.get("scope", ""))),
        f"client:{claims['client_id']}",
    )


def _check_stored_row(claims: dict[str, Any]) -> None:
    """401 unless the token's row exists, matches every claim that grants access, and is live.

    A signature alone is not enough: the row says which client, account and environment the
    token was issued to and when it expires, so a token whose claims disagree with it (a
    leaked signing key, a bug in issuance) is refused. A grant's token is checked against its
    grant (the user, the user's account, the environment): a revoked grant, or a user who was
    deactivated, stops it.
    """
    jti = str(claims["jti"])
    with get_db().engine.connect() as conn:
        row = conn.execute(
            select(
                OAuthToken.revoked,
                OAuthToken.client_id,
                OAuthToken.access_expires_at,
                OAuthToken.grant_id,
                OAuthClient.revoked.label("client_revoked"),
                OAuthClient.account_id,
                OAuthClient.environment,
                OAuthGrant.user_id.label("grant_user"),
                OAuthGrant.account_id.label("grant_account"),
                OAuthGrant.environment.label("grant_environment"),
                OAuthGrant.revoked_at.label("grant_revoked_at"),
                AccountUser.active.label("user_active"),
            )
            .join(OAuthClient, OAuthClient.id == OAuthToken.client_id)
            .outerjoin(OAuthGrant, OAuthGrant.id == OAuthToken.grant_id)
            .outerjoin(AccountUser, AccountUser.id == OAuthGrant.user_id)
            .where(OAuthToken.access_jti == jti)
        ).first()
    if row is None or row.revoked or row.client_revoked:
        raise _unauthenticated("INVALID_TOKEN", "revoked token")
    if row.grant_id is not None:
        if row.grant_revoked_at is not None or not row.user_active:
            raise _unauthenticated("INVALID_TOKEN", "revoked token")
        subject, account, environment = (
            row.grant_user,
            row.grant_account,
            row.grant_environment,
        )
    else:
        subject, account, environment = row.client_id, row.account_id, row.environment
    expires = row.access_expires_at
    if expires.tzinfo is None:  # SQLite hands back naive UTC through Core
        expires = expires.replace(tzinfo=UTC)
    if (
        row.client_id != claims.get("client_id")
        or subject != claims.get("sub")
        or account != claims.get("acct")
        or environment != claims.get("env")
        or row.grant_id != claims.get("grant")
        or int(expires.timestamp()) != claims.get("exp")
        or expires <= datetime.now(UTC)
    ):
        raise _unauthenticated("INVALID_TOKEN", "token does not match its issuance")
    _cache().put(f"jti:{jti}", Principal("", "", frozenset(), ""))


# The scope of routes open to any valid credential, whatever its scopes.
ANY_SCOPE = "*"


def require_scope(scope: str) -> Principal:
    """Authenticate and check `scope`; 403 INSUFFICIENT_SCOPE naming it otherwise."""
    principal = authenticate()
    if scope != ANY_SCOPE and scope not in principal.scopes:
        raise ApiError(
            403,
            "INSUFFICIENT_SCOPE",
            {"required_scope": scope},
            headers={
                "WWW-Authenticate": f'Bearer realm="ivalid", error="insufficient_scope", '
                f'scope="{scope}"'
            },
        )
    return principal
