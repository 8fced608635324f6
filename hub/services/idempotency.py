"""Idempotency-Key on POST: same key and body replay the first response for 24 hours.

Stored answers are encrypted with the key ring (`hub.crypto`): some carry a secret shown once
(a webhook's signing secret on creation and rotation), and a database dump must not leak it.
A replay decrypts the answer for the credential that claimed the key, and no one else.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from cryptography.fernet import InvalidToken
from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from hub import crypto
from hub.auth.guard import Principal
from hub.db import get_db, transaction
from hub.errors import ApiError, error_response
from hub.models import IdempotencyRecord
from hub.timeutil import utcnow

HEADER = "Idempotency-Key"


def _fingerprint() -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0" + request.full_path.encode() + b"\0")
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def begin(principal: Principal) -> Response | None:
    """Claim the request's key, or answer with the stored response; None when no key is sent."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 255:
        raise ApiError(400, "BAD_REQUEST", {"header": HEADER, "reason": "1 to 255 characters"})
    fingerprint = _fingerprint()
    ttl = timedelta(seconds=current_app.config["IVALID"].idempotency_ttl)
    # Its own session: the claim must be committed before the operation starts, and must not
    # share a transaction with it.
    with get_db().session() as session:
        for _ in range(3):
            try:
                with transaction(session):
                    session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.credential_id == principal.credential_id,
                            IdempotencyRecord.key == key,
                            IdempotencyRecord.created_at < utcnow() - ttl,
                        )
                    )
                    record = IdempotencyRecord(
                        account_id=principal.account_id,
                        credential_id=principal.credential_id,
                        key=key,
                        fingerprint=fingerprint,
                        created_at=utcnow(),
                    )
                    session.add(record)
                g.idempotency_record = record.id
                return None
            except IntegrityError:
                session.rollback()
            existing = session.scalars(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.credential_id == principal.credential_id,
                    IdempotencyRecord.key == key,
                )
            ).first()
            if existing is None:
                continue  # expired and removed meanwhile: claim again
            if existing.fingerprint != fingerprint:
                raise ApiError(422, "IDEMPOTENCY_KEY_REUSED", {"idempotency_key": key})
            if existing.status_code is None:
                raise ApiError(409, "IDEMPOTENCY_IN_PROGRESS", {"idempotency_key": key})
            resp = Response(
                open_body(existing.response_body),
                status=existing.status_code,
                mimetype="application/json",
            )
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
    raise ApiError(409, "IDEMPOTENCY_IN_PROGRESS", {"idempotency_key": key})


def seal_body(body: bytes) -> bytes:
    """The stored (encrypted) form of a response body."""
    return crypto.box(current_app.config["IVALID"]).encrypt(body)


def open_body(stored: bytes | None) -> bytes:
    """The response body behind its stored form."""
    if not stored:
        return b""
    try:
        return crypto.box(current_app.config["IVALID"]).decrypt(stored)
    except InvalidToken as exc:
        raise crypto.DecryptionError("stored response cannot be decrypted") from exc


def _store(status: int, body: bytes) -> None:
    record_id = g.pop("idempotency_record", None)
    if record_id is None:
        return
    with get_db().session() as session, transaction(session):
        record = session.get(IdempotencyRecord, record_id)
        if record is not None:
            record.status_code = status
            record.response_body = seal_body(body)


def finish(resp: Response) -> None:
    """Keep the response of a request that claimed a key."""
    if resp.status_code >= 500:
        abandon()
    else:
        _store(resp.status_code, resp.get_data())


def finish_error(err: ApiError) -> None:
    """Keep an error answer too (a retry must not turn a 409 into a 201), except transient ones."""
    if err.status in (401, 403, 429) or err.status >= 500 or err.code == "IDEMPOTENCY_IN_PROGRESS":
        abandon()
    else:
        _store(err.status, error_response(err).get_data())


def abandon() -> None:
    """Release the key after a failure the client may retry (5xx)."""
    record_id = g.pop("idempotency_record", None)
    if record_id is None:
        return
    with get_db().session() as session, transaction(session):
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
