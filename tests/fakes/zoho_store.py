"""The state behind the Zoho CRM fake: one organisation's modules, records, deletions, fields.

Modelled on Zoho CRM's REST API v8 as its documentation and its published OpenAPI files
(zoho/crm-oas, `v8.0/record`) describe it: `fields` is required and takes at most 50 API names;
`per_page` is at most 200; `page` alone reaches only the first 2,000 records
(`DISCRETE_PAGINATION_LIMIT_EXCEEDED`), `page_token` (from `info.next_page_token`) goes further, up
to 100,000 (`PAGINATION_LIMIT_EXCEEDED`); `sort_by` is one of id, Created_Time, Modified_Time;
`If-Modified-Since` keeps records modified after it; upsert takes at most 100 records and
checks duplicates on `duplicate_check_fields` in order, answering per record (`action`
insert/update, `duplicate_field`). Times have one-second resolution, as Zoho's do.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_FIELDS = 50
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2000
TOKEN_LIMIT = 100_000
MAX_WRITE = 100
SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
PAGE_TOKEN_TTL = timedelta(days=1)  # Zoho answers `page_token_expiry`; the fake gives a day
SYSTEM_FIELDS = ("id", "Created_Time", "Modified_Time", "Owner", "Created_By", "Modified_By")

_STANDARD_FIELDS: dict[str, list[tuple[str, str, int]]] = {
    # module: (api_name, data_type, length)
    "Contacts": [
        ("First_Name", "text", 40),
        ("Last_Name", "text", 80),
        ("Email", "email", 100),
        ("Secondary_Email", "email", 100),
        ("Phone", "phone", 30),
        ("Mobile", "phone", 30),
        ("Mailing_Street", "text", 250),
        ("Mailing_City", "text", 30),
        ("Mailing_Zip", "text", 30),
        ("Mailing_State", "text", 30),
        ("Mailing_Country", "text", 30),
        ("Email_Opt_Out", "boolean", 5),
        ("Description", "textarea", 32000),
        ("Tag", "multiselectlookup", 0),
    ],
    "Leads": [
        ("First_Name", "text", 40),
        ("Last_Name", "text", 80),
        ("Company", "text", 200),
        ("Email", "email", 100),
        ("Phone", "phone", 30),
        ("Mobile", "phone", 30),
        ("Street", "text", 250),
        ("City", "text", 30),
        ("Zip_Code", "text", 30),
        ("State", "text", 30),
        ("Country", "text", 30),
        ("Email_Opt_Out", "boolean", 5),
        ("Description", "textarea", 32000),
        ("Tag", "multiselectlookup", 0),
    ],
}
_MANDATORY = {"Contacts": ("Last_Name",), "Leads": ("Last_Name",)}


class ZohoError(Exception):
    """A refusal in Zoho's error shape: `{"code", "details", "message", "status": "error"}`."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        """Keep the HTTP status and Zoho's body fields."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        """Zoho's JSON error body."""
        return {
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        }


def zoho_time(moment: datetime) -> str:
    """ISO 8601 with an offset and seconds, as Zoho writes `Modified_Time`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """Read a Zoho timestamp (or an If-Modified-Since value in ISO 8601)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time zone offset is required")
    return moment


@dataclass
class FieldMeta:
    """One field of a module's layout, as the fields metadata API lists it."""

    api_name: str
    data_type: str
    length: int
    custom_field: bool = False
    field_label: str = ""

    def to_json(self) -> dict[str, Any]:
        """The field as `GET /settings/fields` returns it (the keys the client reads)."""
        return {
            "api_name": self.api_name,
            "data_type": self.data_type,
            "length": self.length,
            "custom_field": self.custom_field,
            "field_label": self.field_label or self.api_name.replace("_", " "),
            "id": str(abs(hash(self.api_name)) % 10**18),
        }


@dataclass
class Deleted:
    """A record gone from a module: listed by `GET /{module}/deleted`."""

    id: str
    display_name: str
    deleted_time: datetime
    type: str = "recycle"


@dataclass
class Module:
    """One module's records (by id), its deletions and its fields."""

    name: str
    fields: dict[str, FieldMeta]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[Deleted] = field(default_factory=list)


