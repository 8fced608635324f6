"""Zoho CRM's sync spec: contacts and leads as customers, hosts per data centre, as data."""

from __future__ import annotations

from connectors.spec import Endpoint, StreamSpec, SyncSpec

from . import const
from .schema import CONTACT_FIELDS, LEAD_FIELDS

# The engine's customer inbound handler and the customer.* pushes are not wired yet (see
# docs/zoho.md, "What the hub side needs"): the streams declare what they sync, nothing more.
SPEC = SyncSpec(
    auth="oauth2",
    env_prefix="ZOHO",
    token_store="tokens",
    endpoints=(
        Endpoint(name="location", default="us", from_callback="location"),
        Endpoint(name="accounts_server", from_callback="accounts-server"),
        Endpoint(name="api_domain", from_token="api_domain"),
    ),
    keep_token_fields=("api_domain",),
    streams=(
        StreamSpec(
            name=const.STREAM_CONTACTS,
            local_type="customer",
            direction="both",
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
