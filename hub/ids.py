"""Prefixed, random, unguessable identifiers (`apt_…`, `cust_…`)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
# Bytes at or above this value are skipped so that every character is equally likely.
_UNBIASED = 256 - 256 % len(_ALPHABET)


def new_id(prefix: str, length: int = 20) -> str:
    """A new id: the prefix, an underscore and `length` base62 characters (~119 bits for 20)."""
    chars: list[str] = []
    while len(chars) < length:
        chars.extend(_ALPHABET[b % 62] for b in secrets.token_bytes(length + 8) if b < _UNBIASED)
    return f"{prefix}_" + "".join(chars[:length])
