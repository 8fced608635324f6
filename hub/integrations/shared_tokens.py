"""A connection's access token cached once for every process, refreshed by one at a time.

For connectors whose spec says `token_store="shared"` (a remote that limits how many access
tokens a refresh token may mint, e.g. ten in ten minutes). With Redis (`IVALID_REDIS_URL`),
the access token lives under one Redis key per connection (Fernet-encrypted, expiring with the
token) and a refresh takes a Redis lock (`SET NX PX`, released only by its owner): every web
and worker process on every machine reads the same token and only the lock holder mints a new
one. Without Redis the connection row is the shared cache and its token lease (a conditional
UPDATE, see `hub.integrations.tokens`) the lock: processes still refresh once.

The database columns stay the durable record in both cases (a refresh writes them too, and a
Redis that lost the key falls back on them).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import connectors
from connectors.base import OAuthToken
from hub import crypto
from hub.config import Settings

KEY_PREFIX = "ivalid:integration-token:"

# Deletes the lock only if it is still ours (a lock that expired may belong to another now).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _client(url: str) -> Any:
    """One redis-py client (its own connection pool) per URL and process."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            import redis

            client = _clients[url] = redis.Redis.from_url(url)
        return client


class SharedTokens:
    """The Redis side of one connection's shared access token."""

    def __init__(self, settings: Settings, connection_id: str) -> None:
        """Bind to a connection; the Redis URL comes from the hub's settings."""
        self.settings = settings
        self.redis = _client(settings.redis_url)
        self.key = KEY_PREFIX + connection_id
        self.lock_key = self.key + ":lock"

    def load(self) -> tuple[str, float | None] | None:
        """The cached (access token, expiry as a POSIX time), or None."""
        raw = self.redis.get(self.key)
        if raw is None:
            return None
        try:
            data = json.loads(crypto.decrypt(self.settings, raw.decode()))
        except (crypto.DecryptionError, ValueError, KeyError):  # unreadable: as if absent
            return None
        expires = data.get("expires_at")
        return str(data["access_token"]), float(expires) if expires is not None else None

    def store(self, token: OAuthToken, now: float) -> None:
        """Cache `token` until it expires (an hour when the remote gave no lifetime)."""
        expires_at = token.expires_at if token.expires_at is not None else now + 3600
        ttl_ms = max(1000, int((expires_at - now) * 1000))
        value = json.dumps({"access_token": token.access_token, "expires_at": expires_at})
        self.redis.set(self.key, crypto.encrypt(self.settings, value), px=ttl_ms)

    def drop(self) -> None:
        """Forget the cached token (disconnected, or a new grant)."""
        self.redis.delete(self.key)

    def claim(self, owner: str, lease_seconds: float) -> bool:
        """Take the refresh lock if free (it expires by itself if its holder dies)."""
        return bool(
            self.redis.set(self.lock_key, owner, nx=True, px=max(1, int(lease_seconds * 1000)))
        )

    def release(self, owner: str) -> None:
        """Give the refresh lock back, if it is still ours."""
        self.redis.eval(_RELEASE, 1, self.lock_key, owner)


def shared_for(settings: Settings, connector: str, connection_id: str) -> SharedTokens | None:
    """The Redis cache of a connection whose spec shares its token, when Redis is configured."""
    if not settings.redis_url:
        return None
    try:
        spec = connectors.spec_of(connector)
    except KeyError:
        return None
    if spec.token_store != "shared":
        return None
    return SharedTokens(settings, connection_id)
