"""Fixtures of the dashboard tests: users of two accounts, signed-in clients."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.dashboard.support import User, make_user, sign_in
from tests.support import Tenant


@pytest.fixture()
def owner(app: Flask, tenant: Tenant) -> User:
    return make_user(app, tenant.account_id, "owner@tenant-a.fr", "owner")


@pytest.fixture()
def developer(app: Flask, tenant: Tenant) -> User:
    return make_user(app, tenant.account_id, "dev@tenant-a.fr", "developer")


@pytest.fixture()
def dispatcher(app: Flask, tenant: Tenant) -> User:
    return make_user(app, tenant.account_id, "dispatch@tenant-a.fr", "dispatcher")


@pytest.fixture()
def outsider(app: Flask, other_tenant: Tenant) -> User:
    return make_user(app, other_tenant.account_id, "owner@tenant-b.fr", "owner")


@pytest.fixture()
def owner_client(app: Flask, owner: User) -> FlaskClient:
    """A browser signed in as `owner`."""
    c = app.test_client()
    assert sign_in(c, owner).status_code == 302
    return c
