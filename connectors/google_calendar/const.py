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
SECONDARY_CALENDAR_SUFFIX: Final = "@group.calendar.google.com"

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
CONF_SYNC_DAYS_AHEAD: Final = "sync_days_ahead"
CONF_REQUESTS_PER_MINUTE: Final = "requests_per_minute"
CONF_BATCH_SIZE: Final = "batch_size"
CONF_RATE_LIMIT_ATTEMPTS: Final = "rate_limit_attempts"

# The full sync reads [today - 30 days, today + 365 days) of "today" by the app's clock: with
# singleEvents=true an unbounded listing expands every series without an end for years. The
# incremental sync (a sync token: Google refuses timeMin/timeMax with it) then drops instances
# of series past the window; the window is read again once it ends within 358 days (weekly).
DEFAULT_SYNC_DAYS_BACK: Final = 30
DEFAULT_SYNC_DAYS_AHEAD: Final = 365
WINDOW_REFRESH_DAYS: Final = 7

# Google's quota: 600 calls a minute per user and project (sliding window); a connector stays
# below it, leaving room for other workers using the same user. A refused call (403
# rateLimitExceeded / userRateLimitExceeded or 429) is retried with exponential back-off and
# full jitter: 1 s, 2 s, 4 s... at most 32 s, 5 attempts, before the run backs off.
DEFAULT_REQUESTS_PER_MINUTE: Final = 500
RATE_LIMIT_ATTEMPTS: Final = 1
RATE_LIMIT_BASE_DELAY: Final = 1.0
RATE_LIMIT_MAX_DELAY: Final = 32.0

# Batch requests: Google allows 1,000 calls in one; 50 per batch keeps a batch's share of the
# per-minute budget small (each call counts) and a refused batch cheap to retry.
BATCH_PATH: Final = "batch/calendar/v3"
DEFAULT_BATCH_SIZE: Final = 50
MAX_BATCH_SIZE: Final = 1000

# Access roles that may write events (calendarList accessRole); reader and freeBusyReader may not.
WRITABLE_ROLES: Final = frozenset({"writer", "owner"})

# eventType values that never make a technician busy (event-types guide): a working location
# says where one works, a birthday is an all-day yearly reminder. outOfOffice and focusTime
# block (Google shows both as busy and declines invitations during them).
FREE_EVENT_TYPES: Final = frozenset({"workingLocation", "birthday"})

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
