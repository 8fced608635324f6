"""Constants of the Outlook (Microsoft 365) connector: endpoints, scopes, limits, defaults."""

from __future__ import annotations

from typing import Final

NAME: Final = "outlook"
DISPLAY_NAME: Final = "Microsoft Outlook / 365"

# Identity: msal derives authorize/token endpoints from the authority's OpenID configuration;
# these two are only what the manifest shows (and what generic OAuth code would use).
AUTHORITY_HOST: Final = "https://login.microsoftonline.com"
DEFAULT_TENANT: Final = "common"  # any work/school or personal account; a tenant id pins one
AUTHORIZE_URL: Final = f"{AUTHORITY_HOST}/{DEFAULT_TENANT}/oauth2/v2.0/authorize"
TOKEN_URL: Final = f"{AUTHORITY_HOST}/{DEFAULT_TENANT}/oauth2/v2.0/token"

# msal adds offline_access, openid and profile itself and refuses them in the list.
SCOPE_CALENDARS: Final = "Calendars.ReadWrite"
SCOPES: Final = (SCOPE_CALENDARS,)
# Application permissions (admin consent): the client credentials grant asks for the static
# "/.default" scope of Graph, i.e. every application permission the admin consented to
# (Calendars.ReadWrite to read and write each technician's mailbox, User.Read.All to list
# the tenant's users so technicians are matched by e-mail).
GRAPH_RESOURCE: Final = "https://graph.microsoft.com"
APP_SCOPES: Final = (f"{GRAPH_RESOURCE}/.default",)
APP_ROLES: Final = ("Calendars.ReadWrite", "User.Read.All")
# How a connection reaches mailboxes: "delegated" (a signed-in user's own mailbox, /me) or
# "application" (any mailbox of the tenant, /users/{id}, after an admin consented).
PERMISSIONS_DELEGATED: Final = "delegated"
PERMISSIONS_APPLICATION: Final = "application"
PERMISSIONS: Final = (PERMISSIONS_DELEGATED, PERMISSIONS_APPLICATION)
# Admin consent: the organisation's admin grants the app's permissions for the whole tenant;
# "common" is not accepted there (personal accounts cannot consent for a tenant).
ADMIN_CONSENT_TENANT: Final = "organizations"
RESERVED_SCOPES: Final = frozenset({"offline_access", "openid", "profile"})

API_BASE_URL: Final = "https://graph.microsoft.com/v1.0"

# How the consent page hands the code back. msal (and RFC 9700) recommend "form_post" (no code
# in URLs or logs); the hub's callback route reads a GET query today, so "query" is the
# default until that route also accepts POST. Either is protected by PKCE + the client secret.
DEFAULT_RESPONSE_MODE: Final = "query"

STREAM_EVENTS: Final = "events"
STREAMS: Final = (STREAM_EVENTS,)

DEFAULT_SYNC_INTERVAL: Final = 900  # seconds; change notifications make polling a safety net
DEFAULT_PAGE_SIZE: Final = 50  # Prefer: odata.maxpagesize
MAX_PAGE_SIZE: Final = 1000
DEFAULT_HTTP_TIMEOUT: Final = 30.0
# JSON batching: at most 20 requests in one POST /$batch.
BATCH_LIMIT: Final = 20
# Outlook's per-app, per-mailbox limits (Graph throttling guidance): 4 concurrent requests
# and 10,000 requests in any 10 minutes; every member of a $batch counts as one request.
MAILBOX_CONCURRENCY: Final = 4
MAILBOX_BUDGET: Final = 10_000
MAILBOX_WINDOW_SECONDS: Final = 600
# Members of a $batch throttled with 429 are retried one by one after their Retry-After
# (seconds; Graph's guidance when the header is missing is to back off: we wait this long).
DEFAULT_RETRY_AFTER: Final = 5.0
MAX_RETRY_AFTER: Final = 60.0
# Stable ids: without this preference Graph's event ids change when an item moves.
PREFER_IMMUTABLE_ID: Final = 'IdType="ImmutableId"'

# calendarView/delta needs a fixed window, encoded in its tokens (and repeated in our cursor
# as window_start/window_end: a full listing says nothing about events outside it). When the
# window's end comes closer than half its forward span, the cursor is declared expired so a
# new round (and a new, later window) starts: far-future events never drop out of reach.
DEFAULT_SYNC_DAYS_BACK: Final = 365
DEFAULT_SYNC_DAYS_AHEAD: Final = 730

