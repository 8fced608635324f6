"""What a connector declares about itself: its manifest (OAuth, dashboard) and its sync spec.

The integration engine (`hub/integrations/`) knows a connector only through these objects:
it never names a vendor. A connector package builds one `SyncSpec` next to its `Manifest`
and hands both to `connectors.register` (see docs/integrations.md, "Writing a connector").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AuthKind = Literal["oauth2", "api_key", "provider"]
"""How a connection authenticates: OAuth 2.0 tokens, a key the account pastes, or none
(`provider`: the platform holds tokens iValid issued, e.g. an automation platform)."""

TokenStore = Literal["tokens", "shared", "cache", "api_key", "none"]
"""Where a connection's credentials live: the generic token columns (`tokens`), an opaque
serialised cache the connector's OAuth client manages (`cache`), an encrypted key, or none."""

Direction = Literal["both", "pull", "push"]
LocalType = Literal["appointment", "customer", "payment"]
BusyRule = Callable[[Mapping[str, Any]], bool]
EndpointCheck = Callable[[Mapping[str, str], Mapping[str, Any]], dict[str, str]]
"""`check(endpoints read from the callback, connector settings)` → endpoints to store."""
OAuthUrls = Callable[[Mapping[str, str]], dict[str, str]]
"""`urls(a connection's endpoints)` → OAuth URL overrides (`token_url`, `revoke_url`, …)."""
"""`rule(remote record data)` → True when a foreign remote object leaves its owner free."""


@dataclass(frozen=True)
class Manifest:
    """What a connector is and needs: shown in the dashboard, drives OAuth and the scheduler."""

    name: str
    display_name: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    streams: tuple[str, ...]
    auth_type: AuthKind = "oauth2"
    revoke_url: str | None = None
    default_sync_interval: int = 300
    supports_push: bool = False
    authorize_params: Mapping[str, str] = field(default_factory=dict)

    def with_endpoints(self, **urls: str) -> Manifest:
        """A copy with some OAuth URLs replaced (a fake in tests, a sovereign cloud in prod)."""
        allowed = {"authorize_url", "token_url", "revoke_url"}
        unknown = set(urls) - allowed
        if unknown:
            raise ValueError(f"unknown endpoint(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **urls)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for the API and the dashboard."""
        data = dataclasses.asdict(self)
        data["scopes"] = list(self.scopes)
        data["streams"] = list(self.streams)
        data["authorize_params"] = dict(self.authorize_params)
        return data


@dataclass(frozen=True)
class Endpoint:
    """A host a connection talks to, chosen per connection.

    `default` is used when nothing else says; `from_token` names a field of the token
    response that carries it (an API domain per data centre), `from_callback` a query
    parameter of the OAuth callback; `allowed` (when set) is the closed list of acceptable
    values, so a forged callback cannot point a connection at a foreign host.
    """

    name: str
    default: str | None = None
    from_token: str | None = None
    from_callback: str | None = None
    allowed: tuple[str, ...] = ()

    def accepts(self, value: str) -> bool:
        """Whether `value` may be stored for this endpoint."""
        return not self.allowed or value in self.allowed


@dataclass(frozen=True)
class StreamSpec:
    """One stream a connector syncs: which local objects, which way, on which events.

    `per_technician` streams have one stream row per technician (a calendar each); others one
    row per connection. `push_on` lists the outbox event types that ask for a push of the
    local object (empty: never pushed). `inbound` names the engine's inbound handler for
    pulled pages (`"calendar"`: remote events become appointments or busy time). `busy` is
    the rule telling a foreign object that leaves its owner free. `mapping` is the name of the
    connector's mapping under mappings/, `remote_schema` the schema name its remote side uses and
    `remote_fields` that side's field tree (a leaf is None, "*" accepts any name below it).
    """

    name: str
    local_type: LocalType
    direction: Direction = "both"
    push_on: frozenset[str] = frozenset()
    inbound: str | None = None
    busy: BusyRule | None = None
    mapping: str | None = None
    remote_schema: str | None = None
    remote_fields: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    per_technician: bool = False

    @property
    def pulls(self) -> bool:
        """Whether remote changes are read."""
        return self.direction in ("both", "pull")

    @property
    def pushes(self) -> bool:
        """Whether local changes are written to the remote."""
        return self.direction in ("both", "push")


@dataclass(frozen=True)
class SyncSpec:
    """Everything the integration engine needs to know about a connector, as data.

    `env_prefix` names its settings (IVALID_<PREFIX>_CLIENT_ID, …); `endpoints` the hosts
    chosen per connection; `keep_token_fields` the token response fields stored with the
    connection (the whole raw response is kept encrypted as well).

    `check_endpoints(found, config)` (optional) vets the endpoints read from the OAuth callback
    against the connector's own list of trusted hosts (`config` is the connector's settings)
    and returns what to store; it raises ValueError for a host it does not trust, before the
    code is sent anywhere. `oauth_urls(endpoints)` (optional) gives a connection's OAuth URLs
    (token, revocation) from its stored endpoints, for remotes with one server per region.
    """

    auth: AuthKind
    env_prefix: str
    streams: tuple[StreamSpec, ...]
    token_store: TokenStore = "tokens"
    endpoints: tuple[Endpoint, ...] = ()
    keep_token_fields: tuple[str, ...] = ()
    check_endpoints: EndpointCheck | None = field(default=None, compare=False)
    oauth_urls: OAuthUrls | None = field(default=None, compare=False)

    @property
    def local_types(self) -> frozenset[str]:
        """The local object types this connector syncs."""
        return frozenset(s.local_type for s in self.streams)

    @property
    def push_events(self) -> frozenset[str]:
        """Every outbox event type that triggers a push through one of its streams."""
        return frozenset(t for s in self.streams if s.pushes for t in s.push_on)

    def stream(self, name: str) -> StreamSpec:
        """The stream called `name` (KeyError if the connector has none)."""
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"no stream {name!r}")

    def streams_for_event(self, event_type: str) -> list[StreamSpec]:
        """The streams an outbox event of `event_type` asks to push."""
        return [s for s in self.streams if s.pushes and event_type in s.push_on]

    def per_technician_stream(self) -> StreamSpec | None:
        """The stream kept per technician (a calendar), if the connector has one."""
        return next((s for s in self.streams if s.per_technician), None)

    def endpoint(self, name: str) -> Endpoint:
        """The per-connection endpoint called `name`."""
        for e in self.endpoints:
            if e.name == name:
                return e
        raise KeyError(f"no endpoint {name!r}")
