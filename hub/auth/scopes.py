"""The scopes a credential can hold."""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "appointments:read": "Lecture des rendez-vous",
    "appointments:write": "Création/modification des rendez-vous",
    "customers:read": "Lecture des clients",
    "customers:write": "Création/modification des clients",
    "services:read": "Lecture des services",
    "services:write": "Création/modification des services",
    "teams:read": "Lecture des équipes et techniciens",
    "teams:write": "Création/modification des équipes et techniciens",
    "webhooks:manage": "Gestion des webhooks",
    "integrations:manage": "Gestion des intégrations",
    "account:admin": "Administration du compte : révocation des clés API et des clients OAuth",
}

# The same, for the consent page in English (French is SCOPES).
SCOPES_EN: dict[str, str] = {
    "appointments:read": "Read appointments",
    "appointments:write": "Create and change appointments",
    "customers:read": "Read customers",
    "customers:write": "Create and change customers",
    "services:read": "Read services",
    "services:write": "Create and change services",
    "teams:read": "Read teams and technicians",
    "teams:write": "Create and change teams and technicians",
    "webhooks:manage": "Manage webhooks",
    "integrations:manage": "Manage integrations",
    "account:admin": "Account administration: revoke API keys and OAuth clients",
}

ALL_SCOPES = frozenset(SCOPES)
# What a credential created without a scope list holds: everything but administration, which
# must be asked for by name (a leaked everyday key cannot revoke the others).
ADMIN_SCOPE = "account:admin"
DEFAULT_SCOPES = ALL_SCOPES - {ADMIN_SCOPE}


# What an account user may grant an app at the consent page, by dashboard role: never more than
# the role may do itself. A dispatcher runs the office's day (appointments, customers,
# integrations) but does not manage webhooks, services or teams, so an app he allows cannot
# either; `account:admin` is never granted to an app.
GRANTABLE_BY_ROLE: dict[str, frozenset[str]] = {
    "owner": DEFAULT_SCOPES,
    "developer": DEFAULT_SCOPES,
    "dispatcher": DEFAULT_SCOPES - {"webhooks:manage", "services:write", "teams:write"},
}


def grantable_scopes(role: str) -> frozenset[str]:
    """The scopes a user of `role` may grant an app (none for an unknown role)."""
    return GRANTABLE_BY_ROLE.get(role, frozenset())


def parse_scopes(text: str | None) -> frozenset[str]:
    """Split a space- or comma-separated scope string into a set."""
    if not text:
        return frozenset()
    return frozenset(s for s in text.replace(",", " ").split() if s)


def unknown_scopes(scopes: frozenset[str]) -> list[str]:
    """The scopes in `scopes` that do not exist, sorted."""
    return sorted(scopes - ALL_SCOPES)


def format_scopes(scopes: frozenset[str] | set[str]) -> str:
    """Scopes as the space-separated string OAuth uses, in catalogue order."""
    return " ".join(s for s in SCOPES if s in scopes)
