"""Connecting and disconnecting an account's remote system (OAuth 2.0 code flow with PKCE).

`start` stores a state (only its SHA-256), bound to the account and environment, valid ten
minutes, with the PKCE verifier encrypted; the browser goes to the provider's consent page.
`finish` (the callback) consumes the state once, exchanges the code, asks who we are
connected as and which calendars exist, and saves the encrypted tokens (and, for connectors
whose spec keeps a `cache` token store, the serialised token cache, encrypted). Reconnecting
the same remote account keeps the links (nothing is pushed twice); another account starts afresh.
Code exchange and revocation talk to the provider during the request: the user is waiting
for exactly that answer, and no database transaction is open meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, true, update

import connectors
from connectors.base import (
    ConnectorError,
    Identity,
    NotSupported,
    OAuthToken,
    StaticTokenProvider,
)
from hub import crypto
from hub.auth.guard import Principal
from hub.db import transaction
from hub.errors import ApiError
from hub.ids import new_id
from hub.integrations import channels, context, links, streams
from hub.integrations.runtime import SyncRuntime
from hub.integrations.shared_tokens import shared_for
from hub.integrations.tokens import endpoints_from_token, save_token, token_cache_of
from hub.models import (
    IntegrationConnection,
    IntegrationLink,
    IntegrationOAuthState,
    IntegrationStream,
)
from hub.timeutil import iso

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def connector_class(name: str) -> type[connectors.Connector]:
    """The registered connector `name`; 404 NOT_FOUND otherwise."""
    try:
        return connectors.get(name)
    except KeyError:
        raise ApiError(404, "NOT_FOUND", {"resource": "integration", "id": name}) from None


def start(rt: SyncRuntime, p: Principal, name: str, binding: str | None = None) -> dict[str, Any]:
    """Where to send the user to grant access (and remember how to finish).

    `binding`: a secret of the browser session that asked (the dashboard's); only that session
    can finish. Without it (the API), a signed-in user of the account must confirm.
    """
    connector_class(name)
    provider = rt.provider(name)
    if not provider.configured:
        raise ApiError(
            409,
            "INTEGRATION_NOT_CONFIGURED",
            {"integration": name, "missing": ["client_id"]},
            name=name,
        )
    oauth = context.oauth_client(rt, name)
    request = oauth.authorization_url(state=secrets.token_urlsafe(32))
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        session.execute(delete(IntegrationOAuthState).where(IntegrationOAuthState.expires_at < now))
        session.add(
            IntegrationOAuthState(
                state_hash=_hash(request.state),
                account_id=p.account_id,
                environment=p.environment,
                connector=name,
                code_verifier=crypto.encrypt(rt.settings, request.code_verifier),
                redirect_uri=oauth.redirect_uri,
                binding_hash=_hash(binding) if binding else None,
                created_at=now,
                expires_at=now + STATE_TTL,
            )
        )
    return {"authorization_url": request.url, "expires_at": iso(now + STATE_TTL)}


@dataclass(frozen=True)
class Outcome:
    """What the callback page shows."""

    ok: bool
    integration: str
    message: str
    email: str | None = None
    environment: str | None = None


def _consume(
    rt: SyncRuntime, name: str, state: str, holder: Any = None
) -> IntegrationOAuthState | None:
    """The state's row, marked used in the same statement (single use), if still valid.

    `holder` is the SQL condition saying who may finish it (None: anyone, for a refusal).
    """
    now = rt.clock.now()
    holder = true() if holder is None else holder
    s = IntegrationOAuthState
    with rt.db.session() as session, transaction(session):
        result = session.execute(
            update(s)
            .where(
                s.state_hash == _hash(state),
                s.connector == name,
                s.used_at.is_(None),
                s.expires_at > now,
                holder,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        row = session.get(s, _hash(state))
        if row is not None:
            session.expunge(row)
        return row


def pending(rt: SyncRuntime, name: str, state: str) -> IntegrationOAuthState | None:
    """A still-valid state, not consumed (to know who may finish it), or None."""
    if not 8 <= len(state) <= 512:
        return None
    with rt.db.session() as session:
        row = session.get(IntegrationOAuthState, _hash(state))
        if row is None or row.connector != name or row.used_at is not None:
            return None
        if row.expires_at <= rt.clock.now():
            return None
        session.expunge(row)
        return row


def _holder(binding: str | None, confirmed_account: str | None) -> Any:
    """Who may finish: the session holding the binding, or a signed-in user of the account."""
    s = IntegrationOAuthState
    return or_(
        and_(s.binding_hash.is_not(None), s.binding_hash == _hash(binding or "")),
        and_(s.binding_hash.is_(None), s.account_id == (confirmed_account or "")),
    )


def finish(
    rt: SyncRuntime,
    name: str,
    args: dict[str, str],
    binding: str | None = None,
    confirmed_account: str | None = None,
) -> Outcome:
    """The provider's redirect back: check the state, exchange the code, save the connection.

    Only the browser session that started (`binding`) or a signed-in user of the account
    who confirmed (`confirmed_account`) finishes a grant; anyone may finish a refusal.
    """
    try:
        connector_class(name)
    except ApiError:
        return Outcome(False, name, "unknown_integration")
    state = args.get("state", "")
    holder = true() if args.get("error") else _holder(binding, confirmed_account)
    row = _consume(rt, name, state, holder) if 8 <= len(state) <= 512 else None
    if row is None:
        return Outcome(False, name, "invalid_state")
    if args.get("error"):
        return Outcome(
            False,
            name,
            "access_denied" if args["error"] == "access_denied" else "provider_error",
            environment=row.environment,
        )
    try:
        endpoints = callback_endpoints(rt, name, args)
    except ValueError as err:
        log.warning("connecting %s for %s refused: %s", name, row.account_id, err)
        return Outcome(False, name, "untrusted_endpoint", environment=row.environment)
    oauth = context.oauth_client(rt, name, endpoints)
    # A client may finish a grant that brings no code (an administrator's consent for a
    # whole directory): `exchange_callback(args, verifier)` answers a token, or None.
    special = getattr(oauth, "exchange_callback", None)
    code = args.get("code", "")
    if not callable(special) and (not code or len(code) > 4096):
        return Outcome(False, name, "missing_code", environment=row.environment)
    try:
        verifier = crypto.decrypt(rt.settings, row.code_verifier)
        token = special(args, verifier) if callable(special) else None
        if token is None:
            if not code or len(code) > 4096:
                return Outcome(False, name, "missing_code", environment=row.environment)
            token = oauth.exchange_code(code, verifier)
        endpoints = _vetted(rt, name, {**endpoints, **endpoints_from_token(name, token.raw or {})})
        identity, calendars, fields = _inspect(rt, name, token, endpoints)
    except ValueError as err:  # the token answer named a host the connector does not trust
        log.warning("connecting %s for %s refused: %s", name, row.account_id, err)
        return Outcome(False, name, "untrusted_endpoint", environment=row.environment)
    except (ConnectorError, crypto.DecryptionError) as err:
        log.warning("connecting %s for %s failed: %s", name, row.account_id, err)
        return Outcome(False, name, "exchange_failed", environment=row.environment)
    token_cache_holder = token_cache_of(oauth)
    cache = token_cache_holder.dump_cache() if token_cache_holder is not None else None
    _save(rt, row, token, identity, calendars, cache, endpoints, fields)
    return Outcome(True, name, "connected", identity.email, row.environment)


def callback_endpoints(rt: SyncRuntime, name: str, args: dict[str, str]) -> dict[str, str]:
    """The per-connection hosts the OAuth callback names, vetted by the connector's spec.

    A value outside an endpoint's `allowed` list, or one the spec's `check_endpoints` does not
    trust, raises ValueError: nothing (no code, no client secret) is sent to it.
    """
    spec = connectors.spec_of(name)
    found: dict[str, str] = {}
    for endpoint in spec.endpoints:
        value = args.get(endpoint.from_callback) if endpoint.from_callback else None
        if value:
            if not endpoint.accepts(value):
                raise ValueError(f"{endpoint.name} {value!r} is not allowed")
            found[endpoint.name] = value
        elif endpoint.default is not None:
            found[endpoint.name] = endpoint.default
    return _vetted(rt, name, found)


def _vetted(rt: SyncRuntime, name: str, endpoints: dict[str, str]) -> dict[str, str]:
    """`endpoints` as the connector's `check_endpoints` accepts them (ValueError if not)."""
    spec = connectors.spec_of(name)
    if spec.check_endpoints is None:
        return endpoints
    return spec.check_endpoints(endpoints, rt.provider(name).connector_config())


def _inspect(
    rt: SyncRuntime, name: str, token: OAuthToken, endpoints: dict[str, str]
) -> tuple[Identity, list[Any], dict[str, list[dict[str, Any]]]]:
    """Who the token belongs to, the calendars it can see, and each record stream's fields."""
    cls = connectors.get(name)
    config = {**rt.provider(name).connector_config(), **endpoints, "timeout": rt.http_timeout}
    with cls(StaticTokenProvider(token.access_token), config) as connector:
        identity = connector.check()
        lister = getattr(connector, "list_calendars", None)
        calendars = [links.calendar_summary(c) for c in lister()] if lister else []
        fields = streams.discover_fields(connector)
    return identity, calendars, fields


def _save(
    rt: SyncRuntime,
    row: IntegrationOAuthState,
    token: OAuthToken,
    identity: Identity,
    calendars: list[Any],
    cache: str | None = None,
    endpoints: dict[str, str] | None = None,
    fields: dict[str, list[dict[str, Any]]] | None = None,
) -> None:
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.scalars(
            select(IntegrationConnection)
            .where(
                IntegrationConnection.account_id == row.account_id,
                IntegrationConnection.environment == row.environment,
                IntegrationConnection.connector == row.connector,
            )
            .with_for_update()
        ).first()
        if conn is None:
            conn = IntegrationConnection(
                id=new_id("conn"),
                account_id=row.account_id,
                environment=row.environment,
                connector=row.connector,
                config={},
                calendars=[],
                stale_channels=[],
                unlinked_technicians=[],
                failure_count=0,
                last_stats={},
            )
            session.add(conn)
        elif conn.remote_account_id not in (None, identity.id):
            _forget_remote(session, conn)  # another remote account: its links mean nothing
        conn.endpoints = {**(conn.endpoints or {}), **(endpoints or {})}
        save_token(rt, conn, token)
        conn.token_cache = crypto.encrypt_optional(rt.settings, cache)
        conn.status = "connected"
        conn.remote_account_id, conn.remote_email = identity.id, identity.email
        conn.remote_name = identity.display_name
        conn.calendars = calendars
        conn.connected_at = conn.next_sync_at = now
        conn.backoff_until = conn.lease_owner = conn.lease_until = None
        conn.failure_count = 0
        conn.last_error = conn.last_error_code = None
        conn.last_sync_status = None
        session.flush()
        # A reconnection reads everything again: what changed meanwhile is found either way.
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.connection_id == conn.id)
            .values(cursor=None, full_sync_started_at=None)
            .execution_options(synchronize_session=False)
        )
        links.ensure_connection_streams(session, conn)
        streams.save_fields(session, conn.id, fields or {})
        links.auto_link(session, conn, now)


