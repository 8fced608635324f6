"""Constants of the Google Calendar connector: endpoints, scopes, defaults."""

from __future__ import annotations

from typing import Final

NAME: Final = "google-calendar"
DISPLAY_NAME: Final = "Google Calendar"

AUTHORIZE_URL: Final = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL: Final = "https://oauth2.googleapis.com/token"
REVOKE_URL: Final = "https://oauth2.googleapis.com/revoke"
API_BASE_URL: Final = "https://www.googleapis.com/calendar/v3/"

SCOPE_CALENDAR: Final = "https://www.googleapis.com/auth/calendar"
SCOPES: Final = (SCOPE_CALENDAR,)

# offline: we need a refresh token; consent: Google only returns one on a fresh consent.
AUTHORIZE_PARAMS: Final = {
    "access_type": "offline",
    "prompt": "consent",
    "include_granted_scopes": "true",
}

STREAM_EVENTS: Final = "events"
STREAMS: Final = (STREAM_EVENTS,)
PRIMARY_CALENDAR: Final = "primary"

DEFAULT_SYNC_INTERVAL: Final = 900  # seconds; push notifications make polling a safety net
DEFAULT_PAGE_SIZE: Final = 250  # Google's default; its maximum is 2500
MAX_PAGE_SIZE: Final = 2500
DEFAULT_HTTP_TIMEOUT: Final = 30.0
DEFAULT_CHANNEL_TTL: Final = 7 * 24 * 3600  # Google's default (604800 s)

CONF_CALENDAR_ID: Final = "calendar_id"
CONF_PAGE_SIZE: Final = "page_size"
CONF_API_BASE_URL: Final = "api_base_url"
CONF_TIMEOUT: Final = "timeout"
CONF_SYNC_DAYS_BACK: Final = "sync_days_back"

# Push notification headers (https://developers.google.com/calendar/api/guides/push).
HEADER_CHANNEL_ID: Final = "x-goog-channel-id"
HEADER_CHANNEL_TOKEN: Final = "x-goog-channel-token"
HEADER_CHANNEL_EXPIRATION: Final = "x-goog-channel-expiration"
HEADER_RESOURCE_ID: Final = "x-goog-resource-id"
HEADER_RESOURCE_URI: Final = "x-goog-resource-uri"
HEADER_RESOURCE_STATE: Final = "x-goog-resource-state"
HEADER_MESSAGE_NUMBER: Final = "x-goog-message-number"

# Error reasons Google puts in error.errors[].reason.
RATE_LIMIT_REASONS: Final = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
QUOTA_REASONS: Final = frozenset({"quotaExceeded", "dailyLimitExceeded"})
AUTH_403_REASONS: Final = frozenset({"insufficientPermissions", "authError"})