# Change notification subscriptions on Outlook events: at most 4,230 minutes (under three
# days) from now, the ceiling Graph documents for Outlook resources (a newer reference table
# allows 10,080 minutes without resource data; 4,230 is accepted everywhere). Graph refuses
# an expirationDateTime beyond the ceiling, so we clamp to it, minus a margin for clock
# skew, and renew with PATCH well before; `subscription_max_minutes` lowers it further.
MAX_SUBSCRIPTION_MINUTES: Final = 4_230
SUBSCRIPTION_SKEW_MINUTES: Final = 5
MIN_SUBSCRIPTION_MINUTES: Final = 45  # Graph raises shorter requests to 45 minutes
SUBSCRIPTION_CHANGE_TYPES: Final = "created,updated,deleted"
CLIENT_STATE_MAX_LENGTH: Final = 128
# Graph must get a 2xx within 3 s for a notification and the validation token back within 10 s.
NOTIFICATION_ANSWER_SECONDS: Final = 3
VALIDATION_ANSWER_SECONDS: Final = 10

# Lifecycle notifications (sent to lifecycleNotificationUrl).
LIFECYCLE_REAUTHORIZATION_REQUIRED: Final = "reauthorizationRequired"
LIFECYCLE_SUBSCRIPTION_REMOVED: Final = "subscriptionRemoved"
LIFECYCLE_MISSED: Final = "missed"
LIFECYCLE_EVENTS: Final = frozenset(
    {LIFECYCLE_REAUTHORIZATION_REQUIRED, LIFECYCLE_SUBSCRIPTION_REMOVED, LIFECYCLE_MISSED}
)

# Our fields on an event live in named single-value extended properties of one property set.
# The GUID identifies iValid's property set: it must never change, or every link is lost.
PROPERTY_SET_GUID: Final = "{8b5c2e7a-4f1d-4c6b-9a3e-2d7f5b1c9e40}"
EXTENDED_PROPERTY_NAMES: Final = ("ivalid_appointment_id", "ivalid_hash", "ivalid_body")
APPOINTMENT_ID_PROPERTY: Final = "ivalid_appointment_id"
# A digest of the whole body of our last write, stored with it: after a 412 on a PATCH, an
# event whose digest is the one we are sending already holds our write (a worker died
# between Graph's answer and saving the link), so it is not written a second time.
BODY_DIGEST_PROPERTY: Final = "ivalid_body"
# The virtual field mappings use for those properties (a dict name -> value on the record).
VIRTUAL_PROPERTIES_FIELD: Final = "extendedProperties"

CONF_CALENDAR_ID: Final = "calendar_id"  # obsolete (per-calendar delta is beta-only): ignored
CONF_PERMISSIONS: Final = "permissions"  # "delegated" (default) or "application"
CONF_TENANT: Final = "tenant"  # the directory an application-permission connection acts in
CONF_USER_ID: Final = "user_id"  # application mode: the mailbox the plain `events` stream reads
CONF_MAILBOX_BUDGET: Final = "mailbox_budget"  # requests per mailbox per 10 minutes (pacing)
CONF_REREAD_FOREIGN: Final = "reread_foreign"  # re-read events without a transactionId too
CONF_PAGE_SIZE: Final = "page_size"
CONF_API_BASE_URL: Final = "api_base_url"
CONF_TIMEOUT: Final = "timeout"
CONF_SYNC_DAYS_BACK: Final = "sync_days_back"
CONF_SYNC_DAYS_AHEAD: Final = "sync_days_ahead"
CONF_SUBSCRIPTION_MAX_MINUTES: Final = "subscription_max_minutes"
CONF_EXTENDED_PROPERTIES: Final = "extended_properties"

# Error codes Graph puts in error.code.
CURSOR_EXPIRED_CODES: Final = frozenset(
    {"syncstatenotfound", "syncstateinvalid", "resyncrequired", "invaliddeltatoken"}
)
AUTH_403_CODES: Final = frozenset(
    {
        "erroraccessdenied",
        "accessdenied",
        "authorization_requestdenied",
        "errorinsufficientpermissionsinaccesstoken",
        "invalidauthenticationtoken",
    }
)
TRANSIENT_403_CODES: Final = frozenset({"errorquotaexceeded", "mailboxconcurrency"})
PRECONDITION_CODES: Final = frozenset({"errorirresolvableconflict"})

# msal / AAD token endpoint errors that mean "try again later" rather than "reconnect".
TRANSIENT_TOKEN_ERRORS: Final = frozenset({"temporarily_unavailable", "server_error"})
