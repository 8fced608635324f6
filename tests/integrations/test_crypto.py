"""Encryption at rest (Fernet / MultiFernet): generated key, rotation, re-encryption."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hub import crypto
from hub.config import Settings
from hub.integrations.keys import rotate_encryption
from hub.integrations.runtime import SyncRuntime
from tests.integrations.conftest import connection


def _settings(tmp_path: Path, keys: str = "") -> Settings:
    return Settings(
        data_dir=tmp_path, database_url="sqlite://", secret_key="s", encryption_keys=keys
    )


def test_a_key_is_generated_once_into_the_data_dir(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No IVALID_ENCRYPTION_KEYS: a key file (mode 600) is created and the log says so."""
    settings = _settings(tmp_path)
    token = crypto.encrypt(settings, "ya29.secret")
    key_file = tmp_path / crypto.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "IVALID_ENCRYPTION_KEYS is not set" in caplog.text
    assert "ya29" not in token and crypto.decrypt(settings, token) == "ya29.secret"
    assert Fernet(key_file.read_text().encode()).decrypt(token.encode()) == b"ya29.secret"


def test_rotation_keeps_old_values_readable(tmp_path: Path) -> None:
    """A new key in front: old values still decrypt, rotate() re-encrypts with the new key,
    after which the old key can go."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = crypto.encrypt(_settings(tmp_path, old), "refresh")
    both = _settings(tmp_path, f"{new},{old}")
    assert crypto.decrypt(both, stored) == "refresh"
    rotated = crypto.rotate(both, stored)
    assert crypto.decrypt(_settings(tmp_path, new), rotated) == "refresh"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(_settings(tmp_path, new), stored)


def test_a_bad_key_is_refused(tmp_path: Path) -> None:
    """A typo in IVALID_ENCRYPTION_KEYS fails loudly rather than encrypting with garbage."""
    with pytest.raises(ValueError, match="not a Fernet key"):
        crypto.encrypt(_settings(tmp_path, "not-a-key"), "x")


def test_rotate_encryption_reencrypts_every_token(rt: SyncRuntime, connected: str) -> None:
    """`rotate_encryption` after adding a key: tokens readable with the new key alone."""
    before = connection(rt, connected)
    clear = crypto.decrypt(rt.settings, before.access_token)
    new = Fernet.generate_key().decode()
    current = crypto.box(rt.settings)  # the generated key of the test data dir
    old_key = (rt.settings.data_dir / crypto.KEY_FILE).read_text().strip()
    assert current.decrypt(before.access_token.encode())
    rotated_settings = dataclasses.replace(rt.settings, encryption_keys=f"{new},{old_key}")
    try:
        counts = rotate_encryption(rt.db, rotated_settings)
        assert counts.connections == 1
        after = connection(rt, connected)
        only_new = dataclasses.replace(rt.settings, encryption_keys=new)
        assert crypto.decrypt(only_new, after.access_token) == clear
        assert crypto.decrypt(only_new, after.refresh_token or "")
    finally:
        # The rotation re-encrypts the signing keys too, and they outlive the test: back to the
        # data directory's key for the tests that follow.
        rotate_encryption(
            rt.db, dataclasses.replace(rt.settings, encryption_keys=f"{old_key},{new}")
        )
