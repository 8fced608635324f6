"""RS256 signing keys: generated on first start, kept encrypted in the database, as JWKS."""

from __future__ import annotations

import threading
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub import crypto
from hub.config import Settings
from hub.db import Database, transaction
from hub.models import SigningKey
from hub.timeutil import utcnow


class KeyStore:
    """Loads the active signing key once per process and caches public keys by `kid`."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._db = database
        self._settings = settings
        self._lock = threading.Lock()
        self._signing: RSAKey | None = None
        self._public: dict[str, RSAKey] = {}

    def signing_key(self) -> RSAKey:
        """The active private key (created and stored if there is none yet)."""
        if self._signing is None:
            with self._lock:
                if self._signing is None:
                    self._signing = self._load_or_create()
        return self._signing

    def public_key(self, kid: str) -> RSAKey | None:
        """The public key with this `kid`, or None if the hub never issued it."""
        key = self._public.get(kid)
        if key is None:
            with self._db.session() as session:
                row = session.get(SigningKey, kid)
                if row is None:
                    return None
                key = RSAKey.import_key(row.public_jwk)
            self._public[kid] = key
        return key

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set."""
        with self._db.session() as session:
            rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
            return {"keys": [dict(r.public_jwk) for r in rows]}

    def _load_or_create(self) -> RSAKey:
        with self._db.session() as session:
            row = session.scalars(
                select(SigningKey)
                .where(SigningKey.active.is_(True))
                .order_by(SigningKey.created_at.desc())
            ).first()
            if row is None:
                key = RSAKey.generate_key(2048, auto_kid=True)
                public = key.as_dict(private=False)
                public.update({"use": "sig", "alg": "RS256"})
                try:
                    with transaction(session):
                        session.add(
                            SigningKey(
                                kid=key.kid,
                                private_pem=crypto.encrypt(
                                    self._settings, key.as_pem(private=True).decode()
                                ),
                                public_jwk=public,
                                created_at=utcnow(),
                                active=True,
                            )
                        )
                except IntegrityError:  # pragma: no cover - two processes raced; reload theirs
                    return self._load_or_create()
                return key
            pem = crypto.decrypt(self._settings, row.private_pem)
            return RSAKey.import_key(pem, {"kid": row.kid})
