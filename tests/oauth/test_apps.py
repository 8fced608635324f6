"""`ivalid apps` and the dashboard's apps page: registered apps, authorized apps, revocation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from hub.cli import main
from tests.oauth.conftest import Person, connect, sign_in
from tests.oauth_support import (
    CSRF,
    MAKE_LEGACY_REDIRECT,
    MAKE_REDIRECT,
    ZAPIER_REDIRECT,
    RegisteredApp,
)
from tests.support import Api, Tenant


def _env(base_config: dict[str, Any]) -> dict[str, str]:
    return {
        "IVALID_DATABASE_URL": base_config["database_url"],
        "IVALID_DATA_DIR": str(base_config["data_dir"]),
    }


def _cli(base_config: dict[str, Any], *args: str) -> Any:
    return CliRunner().invoke(main, ["apps", *args], env=_env(base_config))


def test_cli_registers_lists_and_revokes_an_app(
    app: Flask, client: FlaskClient, base_config: dict[str, Any], tenant: Tenant, person: Person
) -> None:
    out = _cli(
        base_config,
        "create",
        "--name",
        "Make",
        "--redirect-uri",
        MAKE_REDIRECT,
        "--redirect-uri",
        MAKE_LEGACY_REDIRECT,
        "--env",
        "sandbox",
        "--json",
    )
    assert out.exit_code == 0, out.output
    made = json.loads(out.output)
    assert made["client_id"].startswith("app_") and made["client_secret"].startswith("cs_")
    listed = json.loads(_cli(base_config, "list", "--json").output)["data"]
    [row] = listed
    assert row["platform"] == "make" and row["account_id"] is None
    assert "client_secret" not in row and made["client_secret"] not in json.dumps(listed)
    reg = RegisteredApp(made["client_id"], made["client_secret"], MAKE_REDIRECT)
    tokens = connect(client, reg, person)
    api = Api(client, tokens["access_token"])
    assert api.get("/v2/me").status_code == 200
    gone = _cli(base_config, "revoke", made["client_id"], "--json")
    assert gone.exit_code == 0 and json.loads(gone.output)["was_live"] is True
    app.extensions["ivalid_credential_cache"].clear()  # the CLI ran in another app
    assert api.get("/v2/me").status_code == 401
    assert _cli(base_config, "revoke", "app_nope").exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--redirect-uri", "http://zapier.com/cb"], "https"),
        (["--name", "X", "--redirect-uri", "https://a.example/cb#frag"], "fragment"),
        (["--name", "X", "--redirect-uri", "/relative"], "absolute"),
        (
            ["--name", "X", "--redirect-uri", "https://a.example/cb", "--account", "acct_x"],
            "unknown account",
        ),
        (
            ["--name", "X", "--redirect-uri", "https://a.example/cb", "--scopes", "account:admin"],
            "cannot be granted",
        ),
        (
            ["--name", "X", "--redirect-uri", "https://a.example/cb", "--scopes", "foo:bar"],
            "unknown scopes",
        ),
        (["--name", " ", "--redirect-uri", "https://a.example/cb"], "name"),
    ],
)
def test_cli_refuses_bad_apps(base_config: dict[str, Any], args: list[str], message: str) -> None:
    out = _cli(base_config, "create", *args)
    assert out.exit_code == 2 and message in out.output


def test_the_user_sees_and_revokes_what_he_granted(
    app: Flask, client: FlaskClient, zapier: RegisteredApp, person: Person, tenant: Tenant
) -> None:
    tokens = connect(client, zapier, person, scope="appointments:read customers:read")
    granted = Api(client, tokens["access_token"])
    hook = granted.post(
        "/v2/integrations/zapier/hooks",
        {"target_url": "http://127.0.0.1:9/h", "event": "appointment.created"},
    ).json
    sign_in(client, person.email)
    page = client.get("/dashboard/sandbox/settings/apps")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Zapier" in html and "Lecture des rendez-vous" in html and hook["target_url"] in html
    assert zapier.client_id in html and ZAPIER_REDIRECT in html
    grant_id = granted.get("/v2/me").json["grant_id"]
    # Another user of the account cannot revoke it.
    from tests.oauth_support import make_user

    make_user(app, tenant.account_id, "autre@dupont-plomberie.fr", "owner")
    other = app.test_client()
    sign_in(other, "autre@dupont-plomberie.fr")
    token = CSRF.search(other.get("/dashboard/sandbox/settings/apps").get_data(as_text=True))
    assert token
    url = f"/dashboard/sandbox/settings/apps/grants/{grant_id}/revoke"
    assert other.post(url, data={"csrf_token": token.group(1)}).status_code == 404
    assert granted.get("/v2/me").status_code == 200
    # Without the CSRF token, nothing happens.
    assert client.post(url).status_code == 400
    token = CSRF.search(html)
    assert token
    assert client.post(url, data={"csrf_token": token.group(1)}).status_code == 302
    assert granted.get("/v2/me").status_code == 401
    assert Api(client, tenant.api_key).get("/v2/integrations/zapier").json["hooks"] == []
    after = client.get("/dashboard/sandbox/settings/apps").get_data(as_text=True)
    assert 'class="revoked"' in after
