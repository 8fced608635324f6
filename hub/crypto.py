"""Encryption at rest of third-party secrets (OAuth tokens): Fernet keys with rotation.

Keys come from IVALID_ENCRYPTION_KEYS, newest first, comma-separated: MultiFernet encrypts
with the first and decrypts with any, so adding a key in front and re-encrypting
(`rotate`) retires the old one without downtime. Without the variable, a key is generated on
first use into `<data dir>/encryption_key` (mode 600) and a warning says so: fine for one
machine, but every process of an installation must share the keys, so set the variable when
you run more than one.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.config import Settings
from hub.secretfile import read_or_create

log = logging.getLogger(__name__)
KEY_FILE = "encryption_key"


class DecryptionError(RuntimeError):
    """A stored value cannot be decrypted with the configured keys."""


def generate_key() -> str:
    """A new Fernet key (url-safe base64 of 32 random bytes)."""
    return Fernet.generate_key().decode("ascii")


def _generated_key(data_dir: Path) -> str:
    """The key kept in the data directory, created on first use (first writer wins)."""
    path = data_dir / KEY_FILE
    key, created = read_or_create(path, generate_key)
    if created:
        log.warning(
            "IVALID_ENCRYPTION_KEYS is not set: generated an encryption key in %s. "
            "Back it up, and set IVALID_ENCRYPTION_KEYS on every machine of a multi-host "
            "installation.",
            path,
        )
    return key


def parse_keys(text: str) -> list[str]:
    """The comma-separated keys of IVALID_ENCRYPTION_KEYS, validated (ValueError if bad)."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ValueError("IVALID_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc
    return keys


@lru_cache(maxsize=8)
def _box(encryption_keys: str, data_dir: str) -> MultiFernet:
    keys = parse_keys(encryption_keys) or [_generated_key(Path(data_dir))]
    return MultiFernet([Fernet(k) for k in keys])


def box(settings: Settings) -> MultiFernet:
    """The MultiFernet of these settings (cached)."""
    return _box(settings.encryption_keys, str(settings.data_dir))


def encrypt(settings: Settings, clear: str) -> str:
    """The stored (encrypted) form of `clear`."""
    return box(settings).encrypt(clear.encode("utf-8")).decode("ascii")


def decrypt(settings: Settings, stored: str) -> str:
    """The clear text behind a stored value; DecryptionError if no key opens it."""
    try:
        return box(settings).decrypt(stored.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            "stored secret cannot be decrypted: check IVALID_ENCRYPTION_KEYS"
        ) from exc


def encrypt_optional(settings: Settings, clear: str | None) -> str | None:
    """`encrypt`, passing None through."""
    return None if clear is None else encrypt(settings, clear)


def decrypt_optional(settings: Settings, stored: str | None) -> str | None:
    """`decrypt`, passing None through."""
    return None if stored is None else decrypt(settings, stored)


def rotate(settings: Settings, stored: str) -> str:
    """`stored` re-encrypted with the newest key (DecryptionError if no key opens it)."""
    try:
        return box(settings).rotate(stored.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("stored secret cannot be decrypted for rotation") from exc