def _forget_remote(session: Any, conn: IntegrationConnection) -> None:
    """Drop everything tied to the previous remote account."""
    rows = list(
        session.scalars(select(IntegrationStream).where(IntegrationStream.connection_id == conn.id))
    )
    links.drop_busy(session, conn, [r.technician_id for r in rows])
    session.execute(delete(IntegrationLink).where(IntegrationLink.connection_id == conn.id))
    session.execute(delete(IntegrationStream).where(IntegrationStream.connection_id == conn.id))
    conn.stale_channels = []
    conn.unlinked_technicians = []


def disconnect(rt: SyncRuntime, p: Principal, name: str) -> dict[str, Any]:
    """Stop syncing: stop channels, revoke the grant, erase tokens and busy periods."""
    # Links stay, so reconnecting the same remote account pushes nothing twice.
    connector_class(name)
    with rt.db.session() as session:
        conn = session.scalars(
            select(IntegrationConnection).where(
                IntegrationConnection.account_id == p.account_id,
                IntegrationConnection.environment == p.environment,
                IntegrationConnection.connector == name,
            )
        ).first()
        if conn is None or conn.status == "disconnected":
            return {"integration": name, "status": "disconnected", "revoked": False}
        rows = list(
            session.scalars(
                select(IntegrationStream).where(IntegrationStream.connection_id == conn.id)
            )
        )
        refresh = crypto.decrypt_optional(rt.settings, conn.refresh_token)
        access = crypto.decrypt_optional(rt.settings, conn.access_token)
        connection_id = conn.id
        endpoints = dict(conn.endpoints or {})
        session.expunge_all()
    revoked = _revoke(rt, name, refresh or access, rows, access, endpoints, conn)
    now = rt.clock.now()
    with rt.db.session() as session, transaction(session):
        conn = session.get(IntegrationConnection, connection_id, with_for_update=True)
        if conn is None:
            return {"integration": name, "status": "disconnected", "revoked": revoked}
        conn.status = "disconnected"
        conn.access_token = conn.refresh_token = conn.token_expires_at = None
        conn.token_cache = conn.token_response = None
        conn.next_sync_at = conn.backoff_until = None
        conn.lease_owner = conn.lease_until = None  # an in-flight run notices and stops
        conn.last_sync_status = None
        links.drop_busy(session, conn, [r.technician_id for r in rows if r.technician_id])
        session.execute(
            update(IntegrationStream)
            .where(IntegrationStream.connection_id == connection_id)
            .values(
                cursor=None,
                full_sync_started_at=None,
                channel_id=None,
                channel_resource_id=None,
                channel_token=None,
                channel_expires_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    shared = shared_for(rt.settings, name, connection_id)
    if shared is not None:
        shared.drop()
    log.info("connection %s disconnected at %s (revoked: %s)", connection_id, iso(now), revoked)
    return {"integration": name, "status": "disconnected", "revoked": revoked}


def _revoke(
    rt: SyncRuntime,
    name: str,
    token: str | None,
    rows: list[IntegrationStream],
    access: str | None,
    endpoints: dict[str, str] | None = None,
    conn: IntegrationConnection | None = None,
) -> bool:
    """Stop the channels and revoke the grant; False if the provider could not be told.

    The channels are stopped with the connection's stored tokens (refreshed first when the
    access token expires soon: an hour-old one is refused and the channel would keep firing
    until it expires), before the grant is revoked.
    """
    if access and any(row.channel_id for row in rows):
        if conn is not None and conn.status == "connected":
            connector = context.connector_for(rt, conn)
        else:
            cls = connectors.get(name)
            config = {
                **rt.provider(name).connector_config(),
                **(endpoints or {}),
                "timeout": rt.http_timeout,
            }
            connector = cls(StaticTokenProvider(access), config)
        with connector:
            channels.stop_all(rt, connector, rows)
    if not token:
        return False
    try:
        context.oauth_client(rt, name, endpoints).revoke(token)
    except NotSupported:
        return False
    except ConnectorError as err:
        log.warning("revoking %s grant failed: %s", name, err)
        return False
    return True
