"""`ivalid`: serve, worker, db upgrade, accounts/clients/keys create, demo."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from hub.config import Settings


def _out(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


@contextmanager
def _closing_session() -> Iterator[Any]:
    """A session on a database whose connections are closed afterwards."""
    from hub.db import Database

    settings = Settings.from_env()
    database = Database(settings.database_url, settings=settings)
    try:
        with database.session() as session:
            yield session
    finally:
        database.engine.dispose()


@click.group()
def main() -> None:
    """iValid Hub: the v2 API, the worker and administration commands."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Flask's development server (one process, threads).")
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the API (gunicorn; --dev for Flask's server)."""
    if dev:
        from hub import create_app
        from hub.accesslog import install_dev_filter

        install_dev_filter()
        create_app().run(host=host, port=port, threaded=True, use_reloader=False)
        return
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "hub.wsgi:app",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--logger-class",
        "hub.accesslog.RedactingLogger",  # no OAuth code/state (no query value) in the log
        "--graceful-timeout",
        "20",
    ]
    os.execv(sys.executable, args)


@main.command()
def worker() -> None:
    """Run the background worker (event dispatch, reminders, syncs)."""
    from scheduler.runner import run_worker

    run_worker()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def db_upgrade(revision: str, as_json: bool) -> None:
    """Apply migrations up to REVISION."""
    from hub.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url, revision, settings)
    _out(as_json, {"status": "ok", "revision": revision}, f"database upgraded to {revision}")


@main.group()
def accounts() -> None:
    """Accounts (companies)."""