class ZohoStore:
    """One Zoho CRM organisation: Contacts and Leads, with Zoho's reading and writing rules."""

    def __init__(self, clock: Callable[[], datetime], id_start: int = 5_725_767_000_000_400_000):
        """Start empty; `clock` gives the current time (a pinned clock in tests)."""
        self.clock = clock
        self._ids = itertools.count(id_start)
        self.modules: dict[str, Module] = {
            name: Module(
                name,
                {n: FieldMeta(n, t, size) for n, t, size in specs},
            )
            for name, specs in _STANDARD_FIELDS.items()
        }
        self.owner = {"name": "Patricia Boyle", "id": "5725767000000411001"}

    # -- metadata

    def module(self, name: str) -> Module:
        """The module by API name, or Zoho's INVALID_MODULE refusal."""
        try:
            return self.modules[name]
        except KeyError:
            raise ZohoError(
                400,
                "INVALID_MODULE",
                "the module name given seems to be invalid",
                {"resource_path_index": 0},
            ) from None

    def add_custom_field(self, module: str, api_name: str, data_type: str = "text") -> None:
        """Add a custom field (Zoho suffixes custom API names with `__c` in some editions)."""
        self.module(module).fields[api_name] = FieldMeta(api_name, data_type, 255, True)

    # -- reading

    def list_records(
        self,
        module: str,
        *,
        fields: str | None,
        page: int | None,
        per_page: int | None,
        page_token: str | None,
        sort_by: str | None,
        sort_order: str | None,
        modified_since: datetime | None,
        converted: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One page of records and its `info`, or the refusal Zoho answers."""
        mod = self.module(module)
        converted = converted or "false"
        if converted not in ("false", "true", "both"):
            raise ZohoError(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "converted", "supported_values": ["false", "true", "both"]},
            )
        wanted = self._fields(mod, fields)
        size = MAX_PER_PAGE if per_page is None else per_page
        if not 1 <= size <= MAX_PER_PAGE:
            raise ZohoError(
                400, "INVALID_DATA", "invalid data", {"param_name": "per_page", "maximum": 200}
            )
        sort_by = sort_by or "id"
        if sort_by not in SORT_FIELDS:
            raise ZohoError(
                400,
                "INVALID_DATA",
                "invalid data",
                {"param_name": "sort_by", "supported_values": list(SORT_FIELDS)},
            )
        order = sort_order or "asc"
        if order not in ("asc", "desc"):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"param_name": "sort_order"})
        if page_token is not None:
            if page is not None:
                raise ZohoError(
                    400,
                    "AMBIGUITY_DURING_PROCESSING",
                    "ambiguity while processing the request",
                    {"ambiguity_due_to": [{"param_name": "page"}, {"param_name": "page_token"}]},
                )
            start, size, sort_by, order, since_text, expires = self._read_token(page_token)
            if self.clock().timestamp() > expires:
                raise ZohoError(
                    400,
                    "EXPIRED_VALUE",
                    "the page token has expired",
                    {"api_name": "page_token", "json_path": "$.page_token"},
                )
            modified_since = parse_time(since_text) if since_text else None
            if start >= TOKEN_LIMIT:
                raise ZohoError(
                    400,
                    "PAGINATION_LIMIT_EXCEEDED",
                    "You can only get upto 100000 records using page_token param",
                    {"param_name": "page_token"},
                )
            page_no = start // size + 1
        else:
            page_no = page or 1
            if page_no < 1:
                raise ZohoError(400, "INVALID_DATA", "invalid data", {"param_name": "page"})
            start = (page_no - 1) * size
            if start + size > DISCRETE_LIMIT:
                raise ZohoError(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param",
                    {"limit": DISCRETE_LIMIT},
                )
        rows = [
            r
            for r in mod.records.values()
            if (modified_since is None or parse_time(r["Modified_Time"]) > modified_since)
            and (
                "$converted" not in r
                or converted == "both"
                or r["$converted"] == (converted == "true")
            )
        ]
        rows.sort(key=_sort_key(sort_by), reverse=order == "desc")
        chunk = rows[start : start + size]
        more = start + size < len(rows)
        since_text = zoho_time(modified_since) if modified_since else ""
        info = {
            "per_page": size,
            "count": len(chunk),
            "page": page_no,
            "sort_by": sort_by,
            "sort_order": order,
            "more_records": more,
            "next_page_token": (
                self._make_token(start + size, size, sort_by, order, since_text) if more else None
            ),
            "previous_page_token": None,
            "page_token_expiry": zoho_time(self.clock() + PAGE_TOKEN_TTL) if more else None,
        }
        return [_project(r, wanted) for r in chunk], info

    def convert_lead(self, lead_id: str) -> str:
        """Convert a lead as Zoho's UI does: a new contact with its person fields, the lead
        kept as converted (`$converted`, listed with `converted=true|both`); the contact's id."""
        lead = self.module("Leads").records[lead_id]
        contact = self.create(
            "Contacts",
            **{
                k: lead.get(k)
                for k in ("First_Name", "Last_Name", "Email", "Phone", "Mobile", "Tag")
                if lead.get(k) is not None
            },
        )
        self.touch("Leads", lead_id, **{"$converted": True})
        return str(contact["id"])

    def get_record(self, module: str, record_id: str) -> dict[str, Any]:
        """One record with every field, or INVALID_DATA for an unknown id (as Zoho answers)."""
        mod = self.module(module)
        record = mod.records.get(record_id)
        if record is None:
            raise ZohoError(
                400, "INVALID_DATA", "the related id given seems to be invalid", {"id": record_id}
            )
        return dict(record)

    def deleted_records(
        self, module: str, *, kind: str, page: int, per_page: int, since: datetime | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One page of the module's deleted records (type all, recycle or permanent)."""
        mod = self.module(module)
        if kind not in ("all", "recycle", "permanent"):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"param_name": "type"})
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"param_name": "per_page"})
        rows = [
            d
            for d in mod.deleted
            if (kind == "all" or d.type == kind) and (since is None or d.deleted_time > since)
        ]
        rows.sort(key=lambda d: (d.deleted_time, d.id))
        start = (page - 1) * per_page
        chunk = rows[start : start + per_page]
        data = [
            {
                "id": d.id,
                "display_name": d.display_name,
                "type": d.type,
                "deleted_time": zoho_time(d.deleted_time),
                "deleted_by": self.owner,
                "created_by": self.owner,
            }
            for d in chunk
        ]
        info = {
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "more_records": start + per_page < len(rows),
        }
        return data, info

    # -- writing

    def upsert(
        self, module: str, rows: list[Any], duplicate_check_fields: list[str] | None
    ) -> list[dict[str, Any]]:
        """Insert or update each row (matched on the duplicate check fields, in order)."""
        mod = self.module(module)
        self._check_batch(rows)
        checks = duplicate_check_fields or ["Email"]
        for name in checks:
            if name not in mod.fields:
                raise ZohoError(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": "duplicate_check_fields", "json_path": "$.duplicate_check_fields"},
                )
        results = []
        for index, row in enumerate(rows):
            try:
                results.append(self._upsert_one(mod, index, row, checks))
            except ZohoError as err:
                results.append(err.body())
        return results

    def insert(self, module: str, rows: list[Any]) -> list[dict[str, Any]]:
        """Insert each row (no duplicate check)."""
        mod = self.module(module)
        self._check_batch(rows)
        results = []
        for index, row in enumerate(rows):
            try:
                clean = self._validate(mod, index, row, creating=True)
                results.append(self._result(self._create(mod, clean), "insert", None))
            except ZohoError as err:
                results.append(err.body())
        return results

    def update(self, module: str, rows: list[Any]) -> list[dict[str, Any]]:
        """Update each row by its `id`."""
        mod = self.module(module)
        self._check_batch(rows)
        results = []
        for index, row in enumerate(rows):
            try:
                record_id = str(row.get("id", "")) if isinstance(row, dict) else ""
                if record_id not in mod.records:
                    raise ZohoError(
                        400,
                        "INVALID_DATA",
                        "the id given seems to be invalid",
                        {"api_name": "id", "json_path": f"$.data[{index}].id"},
                    )
                clean = self._validate(mod, index, row, creating=False)
                results.append(self._result(self._apply(mod, record_id, clean), "update", None))
            except ZohoError as err:
                results.append(err.body())
        return results

    def delete(self, module: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        """Move records to the recycle bin; each answers success or INVALID_DATA."""
        self.module(module)
        results = []
        for record_id in ids:
            if self.remove(module, record_id):
                results.append(
                    {
                        "code": "SUCCESS",
                        "details": {"id": record_id},
                        "message": "record deleted",
                        "status": "success",
                    }
                )
            else:
                results.append(
                    ZohoError(
                        400,
                        "INVALID_DATA",
                        "the related id given seems to be invalid",
                        {"id": record_id},
                    ).body()
                )
        return results

    def remove(self, module: str, record_id: str, kind: str = "recycle") -> bool:
        """Delete one record (a person in Zoho's UI, or the API); False if it was not there."""
        mod = self.module(module)
        record = mod.records.pop(record_id, None)
        if record is None:
            return False
        name = " ".join(str(record.get(k) or "") for k in ("First_Name", "Last_Name")).strip()
        mod.deleted.append(Deleted(record_id, name, self.clock(), kind))
        return True

    def merge(self, module: str, master_id: str, child_ids: list[str]) -> dict[str, Any]:
        """Merge records as Zoho's UI does: the master keeps its id, the others are deleted."""
        mod = self.module(module)
        master = mod.records[master_id]
        updates: dict[str, Any] = {}
        for child_id in child_ids:
            child = mod.records[child_id]
            for key, value in child.items():
                if key in SYSTEM_FIELDS or value in (None, "", []):
                    continue
                if master.get(key) in (None, "", []) and key not in updates:
                    updates[key] = value
            self.remove(module, child_id)
        return self._apply(mod, master_id, updates)

    def touch(self, module: str, record_id: str, **values: Any) -> dict[str, Any]:
        """Edit a record as a person in Zoho's UI would (no validation beyond field names)."""
        mod = self.module(module)
        return self._apply(mod, record_id, values)

    def create(self, module: str, **values: Any) -> dict[str, Any]:
        """Create a record as a person in Zoho's UI would."""
        return self._create(self.module(module), values)

    # -- internals

    def _fields(self, mod: Module, fields: str | None) -> list[str]:
        if not fields:
            raise ZohoError(
                400, "REQUIRED_PARAM_MISSING", "required param is missing", {"param_name": "fields"}
            )
        names = [f.strip() for f in fields.split(",") if f.strip()]
        if len(names) > MAX_FIELDS:
            raise ZohoError(
                400,
                "LIMIT_EXCEEDED",
                "limit exceeded",
                {"limit": MAX_FIELDS, "param_name": "fields"},
            )
        for name in names:
            if name not in mod.fields and name not in SYSTEM_FIELDS:
                raise ZohoError(
                    400, "INVALID_DATA", "invalid data", {"param_name": "fields", "api_name": name}
                )
        return names

    def _check_batch(self, rows: Any) -> None:
        if not isinstance(rows, list) or not rows:
            raise ZohoError(
                400, "INVALID_DATA", "invalid data", {"api_name": "data", "json_path": "$.data"}
            )
        if len(rows) > MAX_WRITE:
            raise ZohoError(
                400, "LIMIT_EXCEEDED", "limit exceeded", {"limit": MAX_WRITE, "api_name": "data"}
            )

    def _validate(self, mod: Module, index: int, row: Any, *, creating: bool) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"json_path": f"$.data[{index}]"})
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if key == "id":
                continue
            meta = mod.fields.get(key)
            if meta is None:
                raise ZohoError(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {"api_name": key, "json_path": f"$.data[{index}].{key}"},
                )
            if not _type_ok(meta, value):
                raise ZohoError(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {
                        "expected_data_type": meta.data_type,
                        "api_name": key,
                        "json_path": f"$.data[{index}].{key}",
                    },
                )
            if isinstance(value, str) and meta.length and len(value) > meta.length:
                raise ZohoError(
                    400,
                    "INVALID_DATA",
                    "invalid data",
                    {
                        "maximum_length": meta.length,
                        "api_name": key,
                        "json_path": f"$.data[{index}].{key}",
                    },
                )
            clean[key] = value
        if creating:
            for name in _MANDATORY.get(mod.name, ()):
                if not clean.get(name):
                    raise ZohoError(
                        400,
                        "MANDATORY_NOT_FOUND",
                        "required field not found",
                        {"api_name": name, "json_path": f"$.data[{index}].{name}"},
                    )
        return clean

    def _upsert_one(self, mod: Module, index: int, row: Any, checks: list[str]) -> dict[str, Any]:
        if not isinstance(row, dict):
            raise ZohoError(400, "INVALID_DATA", "invalid data", {"json_path": f"$.data[{index}]"})
        for name in checks:
            value = row.get(name)
            if value in (None, ""):
                continue
            for record_id, record in mod.records.items():
                if _same(record.get(name), value):
                    clean = self._validate(mod, index, row, creating=False)
                    return self._result(self._apply(mod, record_id, clean), "update", name)
        clean = self._validate(mod, index, row, creating=True)
        return self._result(self._create(mod, clean), "insert", checks[0])

    def _create(self, mod: Module, values: dict[str, Any]) -> dict[str, Any]:
        now = zoho_time(self.clock())
        record_id = str(next(self._ids))
        record: dict[str, Any] = {name: None for name in mod.fields}
        if mod.name == "Leads":
            record["$converted"] = False
        record.update(values)
        record.update(
            {
                "id": record_id,
                "Created_Time": now,
                "Modified_Time": now,
                "Owner": self.owner,
                "Created_By": self.owner,
                "Modified_By": self.owner,
            }
        )
        mod.records[record_id] = record
        return dict(record)

    def _apply(self, mod: Module, record_id: str, values: dict[str, Any]) -> dict[str, Any]:
        record = mod.records[record_id]
        record.update(values)
        record["Modified_Time"] = zoho_time(self.clock())
        record["Modified_By"] = self.owner
        return dict(record)

    def _result(
        self, record: dict[str, Any], action: str, duplicate_field: str | None
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "code": "SUCCESS",
            "action": action,
            "details": {
                key: record[key]
                for key in ("id", "Created_Time", "Modified_Time", "Created_By", "Modified_By")
            },
            "message": "record added" if action == "insert" else "record updated",
            "status": "success",
        }
        if duplicate_field:
            result["duplicate_field"] = duplicate_field
        return result

    def _make_token(self, start: int, size: int, sort_by: str, order: str, since: str) -> str:
        expires = (self.clock() + PAGE_TOKEN_TTL).timestamp()
        raw = json.dumps([start, size, sort_by, order, since, expires]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _read_token(self, token: str) -> tuple[int, int, str, str, str, float]:
        try:
            padded = token + "=" * (-len(token) % 4)
            start, size, sort_by, order, since, expires = json.loads(
                base64.urlsafe_b64decode(padded)
            )
            return int(start), int(size), str(sort_by), str(order), str(since), float(expires)
        except (ValueError, TypeError):
            raise ZohoError(
                400, "INVALID_DATA", "invalid data", {"param_name": "page_token"}
            ) from None


def _sort_key(sort_by: str) -> Callable[[dict[str, Any]], Any]:
    if sort_by == "id":
        return lambda r: int(r["id"])
    return lambda r: (r[sort_by], int(r["id"]))


def _project(record: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    out = {name: record.get(name) for name in wanted}
    out["id"] = record["id"]
    if "$converted" in record:
        out["$converted"] = record["$converted"]
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower()
    return bool(a == b)


def _type_ok(meta: FieldMeta, value: Any) -> bool:
    if value is None:
        return True
    if meta.data_type == "boolean":
        return isinstance(value, bool)
    if meta.data_type == "multiselectlookup":
        return isinstance(value, list) and all(
            isinstance(v, dict) and isinstance(v.get("name"), str) for v in value
        )
    if meta.data_type == "email":
        return isinstance(value, str) and ("@" in value or value == "")
    return isinstance(value, str)
