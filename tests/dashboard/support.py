"""Dashboard test helpers: users with passwords, signing in through the real form (CSRF)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_db
from hub.services import users
from hub.timeutil import utcnow

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class User:
    """A dashboard user and his password."""

    id: str
    account_id: str
    email: str
    role: str
    password: str = PASSWORD


def make_user(app: Flask, account_id: str, email: str, role: str = "owner") -> User:
    """A user of `account_id` who already chose PASSWORD (through his one-time link)."""
    with get_db(app).session() as session:
        row = users.create_user(session, account_id, email, role)
        token = users.issue_link(session, row.id, "set_password", utcnow())
        users.set_password(session, token, PASSWORD, utcnow())
        return User(row.id, account_id, row.email, role)


def csrf_from(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/dashboard/login") -> str:
    """A valid CSRF token for this client's session, read from a page."""
    return csrf_from(client.get(path).get_data(as_text=True))


def sign_in(client: FlaskClient, user: User, password: str | None = None, next_url: str = ""):
    """Submit the sign-in form as a browser would."""
    token = csrf_token(client)
    return client.post(
        "/dashboard/login",
        data={
            "email": user.email,
            "password": password or user.password,
            "csrf_token": token,
            "next": next_url,
        },
    )
