"""The fields each side of a mapping has, so a mapping naming an unknown field is refused.

A schema is a tree of dicts: a leaf is None, and a "*" key accepts any name below it (free-form
maps such as a remote's free-form properties). The local sides live here; each connector
declares its remote side in its own package (`StreamSpec.remote_fields`), and the integration
engine registers it under `StreamSpec.remote_schema` (`hub.integrations.mapping`).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_PERSON = {"id": None, "name": None, "email": None, "phone": None}

APPOINTMENT: Schema = {
    "id": None,
    "title": None,
    "customer": _PERSON,
    "service": {"id": None, "name": None, "duration": None, "price": None},
    "technician": {"id": None, "name": None},
    "scheduled_at": None,
    "duration": None,
    "status": None,
    "location": {
        "address": None,
        "city": None,
        "postal_code": None,
        "coordinates": {"lat": None, "lng": None},
    },
    "notes": None,
}

CUSTOMER: Schema = {
    "id": None,
    "first_name": None,
    "last_name": None,
    "name": None,
    "email": None,
    "phone": None,
    "address": {
        "street": None,
        "address": None,
        "city": None,
        "postal_code": None,
        "country": None,
    },
    "preferences": {"*": None},
    "tags": None,
    "custom_fields": {"*": None},
    "created_at": None,
    "updated_at": None,
}

PAYMENT: Schema = {
    "id": None,
    "appointment_id": None,
    "customer_id": None,
    "status": None,
    "amount": None,
    "currency": None,
    "url": None,
    "paid_at": None,
    "refunded_amount": None,
}

SCHEMAS: dict[str, Schema] = {
    "appointment": APPOINTMENT,
    "customer": CUSTOMER,
    "payment": PAYMENT,
}


def register_schema(name: str, schema: Schema) -> None:
    """Declare the fields of a new side (a connector's remote side, e.g. "crm.contact").

    Declaring the same name again with other fields is refused: one owner per schema.
    """
    known = SCHEMAS.get(name)
    if known is not None and known != schema:
        raise ValueError(f"schema {name!r} is already declared with other fields")
    SCHEMAS[name] = schema


def has_path(schema: Schema, path: str) -> bool:
    """True if the dotted `path` names a field (leaf or object) of `schema`."""
    node: Any = schema
    for part in path.split("."):
        if not part or not isinstance(node, dict):
            return False
        if part in node:
            node = node[part]
        elif "*" in node:
            node = node["*"]
        else:
            return False
    return True


def leaf_paths(schema: Schema, prefix: str = "") -> list[str]:
    """Every dotted path of a schema (for "did you mean" messages)."""
    out: list[str] = []
    for key, sub in schema.items():
        path = f"{prefix}{key}"
        out.append(path)
        if isinstance(sub, dict):
            out.extend(leaf_paths(sub, path + "."))
    return out
