"""The token provider of a stored connection: refreshes before expiry, one process at a time.

The connector only ever asks for a valid access token. Refreshing takes the connection's
token lease (a conditional UPDATE), re-reads the row (another process may have refreshed
meanwhile), calls the token endpoint outside any transaction, and stores the result
encrypted, keeping the old refresh token when the provider sends none. invalid_grant marks
the connection `reauth_required` and records `integration.error`.

A connection whose spec keeps tokens in a `cache` token store (its OAuth client's identity
library serialises a token cache, stored in `token_cache`, encrypted) gets its tokens from
that library over the cache instead: the library decides when to refresh, and a cache
it changed (new access token, rotated refresh token) is written back encrypted in its own
short transaction. Connections without a cache (made before it existed) keep the generic path.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update

import connectors
from connectors.base import AuthError, OAuth2Client, OAuthToken, TransientError
from hub import crypto
from hub.db import transaction
from hub.integrations import state
from hub.integrations.runtime import SyncRuntime
from hub.integrations.shared_tokens import SharedTokens, shared_for
from hub.models import IntegrationConnection

LEEWAY = timedelta(seconds=120)  # refresh this long before the access token expires
WAIT_STEP = 0.05


class _TokenCache(Protocol):
    """What an OAuth client with its own token cache offers (`SyncSpec.token_store == "cache"`)."""

    def load_cache(self, serialized: str | None) -> None: ...

    def dump_cache(self) -> str: ...

    @property
    def has_changed(self) -> bool: ...

    def acquire_token(
        self, home_account_id: str | None = None, *, force_refresh: bool = False
    ) -> OAuthToken: ...


def token_cache_of(oauth: Any) -> _TokenCache | None:
    """The token-cache wrapper behind an OAuth client that keeps one, or None."""
    auth = getattr(oauth, "auth", None)
    needed = ("load_cache", "dump_cache", "acquire_token")
    if auth is None or not all(callable(getattr(auth, name, None)) for name in needed):
        return None
    return auth


def endpoints_from_token(connector: str, raw: Mapping[str, Any]) -> dict[str, str]:
    """The per-connection hosts a token response names, as the connector's spec declares them."""
    try:
        spec = connectors.spec_of(connector)
    except KeyError:
        return {}
    found: dict[str, str] = {}
    for endpoint in spec.endpoints:
        value = raw.get(endpoint.from_token) if endpoint.from_token else None
        if isinstance(value, str) and value and endpoint.accepts(value):
            found[endpoint.name] = value
    return found


@dataclass(frozen=True)
class _Stored:
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    status: str


def _fresh(stored: _Stored, rejected: str | None = None) -> bool:
    if not stored.access_token or stored.access_token == rejected:
        return False
    if stored.expires_at is None:
        return True
    return stored.expires_at - LEEWAY > datetime.now(UTC)


def save_token(rt: SyncRuntime, conn: IntegrationConnection, token: OAuthToken) -> None:
    """Store a token set on the connection row (encrypted; the refresh token kept if absent),
    and in the shared cache when the connector shares its access token (`shared_tokens`).

    The raw token response is kept too (encrypted JSON): some providers put per-connection
    facts there (an API host per data centre), and the spec's endpoints read from it
    (`Endpoint.from_token`) are copied to `conn.endpoints`.
    """
    if token.raw:
        conn.token_response = crypto.encrypt(rt.settings, json.dumps(dict(token.raw), default=str))
        found = endpoints_from_token(conn.connector, token.raw)
        if found:
            conn.endpoints = {**(conn.endpoints or {}), **found}
    conn.access_token = crypto.encrypt(rt.settings, token.access_token)
    if token.refresh_token:
        conn.refresh_token = crypto.encrypt(rt.settings, token.refresh_token)
    conn.token_expires_at = (
        datetime.fromtimestamp(token.expires_at, UTC) if token.expires_at is not None else None
    )
    if token.scopes:
        conn.scopes = " ".join(token.scopes)
    shared = shared_for(rt.settings, conn.connector, conn.id)
    if shared is not None:
        shared.store(token, time.time())


