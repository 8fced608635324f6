"""What each role of an account may see and do in the dashboard (docs/dashboard.md)."""

from __future__ import annotations

# permission → the roles holding it. A page needing a permission a user lacks is 403; an
# action is refused by the server whatever the page showed.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Lists of credentials (names, prefixes, scopes, last use): never a secret.
    "credentials:view": frozenset({"owner", "developer", "dispatcher"}),
    # Create (the secret is shown once), rotate, revoke.
    "credentials:manage": frozenset({"owner", "developer"}),
    "webhooks:view": frozenset({"owner", "developer", "dispatcher"}),
    # Create, edit, disable, test, retry, recover, rotate the signing secret.
    "webhooks:manage": frozenset({"owner", "developer"}),
    "integrations:view": frozenset({"owner", "developer", "dispatcher"}),
    # Connect, disconnect, sync now, technician calendars: the office's daily work.
    "integrations:manage": frozenset({"owner", "developer", "dispatcher"}),
    # The field mapping changes what every calendar shows: developers and owners.
    "mapping:manage": frozenset({"owner", "developer"}),
    "events:view": frozenset({"owner", "developer", "dispatcher"}),
    "sandbox:reset": frozenset({"owner", "developer"}),
    "users:manage": frozenset({"owner"}),
}


def allowed(role: str, permission: str) -> bool:
    """True when `role` holds `permission` (an unknown permission is nobody's)."""
    return role in PERMISSIONS.get(permission, frozenset())
