"""Constants of the Zoho CRM connector: API version, scopes, modules, Zoho's documented limits."""

from __future__ import annotations

from typing import Final

NAME: Final = "zoho"
DISPLAY_NAME: Final = "Zoho CRM"

API_PATH: Final = "/crm/v8"  # Zoho CRM REST API v8
AUTH_HEADER_PREFIX: Final = "Zoho-oauthtoken "

# Zoho scopes are comma-separated in the authorization request.
SCOPES: Final = (
    "ZohoCRM.modules.contacts.ALL",
    "ZohoCRM.modules.leads.ALL",
    "ZohoCRM.settings.fields.READ",
    "ZohoCRM.notifications.ALL",
    "ZohoCRM.users.READ",  # GET /users?type=CurrentUser: who the connection is connected as
)
# offline: we need a refresh token; consent: Zoho sends a refresh token only on a fresh consent.
AUTHORIZE_PARAMS: Final = {"access_type": "offline", "prompt": "consent"}

STREAM_CONTACTS: Final = "contacts"
STREAM_LEADS: Final = "leads"
STREAMS: Final = (STREAM_CONTACTS, STREAM_LEADS)
MODULES: Final = {STREAM_CONTACTS: "Contacts", STREAM_LEADS: "Leads"}

# Limits from Zoho's v8 documentation (records API and its OpenAPI description).
MAX_FIELDS: Final = 50  # `fields` takes at most 50 API names
PER_PAGE: Final = 200  # the most records a page holds
DISCRETE_LIMIT: Final = 2000  # `page` reaches only the first 2,000 records; then `page_token`
MAX_WRITE: Final = 100  # insert/update/upsert/delete: at most 100 records a call
MAX_TOKEN_LENGTH: Final = 50  # a notification channel's verification token
CHANNEL_TTL: Final = 3 * 24 * 3600  # three days, renewed when under one is left (max: a week)
CHANNEL_RENEW_BEFORE: Final = 3600  # renew a channel an hour before it expires
DUPLICATE_CHECK_FIELDS: Final = ("Email", "Phone")

# A refresh token mints at most ten access tokens in ten minutes (Zoho Accounts' token limits);
# when Zoho says so we wait out the window rather than ask again.
MINT_WINDOW: Final = 600.0
ACCESS_TOKEN_LEEWAY: Final = 120.0

DEFAULT_SYNC_INTERVAL: Final = 900
TIMEOUT: Final = 30.0

# Rate-limit headers (as Zoho's SDK reads them) and the `Usage` attribute each fills.
USAGE_HEADERS = (
    ("X-RATELIMIT-LIMIT", "limit"),
    ("X-RATELIMIT-REMAINING", "remaining"),
    ("X-RATELIMIT-RESET", "reset"),
    ("X-RATELIMIT-DAY-LIMIT", "day_limit"),
    ("X-RATELIMIT-DAY-REMAINING", "day_remaining"),
)
