"""Zoho CRM's sync spec: contacts and leads as customers, hosts per data centre, as data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import AuthError
from connectors.spec import Endpoint, StreamSpec, SyncSpec

from . import const
from .datacentres import DataCentres
from .schema import CONTACT_FIELDS, LEAD_FIELDS

CUSTOMER_EVENTS = frozenset({"customer.created", "customer.updated"})


def check_endpoints(found: Mapping[str, str], config: Mapping[str, Any]) -> dict[str, str]:
    """The hosts of a connection, checked against Zoho's data centres (or the configured
    table): a callback's `location`/`accounts-server` and a token answer's `api_domain` must
    be that data centre's; ValueError otherwise."""
    centres = DataCentres.from_config(config.get("data_centres"))
    try:
        centre = centres.from_callback(found.get("location"), found.get("accounts_server"))
        api_domain = centres.check_api_domain(centre, found.get("api_domain"))
    except AuthError as err:
        raise ValueError(str(err)) from err
    return {
        "location": centre.location,
        "accounts_server": centre.accounts_server,
        "api_domain": api_domain,
    }


def oauth_urls(endpoints: Mapping[str, str]) -> dict[str, str]:
    """A connection's token and revocation URLs: at its data centre's accounts server."""
    server = endpoints.get("accounts_server")
    if not server:
        return {}
    return {
        "token_url": f"{server}/oauth/v2/token",
        "revoke_url": f"{server}/oauth/v2/token/revoke",
    }


SPEC = SyncSpec(
    auth="oauth2",
    env_prefix="ZOHO",
    # Ten access tokens per refresh token in ten minutes: one token for every process.
    token_store="shared",
    endpoints=(
        Endpoint(name="location", default="us", from_callback="location"),
        Endpoint(name="accounts_server", from_callback="accounts-server"),
        Endpoint(name="api_domain", from_token="api_domain"),
    ),
    keep_token_fields=("api_domain",),
    check_endpoints=check_endpoints,
    oauth_urls=oauth_urls,
    streams=(
        StreamSpec(
            name=const.STREAM_CONTACTS,
            local_type="customer",
            direction="both",
            push_on=CUSTOMER_EVENTS,
            mapping="zoho",
            remote_schema="zoho.contact",
            remote_fields=CONTACT_FIELDS,
        ),
        StreamSpec(
            name=const.STREAM_LEADS,
            local_type="customer",
            direction="pull",
            mapping="zoho_leads",
            remote_schema="zoho.lead",
            remote_fields=LEAD_FIELDS,
        ),
    ),
)