@accounts.command("create")
@click.option("--name", required=True)
@click.option("--timezone", default="Europe/Paris", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def accounts_create(name: str, timezone: str, as_json: bool) -> None:
    """Create an account."""
    from hub.services.credentials import CredentialError, create_account

    with _closing_session() as session:
        try:
            account = create_account(session, name, timezone)
        except CredentialError as exc:
            raise click.UsageError(str(exc)) from exc
        _out(
            as_json,
            {"id": account.id, "name": account.name, "timezone": account.timezone},
            f"account {account.id} ({account.name})",
        )


def _issue(kind: str, account: str, env: str, scopes: str | None, name: str, as_json: bool) -> None:
    from hub.services.credentials import CredentialError, create_client, create_key

    make = create_client if kind == "client" else create_key
    with _closing_session() as session:
        try:
            issued = make(session, account, env, scopes, name)
        except CredentialError as exc:
            raise click.UsageError(str(exc)) from exc
    if kind == "client":
        data = {
            "client_id": issued.id,
            "client_secret": issued.secret,
            "environment": issued.environment,
            "scope": issued.scopes,
        }
        text = (
            f"client_id:     {issued.id}\nclient_secret: {issued.secret}\n"
            f"environment:   {issued.environment}\nscope:         {issued.scopes}\n"
            "(the secret is shown once: store it now)"
        )
    else:
        data = {
            "id": issued.id,
            "api_key": issued.secret,
            "environment": issued.environment,
            "scope": issued.scopes,
        }
        text = (
            f"api_key:     {issued.secret}\nenvironment: {issued.environment}\n"
            f"scope:       {issued.scopes}\n(the key is shown once: store it now)"
        )
    _out(as_json, data, text)


_ENV = click.Choice(["production", "sandbox"])


@main.group()
def clients() -> None:
    """OAuth clients (client_credentials)."""


@clients.command("create")
@click.option("--account", required=True)
@click.option("--env", type=_ENV, default="sandbox", show_default=True)
@click.option("--scopes", default=None, help="Space- or comma-separated; default: all.")
@click.option("--name", default="")
@click.option("--json", "as_json", is_flag=True)
def clients_create(account: str, env: str, scopes: str | None, name: str, as_json: bool) -> None:
    """Create a client; prints client_id and client_secret once."""
    _issue("client", account, env, scopes, name, as_json)


@main.group()
def apps() -> None:
    """Registered apps (authorization code + PKCE): Zapier, Make, your own."""


@apps.command("create")
@click.option("--name", required=True, help="Shown on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--account", default=None, help="Only this account's users; default: any.")
@click.option("--env", type=_ENV, default="production", show_default=True)
@click.option("--scopes", default=None, help="What the app may ask for; default: all but admin.")
@click.option("--platform", type=click.Choice(["zapier", "make"]), default=None)
@click.option("--json", "as_json", is_flag=True)
def apps_create(
    name: str,
    redirect_uris: tuple[str, ...],
    account: str | None,
    env: str,
    scopes: str | None,
    platform: str | None,
    as_json: bool,
) -> None:
    """Register an app; prints client_id and client_secret once."""
    from hub.services.apps import create_app
    from hub.services.credentials import CredentialError

    with _closing_session() as session:
        try:
            issued = create_app(session, name, list(redirect_uris), account, env, scopes, platform)
        except CredentialError as exc:
            raise click.UsageError(str(exc)) from exc
    _out(
        as_json,
        {
            "client_id": issued.id,
            "client_secret": issued.secret,
            "environment": issued.environment,
            "scope": issued.scopes,
            "redirect_uris": list(redirect_uris),
        },
        f"client_id:     {issued.id}\nclient_secret: {issued.secret}\n"
        f"environment:   {issued.environment}\nscope:         {issued.scopes}\n"
        "(the secret is shown once: store it now)",
    )


@apps.command("list")
@click.option("--account", default=None)
@click.option("--json", "as_json", is_flag=True)
def apps_list(account: str | None, as_json: bool) -> None:
    """The registered apps (with --account: those its users may authorize)."""
    from hub.services.apps import list_apps

    with _closing_session() as session:
        rows = list_apps(session, account)
    text = "\n".join(
        f"{r['client_id']}  {r['name']}  {r['account_id'] or '(installation)'}  "
        f"{r['environment']}  grants={r['active_grants']}" + ("  REVOKED" if r["revoked"] else "")
        for r in rows
    )
    _out(as_json, {"data": rows}, text or "no apps")


@apps.command("revoke")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def apps_revoke(client_id: str, as_json: bool) -> None:
    """Revoke an app: every grant made to it, their tokens and hooks."""
    from hub.errors import NotFound
    from hub.services.apps import revoke_app

    with _closing_session() as session:
        try:
            changed = revoke_app(session, client_id)
        except NotFound as exc:
            raise click.UsageError(f"unknown app {client_id}") from exc
    _out(
        as_json,
        {"client_id": client_id, "revoked": True, "was_live": changed},
        f"app {client_id} revoked" + ("" if changed else " (it already was)"),
    )


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--account", required=True)
@click.option("--env", type=_ENV, default="sandbox", show_default=True)
@click.option("--scopes", default=None, help="Space- or comma-separated; default: all.")
@click.option("--name", default="")
@click.option("--json", "as_json", is_flag=True)
def keys_create(account: str, env: str, scopes: str | None, name: str, as_json: bool) -> None:
    """Create an API key; prints it once."""
    _issue("key", account, env, scopes, name, as_json)


def _revoke(kind: str, credential_id: str, as_json: bool) -> None:
    from hub.errors import NotFound
    from hub.services.credentials import revoke_client, revoke_key

    revoke = revoke_key if kind == "key" else revoke_client
    with _closing_session() as session:
        try:
            changed = revoke(session, None, credential_id)
        except NotFound as exc:
            raise click.UsageError(f"unknown {kind} {credential_id}") from exc
    _out(
        as_json,
        {"id": credential_id, "revoked": True, "was_live": changed},
        f"{kind} {credential_id} revoked" + ("" if changed else " (it already was)"),
    )


@keys.command("revoke")
@click.argument("key_id")
@click.option("--json", "as_json", is_flag=True)
def keys_revoke(key_id: str, as_json: bool) -> None:
    """Revoke an API key now."""
    _revoke("key", key_id, as_json)


@clients.command("revoke")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def clients_revoke(client_id: str, as_json: bool) -> None:
    """Revoke an OAuth client and every token it was issued."""
    _revoke("client", client_id, as_json)


@main.group()
def users() -> None:
    """People who sign in to the dashboard."""


@users.command("create")
@click.option("--account", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["owner", "developer", "dispatcher"]), required=True)
@click.option("--json", "as_json", is_flag=True)
def users_create(account: str, email: str, role: str, as_json: bool) -> None:
    """Create a dashboard user; prints a one-time link to choose the password (7 days)."""
    from hub.services.users import UserError, create_user, issue_link
    from hub.timeutil import utcnow

    base = Settings.from_env().public_url.rstrip("/")
    with _closing_session() as session:
        try:
            user = create_user(session, account, email, role)
        except UserError as exc:
            raise click.UsageError(str(exc)) from exc
        token = issue_link(session, user.id, "set_password", utcnow())
    link = f"{base}/dashboard/password/{token}"
    _out(
        as_json,
        {"id": user.id, "email": user.email, "role": user.role, "set_password_url": link},
        f"user {user.id} ({user.email}, {user.role})\nset the password (one use, 7 days): {link}",
    )


