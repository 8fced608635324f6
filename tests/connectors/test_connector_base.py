"""The connector interface itself: backoff, registry, manifest, base-class defaults."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import connectors
from connectors import base, registry
from connectors.base import (
    Channel,
    Connector,
    Cursor,
    Identity,
    Manifest,
    NotSupported,
    OAuthToken,
    Page,
    RateLimited,
    RemoteRecord,
    StaticTokenProvider,
    TransientError,
    backoff_delay,
    register,
    retry_delay,
)
from connectors.spec import StreamSpec, SyncSpec

_MANIFEST = Manifest(
    name="test-dummy",
    display_name="Dummy",
    authorize_url="https://auth.example/authorize",
    token_url="https://auth.example/token",
    scopes=("read",),
    streams=("things",),
)


class _Dummy(Connector):
    """A minimal connector: no push, no single-record fetch."""

    manifest = _MANIFEST
    spec = SyncSpec(
        auth="oauth2",
        env_prefix="TEST_DUMMY",
        streams=(StreamSpec("things", "customer"),),
    )

    def check(self) -> Identity:
        return Identity(id="me")

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[Page]:
        yield Page([], [], {"n": 1}, done=True)

    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        return RemoteRecord("1", None, dict(payload))

    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        return RemoteRecord(remote_id, etag, dict(payload))

    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        return None


@pytest.fixture(autouse=True)
def _private_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made by these tests do not leak into other tests."""
    base.all_manifests()  # load the real connectors first
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 10, 30])
def test_backoff_is_full_jitter_under_the_cap(attempt: int) -> None:
    """Delay is uniform in [0, min(cap, base * 2**attempt)]."""
    rng = random.Random(attempt)
    ceiling = min(60.0, 0.5 * 2**attempt)
    delays = [backoff_delay(attempt, base=0.5, cap=60.0, rng=rng) for _ in range(200)]
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling / 2  # actually spread, not a constant


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    """Same seed, same delays (deterministic tests and benchmarks)."""
    a = [backoff_delay(i, rng=random.Random(7)) for i in range(5)]
    b = [backoff_delay(i, rng=random.Random(7)) for i in range(5)]
    assert a == b


def test_retry_delay_honours_retry_after() -> None:
    """A 429's Retry-After is a floor; other transient errors use the backoff."""
    limited = RateLimited("slow down", retry_after=120.0)
    assert retry_delay(limited, 0, rng=random.Random(1)) == 120.0
    assert retry_delay(TransientError("5xx"), 0, base=1, rng=random.Random(1)) <= 1.0


def test_registry_refuses_two_connectors_with_one_name() -> None:
    """Names are unique; registering the same class twice is harmless."""
    register(_Dummy)
    register(_Dummy)
    assert connectors.get("test-dummy") is _Dummy

    class _Other(_Dummy):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register(_Other)


def test_registry_unknown_name_lists_known_ones() -> None:
    """A typo tells what exists."""
    with pytest.raises(KeyError, match="google-calendar"):
        connectors.get("gogle-calendar")


def test_register_needs_a_manifest() -> None:
    """A class without a Manifest cannot be registered."""
    with pytest.raises(TypeError):
        register(type("NoManifest", (), {}))  # type: ignore[type-var]


def test_manifest_endpoint_override() -> None:
    """Only OAuth URLs can be replaced (pointing a connector at a fake)."""
    moved = _MANIFEST.with_endpoints(token_url="http://127.0.0.1:1/token")
    assert moved.token_url == "http://127.0.0.1:1/token" and moved.name == _MANIFEST.name
    with pytest.raises(ValueError):
        _MANIFEST.with_endpoints(name="evil")


def test_push_is_not_supported_by_default() -> None:
    """Connectors without push say so with NotSupported."""
    with _Dummy(StaticTokenProvider("t")) as dummy:
        assert dummy.check().id == "me"
        with pytest.raises(NotSupported):
            dummy.subscribe("things", "https://hub.example/push")
        with pytest.raises(NotSupported):
            dummy.unsubscribe(Channel("c", "r", "t", None))
        with pytest.raises(NotSupported):
            dummy.verify_notification({}, b"", Channel("c", "r", "t", None))
        with pytest.raises(NotSupported):
            dummy.parse_notification({}, b"")
        with pytest.raises(NotSupported):
            dummy.get("things", "1")


def test_oauth_token_from_response() -> None:
    """Absolute expiry from expires_in; scope string split; expiry check with leeway."""
    token = OAuthToken.from_response(
        {"access_token": "a", "expires_in": 3600, "scope": "x y", "token_type": "Bearer"},
        now=1000.0,
    )
    assert token.expires_at == 4600.0 and token.scopes == ("x", "y")
    assert not token.expires_within(60, now=1000.0)
    assert token.expires_within(60, now=4560.0)
