"""Prefixed, random, unguessable identifiers (`apt_…`, `cust_…`)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 20) -> str:
    """A new id: the prefix, an underscore and `length` base62 characters (~119 bits)."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
