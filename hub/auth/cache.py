"""A short-lived in-process cache of credential look-ups (the hottest query of the API).

Every request authenticates; looking the key or token up in the database each time was a
third of the cost of a small GET. Entries live `ttl` seconds, so a revocation made in another
process takes effect there within that delay (5 s by default); in the revoking process it is
immediate (the entry is dropped).
"""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A thread-safe mapping whose entries expire; bounded by `maxsize` (oldest dropped)."""

    def __init__(self, ttl: float, maxsize: int = 10_000) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._data: dict[str, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        """The live value for `key`, or None."""
        if self.ttl <= 0:
            return None
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    def put(self, key: str, value: V) -> None:
        """Remember `value` for `ttl` seconds."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._data) >= self.maxsize:
                for old in list(self._data)[: self.maxsize // 10 or 1]:
                    self._data.pop(old, None)
            self._data[key] = (time.monotonic() + self.ttl, value)

    def discard(self, key: str) -> None:
        """Forget `key` (after a revocation)."""
        self._data.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()
