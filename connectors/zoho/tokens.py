"""The access token of a Zoho connection, cached once for every worker process, refreshed once.

Zoho lets a refresh token mint only ten access tokens in ten minutes, so each process refreshing
on its own would lock a busy connection out. The token lives in a shared cache (Redis in
production, keyed by connection) and a refresh happens under a lock: the first process that
finds the token stale refreshes, the others wait for the lock and then read the new token.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from connectors.base import AuthError, OAuthToken
from connectors.zoho import const


class TokenCache(Protocol):
    """Where a connection's current access token is kept, with a lock around refreshing."""

    def load(self, key: str) -> dict[str, Any] | None:
        """The cached `{access_token, expires_at}`, or None."""
        ...

    def store(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Cache `value` for `ttl` seconds."""
        ...

    def drop(self, key: str) -> None:
        """Forget the cached token."""
        ...

    def lock(self, key: str) -> Any:
        """A context manager held while refreshing (one refresher at a time, across processes)."""
        ...


class MemoryTokenCache:
    """A cache for one process (tests, the CLI); the lock is a thread lock."""

    def __init__(self) -> None:
        """Start empty."""
        self._values: dict[str, tuple[dict[str, Any], float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> dict[str, Any] | None:
        """The cached value if it has not outlived its ttl."""
        item = self._values.get(key)
        if item is None or item[1] <= time.monotonic():
            return None
        return dict(item[0])

    def store(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Keep `value` for `ttl` seconds."""
        self._values[key] = (dict(value), time.monotonic() + ttl)

    def drop(self, key: str) -> None:
        """Forget `key`."""
        self._values.pop(key, None)

    def lock(self, key: str) -> threading.Lock:
        """The thread lock of `key`."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


class RedisTokenCache:
    """A cache every worker process shares: a Redis key per connection, a Redis lock to refresh.

    `cipher` (e.g. a `cryptography` Fernet) encrypts the token at rest, as the hub does for every
    third-party secret.
    """

    def __init__(
        self, client: Any, *, prefix: str = "ivalid:zoho:token:", cipher: Any = None
    ) -> None:
        """Use a redis-py client."""
        self._redis = client
        self._prefix = prefix
        self._cipher = cipher

    def load(self, key: str) -> dict[str, Any] | None:
        """The cached value, decrypted."""
        raw = self._redis.get(self._prefix + key)
        if raw is None:
            return None
        data = self._cipher.decrypt(raw) if self._cipher is not None else raw
        value: dict[str, Any] = json.loads(data)
        return value

    def store(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Cache `value`, encrypted, expiring with the token."""
        data = json.dumps(value).encode()
        if self._cipher is not None:
            data = self._cipher.encrypt(data)
        self._redis.set(self._prefix + key, data, px=max(1, int(ttl * 1000)))

    def drop(self, key: str) -> None:
        """Forget the cached token."""
        self._redis.delete(self._prefix + key)

    def lock(self, key: str) -> Any:
        """A Redis lock (expires by itself if its holder dies mid-refresh)."""
        return self._redis.lock(
            self._prefix + key + ":lock", timeout=60, blocking_timeout=60, thread_local=False
        )


class SharedTokenProvider:
    """A TokenProvider for one connection: cached access token, one refresh at a time.

    `refresh` is called with the refresh token and returns a new `OAuthToken` (normally
    `ZohoOAuth.refresh` bound to the connection's data centre); `on_refresh` persists it.
    """

    def __init__(
        self,
        key: str,
        refresh_token: str,
        refresh: Callable[[str], OAuthToken],
        cache: TokenCache,
        *,
        leeway: float = const.ACCESS_TOKEN_LEEWAY,
        clock: Callable[[], float] = time.time,
        on_refresh: Callable[[OAuthToken], None] | None = None,
    ) -> None:
        """Bind to a connection (`key`) and its refresh token."""
        if not refresh_token:
            raise AuthError("no refresh token", reason="no_refresh_token")
        self.key = key
        self.refresh_token = refresh_token
        self._refresh = refresh
        self._cache = cache
        self._leeway = leeway
        self._clock = clock
        self._on_refresh = on_refresh
        self.refreshes = 0

    def seed(self, token: OAuthToken) -> None:
        """Put a freshly obtained token (from the code exchange) in the cache."""
        self._put(token)

    def get_access_token(self) -> str:
        """A valid access token: the cached one, or one refreshed (by whichever process first)."""
        token = self._fresh()
        if token is not None:
            return token
        with self._cache.lock(self.key):
            token = self._fresh()
            if token is not None:
                return token
            return self._refresh_locked()

    def token_rejected(self, token: str) -> None:
        """Zoho answered 401 to `token`: refresh, unless another process already did."""
        with self._cache.lock(self.key):
            cached = self._cache.load(self.key)
            if cached is not None and cached.get("access_token") != token:
                return
            self._cache.drop(self.key)
            self._refresh_locked()

    def _fresh(self) -> str | None:
        cached = self._cache.load(self.key)
        if cached is None:
            return None
        if float(cached.get("expires_at") or 0) - self._leeway <= self._clock():
            return None
        return str(cached["access_token"])

    def _refresh_locked(self) -> str:
        token = self._refresh(self.refresh_token)
        self.refreshes += 1
        if token.refresh_token:
            self.refresh_token = token.refresh_token
        self._put(token)
        if self._on_refresh is not None:
            self._on_refresh(token)
        return token.access_token

    def _put(self, token: OAuthToken) -> None:
        expires_at = token.expires_at or (self._clock() + 3600)
        ttl = max(1.0, expires_at - self._clock())
        self._cache.store(
            self.key, {"access_token": token.access_token, "expires_at": expires_at}, ttl
        )
