"""What the sync code of one process shares: database, settings, provider apps, clock, identity."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hub.clock import SYSTEM_CLOCK, Clock
from hub.config import Settings
from hub.db import Database
from hub.integrations.config import ProviderConfig
from hub.integrations.ports import LocalServices


def _noop(*_args: Any) -> None:
    """The default hook: do nothing."""


@dataclass
class SyncHooks:
    """Points where tests stop a sync as a crash would (raise a BaseException there).

    `after_page(calendar_id, n)`: page n applied, cursor not yet saved.
    `after_cursor(calendar_id, n)`: cursor of page n saved.
    `after_push(link_id, n)`: the n-th push of the run written remotely and saved on its link.
    """

    after_page: Callable[[str, int], None] = _noop
    after_cursor: Callable[[str, int], None] = _noop
    after_push: Callable[[str, int], None] = _noop


def default_worker_id() -> str:
    """host:pid:random, unique per process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class SyncRuntime:
    """The shared objects of the sync code in one process (web or worker)."""

    db: Database
    settings: Settings
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    clock: Clock = SYSTEM_CLOCK
    worker_id: str = field(default_factory=default_worker_id)
    # A sync renews its lease after every page; a worker that dies lets it run out.
    lease: timedelta = timedelta(minutes=5)
    token_lease: timedelta = timedelta(seconds=30)
    # Providers only call https addresses; tests point channels at plain http on loopback.
    allow_http_push: bool = False
    hooks: SyncHooks = field(default_factory=SyncHooks)
    http_timeout: float = 30.0
    # The services' operations remote changes go through (hub.services.integration_inbound).
    local: LocalServices | None = None

    @property
    def local_services(self) -> LocalServices:
        """The services' operations; a runtime built without them cannot apply remote changes."""
        if self.local is None:
            raise RuntimeError("SyncRuntime built without local services (SyncRuntime.local)")
        return self.local

    def provider(self, connector: str) -> ProviderConfig:
        """The OAuth application of `connector` (read from the environment on first use)."""
        config = self.providers.get(connector)
        if config is None:
            config = self.providers[connector] = ProviderConfig.from_env(connector)
        return config

    @property
    def base_url(self) -> str:
        """The public URL of the hub, without a trailing slash."""
        return self.settings.public_url.rstrip("/")

    def redirect_uri(self, connector: str) -> str:
        """Where the provider sends the user back after consent."""
        return f"{self.base_url}/oauth/callback/{connector}"

    def notification_url(self, connector: str) -> str:
        """Where the provider posts push notifications."""
        return f"{self.base_url}/v2/integrations/{connector}/notifications"

    @property
    def push_enabled(self) -> bool:
        """Whether to open push channels (providers require an https address)."""
        return self.base_url.startswith("https://") or self.allow_http_push
