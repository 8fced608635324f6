"""Account users: creation, one-time links, passwords (argon2), sign-in limits, TOTP.

Roles and what each may do are written down in docs/dashboard.md and enforced by
`hub.dashboard.roles`; this module only knows who a person is and how he proves it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hub import crypto
from hub.config import Settings
from hub.db import transaction
from hub.ids import new_id
from hub.models import Account, AccountUser, SignInAttempt, UserToken
from hub.models.user import ROLES

LINK_TTL = {"set_password": timedelta(days=7), "invitation": timedelta(days=7)}
LINK_TTL["reset"] = timedelta(hours=1)
MIN_PASSWORD = 12
# Failed sign-ins counted over WINDOW: per e-mail (one person guessed at) and per address
# (one machine guessing many people). Past either limit every attempt is refused unchecked.
WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_ADDRESS = 20

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


class UserError(ValueError):
    """A bad argument: unknown account, bad e-mail or role, weak password, dead link."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normal_email(email: str) -> str:
    """The e-mail as stored (validated, domain lower-cased, local part lower-cased)."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError("invalid_email", str(exc)) from exc


def create_user(session: Session, account_id: str, email: str, role: str) -> AccountUser:
    """A new user without a password (he sets it through a one-time link)."""
    if role not in ROLES:
        raise UserError("invalid_role", f"role must be one of {', '.join(ROLES)}")
    address = normal_email(email)
    with transaction(session):
        if session.get(Account, account_id) is None:
            raise UserError("unknown_account", f"unknown account {account_id}")
        if session.scalar(select(AccountUser.id).where(AccountUser.email == address)):
            raise UserError("email_taken", f"{address} already has a sign-in")
        user = AccountUser(
            id=new_id("usr"),
            account_id=account_id,
            email=address,
            role=role,
            active=True,
            session_version=1,
        )
        session.add(user)
    return user


def issue_link(session: Session, user_id: str, purpose: str, now: datetime) -> str:
    """A one-time token for `purpose`; earlier unused links of the same purpose die."""
    token = secrets.token_urlsafe(32)
    with transaction(session):
        session.execute(
            delete(UserToken).where(
                UserToken.user_id == user_id,
                UserToken.purpose == purpose,
                UserToken.used_at.is_(None),
            )
        )
        session.add(
            UserToken(
                token_hash=_digest(token),
                user_id=user_id,
                purpose=purpose,
                created_at=now,
                expires_at=now + LINK_TTL[purpose],
            )
        )
    return token


def link_user(session: Session, token: str, now: datetime) -> AccountUser | None:
    """The user a still-valid link belongs to (without using it), or None."""
    row = session.get(UserToken, _digest(token)) if 16 <= len(token) <= 128 else None
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = session.get(AccountUser, row.user_id)
    return user if user is not None and user.active else None


def set_password(session: Session, token: str, password: str, now: datetime) -> AccountUser:
    """Use a link to choose a password; other sessions of the user are signed out."""
    if len(password) < MIN_PASSWORD:
        raise UserError("weak_password", f"at least {MIN_PASSWORD} characters")
    with transaction(session):
        used = session.execute(
            update(UserToken)
            .where(
                UserToken.token_hash == _digest(token),
                UserToken.used_at.is_(None),
                UserToken.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if not used.rowcount:  # type: ignore[attr-defined]
            raise UserError("invalid_link", "this link has expired or was already used")
        row = session.get(UserToken, _digest(token))
        assert row is not None
        user = session.get(AccountUser, row.user_id, with_for_update=True)
        if user is None or not user.active:
            raise UserError("invalid_link", "this link has expired or was already used")
        user.password_hash = _hasher.hash(password)
        user.session_version += 1
    return user


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password check."""

    status: str  # ok | totp_required | invalid | limited
    user: AccountUser | None = None


def _failures(session: Session, column: Any, value: str, since: datetime) -> int:
    return int(
        session.scalar(select(func.count()).where(column == value, SignInAttempt.at > since)) or 0
    )


def limited(session: Session, email: str, address: str, now: datetime) -> bool:
    """True when this e-mail or this address failed too often within the window."""
    since = now - WINDOW
    over = (
        _failures(session, SignInAttempt.email, email.strip().lower()[:254], since) >= MAX_PER_EMAIL
        or _failures(session, SignInAttempt.address, address[:64], since) >= MAX_PER_ADDRESS
    )
    session.rollback()
    return over


def record_failure(session: Session, email: str, address: str, now: datetime) -> None:
    """Count one failed attempt (a wrong password or code, a probe for an e-mail)."""
    with transaction(session):
        session.add(SignInAttempt(email=email.strip().lower()[:254], address=address[:64], at=now))


def check_password(
    session: Session, email: str, password: str, address: str, now: datetime
) -> SignIn:
    """Check an e-mail and password, counting failures per e-mail and per address."""
    email = email.strip().lower()[:254]
    address = address[:64]
    if limited(session, email, address, now):
        return SignIn("limited")
    user = session.scalars(select(AccountUser).where(AccountUser.email == email)).first()
    stored = user.password_hash if user is not None and user.active else None
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    with transaction(session):
        if not ok or user is None:
            session.add(SignInAttempt(email=email, address=address, at=now))
            return SignIn("invalid")
        # A success forgives this person's earlier mistakes, not the address's.
        session.execute(
            delete(SignInAttempt).where(
                SignInAttempt.email == email, SignInAttempt.address == address
            )
        )
        if stored and _hasher.check_needs_rehash(stored):
            user.password_hash = _hasher.hash(password)
    return SignIn("totp_required" if user.totp_secret else "ok", user)


def record_sign_in(session: Session, user_id: str, now: datetime) -> None:
    """Remember when the user last signed in."""
    with transaction(session):
        session.execute(
            update(AccountUser).where(AccountUser.id == user_id).values(last_sign_in_at=now)
        )


def new_totp_secret() -> str:
    """A base32 secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="iValid")


def verify_totp(secret: str, code: str, now: datetime) -> bool:
    """True for the current code (or the one before or after: clocks drift)."""
    code = code.strip().replace(" ", "")
    return code.isdigit() and pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)


def enable_totp(
    session: Session, settings: Settings, user_id: str, secret: str, code: str, now: datetime
) -> bool:
    """Turn the second factor on once the user proved his app shows the right code."""
    if not verify_totp(secret, code, now):
        return False
    with transaction(session):
        user = session.get(AccountUser, user_id, with_for_update=True)
        if user is None or user.role != "owner":
            return False
        user.totp_secret = crypto.encrypt(settings, secret)
    return True


def totp_ok(settings: Settings, user: AccountUser, code: str, now: datetime) -> bool:
    """Check a second-factor code of a user who has one."""
    if not user.totp_secret:
        return True
    return verify_totp(crypto.decrypt(settings, user.totp_secret), code, now)


def account_users(session: Session, account_id: str) -> list[AccountUser]:
    """The people of an account, by e-mail."""
    return list(
        session.scalars(
            select(AccountUser)
            .where(AccountUser.account_id == account_id)
            .order_by(AccountUser.email)
        )
    )