@main.command()
@click.option("--name", default="Démo Climatisation Paris", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def demo(name: str, as_json: bool) -> None:
    """Create a sandbox account with the spec's example data, and its credentials."""
    from hub.services import demo as demo_data
    from hub.services.credentials import create_account, create_client, create_key

    settings = Settings.from_env()
    with _closing_session() as session:
        account = create_account(session, name)
        ids = demo_data.seed(session, account.id, "sandbox")
        client = create_client(session, account.id, "sandbox", None, "demo")
        key = create_key(session, account.id, "sandbox", None, "demo")
    base = settings.public_url.rstrip("/")
    data = {
        "account_id": account.id,
        "environment": "sandbox",
        "client_id": client.id,
        "client_secret": client.secret,
        "api_key": key.secret,
        "scope": client.scopes,
        "base_url": f"{base}/v2",
        **ids,
    }
    token_call = (
        f"curl -s -X POST {base}/oauth/token -H 'Content-Type: application/json' "
        f'-d \'{{"grant_type":"client_credentials","client_id":"{client.id}",'
        f'"client_secret":"{client.secret}","scope":"appointments:read '
        f"appointments:write customers:read\"}}'"
    )
    text = (
        f"Sandbox account {account.id} ({name})\n"
        f"  client_id:     {client.id}\n  client_secret: {client.secret}\n"
        f"  api_key:       {key.secret}\n\n"
        f"Get a token:\n  {token_call}\n\n"
        f"First call:\n  curl -s {base}/v2/appointments -H 'Authorization: Bearer {key.secret}' "
        f"-H 'Content-Type: application/json'\n"
    )
    _out(as_json, data, text)


@main.group()
def sandbox() -> None:
    """Sandbox environments (the worker resets each one to the demo data every 24 h)."""


@sandbox.command("reset")
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    help="Account id (repeatable); default: every account.",
)
@click.option("--json", "as_json", is_flag=True)
def sandbox_reset(account_ids: tuple[str, ...], as_json: bool) -> None:
    """Reset sandboxes to the demo data now; production data is never touched."""
    from sqlalchemy import select

    from hub.db import Database
    from hub.models import Account
    from hub.services import sandbox as sandbox_service
    from hub.timeutil import utcnow

    settings = Settings.from_env()
    database = Database(settings.database_url, settings=settings)
    try:
        with database.session() as session:
            known = set(session.scalars(select(Account.id)))
        targets = list(account_ids) or sorted(known)
        unknown = [a for a in targets if a not in known]
        if unknown:
            raise click.UsageError(f"unknown account(s): {', '.join(unknown)}")
        done = [a for a in targets if sandbox_service.reset(database, a, utcnow(), force=True)]
    finally:
        database.engine.dispose()
    busy = [a for a in targets if a not in done]
    _out(
        as_json,
        {"reset": done, "busy": busy},
        "\n".join(
            [f"sandbox of {a} reset to the demo data" for a in done]
            + [f"sandbox of {a} is being reset by a worker right now" for a in busy]
        )
        or "no account",
    )


if __name__ == "__main__":  # pragma: no cover
    main()


@keys.command("rotate-encryption")
@click.option("--json", "as_json", is_flag=True)
def keys_rotate_encryption(as_json: bool) -> None:
    """Re-encrypt every stored secret with the newest IVALID_ENCRYPTION_KEYS key."""
    from hub.db import Database
    from hub.integrations.keys import rotate_encryption

    settings = Settings.from_env()
    database = Database(settings.database_url, settings=settings)
    try:
        result = rotate_encryption(database, settings)
    finally:
        database.engine.dispose()
    counts = dataclasses.asdict(result)
    _out(
        as_json,
        {"status": "ok", **counts},
        "re-encrypted: " + ", ".join(f"{v} {k}" for k, v in counts.items()),
    )