class StoredTokenProvider:
    """A RejectableTokenProvider over one connection row."""

    def __init__(
        self,
        rt: SyncRuntime,
        connection_id: str,
        oauth: OAuth2Client,
        max_wait: float = 10.0,
        connector: str | None = None,
    ) -> None:
        """Bind to a connection (of `connector`, read from its row when not given);
        `max_wait` bounds the wait for another process's refresh."""
        self.rt = rt
        self.connection_id = connection_id
        self.oauth = oauth
        self.max_wait = max_wait
        self._lock = threading.Lock()
        # Unique per provider: two threads of one worker must not share the refresh lease.
        self._owner = f"{rt.worker_id}:{secrets.token_hex(4)}"[-80:]
        self._current: _Stored | None = None
        self.refreshes = 0
        self._cache: _TokenCache | None = None  # set when the row holds a token cache
        self._cache_checked = False
        self._cache_last: str | None = None
        # Redis, for a connector that shares its access token (None: the row is the cache).
        self._shared: SharedTokens | None = None
        if connector is None:
            with rt.db.session() as session:
                connector = session.scalar(
                    select(IntegrationConnection.connector).where(
                        IntegrationConnection.id == connection_id
                    )
                )
        if connector is not None:
            self._shared = shared_for(rt.settings, connector, connection_id)

    def get_access_token(self) -> str:
        """A valid access token, refreshed first if it expires within two minutes."""
        with self._lock:
            if self._use_cache():
                return self._cache_acquire(force_refresh=False)
            if self._current is None or not _fresh(self._current):
                self._current = self._load()
                if not _fresh(self._current):
                    self._current = self._refresh(None)
            assert self._current.access_token is not None
            return self._current.access_token

    def token_rejected(self, token: str) -> None:
        """The provider answered 401 to `token`: refresh unless someone already did."""
        with self._lock:
            if self._use_cache():
                if token == self._cache_last:
                    self._cache_acquire(force_refresh=True)
                return
            self._current = self._load()
            if not _fresh(self._current, rejected=token):
                self._current = self._refresh(token)

    # ------------------------------------------------------------- the token cache

    def _use_cache(self) -> bool:
        """True if this connection's tokens come from its stored token cache (loaded once)."""
        if not self._cache_checked:
            auth = token_cache_of(self.oauth)
            if auth is not None:
                with self.rt.db.session() as session:
                    stored = session.scalar(
                        select(IntegrationConnection.token_cache).where(
                            IntegrationConnection.id == self.connection_id
                        )
                    )
                if stored is not None:
                    auth.load_cache(crypto.decrypt(self.rt.settings, stored))
                    self._cache = auth
            self._cache_checked = True
        return self._cache is not None

    def _cache_acquire(self, *, force_refresh: bool) -> str:
        """A token from the cache's library (it refreshes when needed); a changed cache is kept."""
        auth = self._cache
        assert auth is not None
        try:
            token = auth.acquire_token(force_refresh=force_refresh)
        except AuthError as err:
            state.reauth_required(self.rt, self.connection_id, err)
            raise
        if auth.has_changed:
            self.refreshes += 1
            self._store_cache(auth.dump_cache(), token)
        self._cache_last = token.access_token
        return token.access_token

    def _store_cache(self, serialized: str, token: OAuthToken) -> None:
        """Write a changed cache back (encrypted), with the generic columns kept current."""
        with self.rt.db.session() as session, transaction(session):
            conn = session.get(IntegrationConnection, self.connection_id)
            if conn is None or conn.status != "connected":
                raise AuthError("connection was disconnected", reason="disconnected")
            conn.token_cache = crypto.encrypt(self.rt.settings, serialized)
            save_token(self.rt, conn, token)

    def _load(self) -> _Stored:
        if self._shared is not None:
            cached = self._shared.load()
            if cached is not None:
                access, expires = cached
                at = datetime.fromtimestamp(expires, UTC) if expires is not None else None
                found = _Stored(access, None, at, "connected")
                if _fresh(found):
                    return found
        return self._load_row()

    def _load_row(self) -> _Stored:
        with self.rt.db.session() as session:
            row = session.execute(
                select(
                    IntegrationConnection.access_token,
                    IntegrationConnection.refresh_token,
                    IntegrationConnection.token_expires_at,
                    IntegrationConnection.status,
                ).where(IntegrationConnection.id == self.connection_id)
            ).first()
        if row is None:
            raise AuthError("connection removed", reason="disconnected")
        settings = self.rt.settings
        return _Stored(
            crypto.decrypt_optional(settings, row.access_token),
            crypto.decrypt_optional(settings, row.refresh_token),
            row.token_expires_at,
            row.status,
        )

    def _claim(self) -> bool:
        if self._shared is not None:
            return self._shared.claim(self._owner, self.rt.token_lease.total_seconds())
        now = self.rt.clock.now()
        c = IntegrationConnection
        with self.rt.db.session() as session, transaction(session):
            result = session.execute(
                update(c)
                .where(
                    c.id == self.connection_id,
                    or_(
                        c.token_lease_until.is_(None),
                        c.token_lease_until < now,
                        c.token_lease_owner == self._owner,
                    ),
                )
                .values(token_lease_owner=self._owner, token_lease_until=now + self.rt.token_lease)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _release(self) -> None:
        if self._shared is not None:
            self._shared.release(self._owner)
            return
        c = IntegrationConnection
        with self.rt.db.session() as session, transaction(session):
            session.execute(
                update(c)
                .where(c.id == self.connection_id, c.token_lease_owner == self._owner)
                .values(token_lease_owner=None, token_lease_until=None)
                .execution_options(synchronize_session=False)
            )

    def _refresh(self, rejected: str | None) -> _Stored:
        """Refresh under the token lease, or wait for the process that holds it."""
        deadline = time.monotonic() + self.max_wait
        while not self._claim():
            if time.monotonic() > deadline:
                raise TransientError("another process is refreshing this connection's token")
            time.sleep(WAIT_STEP)
            stored = self._load()
            if _fresh(stored, rejected):
                return stored
        try:
            stored = self._load()  # someone may have refreshed between our read and the lease
            if _fresh(stored, rejected):
                return stored
            stored = self._load_row()  # the refresh token and status live in the row
            if stored.status != "connected":
                raise AuthError(f"connection is {stored.status}", reason=stored.status)
            if not stored.refresh_token:
                raise AuthError("access token expired and no refresh token", reason="no_refresh")
            try:
                token = self.oauth.refresh(stored.refresh_token)
            except AuthError as err:
                state.reauth_required(self.rt, self.connection_id, err)
                raise
            self.refreshes += 1
            with self.rt.db.session() as session, transaction(session):
                conn = session.get(IntegrationConnection, self.connection_id)
                if conn is None or conn.status != "connected":
                    raise AuthError("connection was disconnected", reason="disconnected")
                save_token(self.rt, conn, token)
            return _Stored(
                token.access_token,
                token.refresh_token or stored.refresh_token,
                datetime.fromtimestamp(token.expires_at, UTC) if token.expires_at else None,
                "connected",
            )
        finally:
            self._release()
