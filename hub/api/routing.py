"""The one decorator every API view uses: scope check, body and query parsing, OpenAPI record."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from hub.auth.guard import Principal, require_scope
from hub.bodylimit import MAX_JSON_DEPTH, json_depth_exceeds
from hub.errors import ApiError, field_error, validation_error
from hub.services import idempotency


@dataclass(frozen=True)
class Endpoint:
    """What the OpenAPI document says of one route."""

    method: str
    path: str
    summary: str
    scope: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    tag: str
    errors: tuple[int, ...] = field(default=())


ENDPOINTS: list[Endpoint] = []


def _openapi_path(rule: str) -> str:
    out = []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            part = "{" + part[1:-1].split(":")[-1] + "}"
        out.append(part)
    return "/".join(out)


def _has_nul(value: Any) -> bool:
    """True when a string anywhere in `value` holds a NUL character (databases refuse them)."""
    stack = [value]
    while stack:  # iterative: a deep body must not exhaust the interpreter's stack
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _refuse_nul(where: str, value: Any) -> None:
    if _has_nul(value):
        raise ApiError(422, "VALIDATION_ERROR", {"errors": [field_error(where, "nul_character")]})


def _too_deep() -> ApiError:
    return ApiError(400, "INVALID_JSON", {"reason": "nested too deep", "max_depth": MAX_JSON_DEPTH})


def validation_context(principal: Principal | None) -> dict[str, Any]:
    """What schema validators may ask of the request: the account's time zone, looked up only
    when a date-time without an offset needs it."""
    zones: list[ZoneInfo] = []

    def zone() -> ZoneInfo:
        if not zones:
            if principal is None:
                zones.append(ZoneInfo("Europe/Paris"))
            else:
                from hub.db import get_session
                from hub.services.teams import account_zone

                zones.append(account_zone(get_session(), principal))
        return zones[0]

    return {"zone": zone}


def parse_json_body(
    model: type[BaseModel], optional: bool = False, context: dict[str, Any] | None = None
) -> BaseModel:
    """The request body validated by `model`: 415, 400 or 422 in the API's format otherwise."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return model()
        raise ApiError(400, "INVALID_JSON", {"reason": "empty body"})
    if not request.is_json:
        raise ApiError(
            415, "UNSUPPORTED_MEDIA_TYPE", {"content_type": request.content_type or None}
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_JSON", {"reason": str(exc)[:200]}) from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    if json_depth_exceeds(data):
        raise _too_deep()
    if not isinstance(data, dict):
        raise ApiError(400, "INVALID_JSON", {"reason": "the body must be a JSON object"})
    _refuse_nul("body", data)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def parse_query(model: type[BaseModel], context: dict[str, Any] | None = None) -> BaseModel:
    """The query string validated by `model` (unknown parameters are refused: typos show)."""
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    _refuse_nul("query", data)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def route(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    scope: str | None,
    summary: str,
    body: type[BaseModel] | None = None,
    body_optional: bool = False,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view: it receives the principal, URL args, and `body`/`query` when declared."""
    prefix = bp.url_prefix or ""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        ENDPOINTS.append(
            Endpoint(
                method,
                _openapi_path(prefix + rule),
                summary,
                scope,
                body,
                query,
                response,
                status,
                bp.name,
                errors,
            )
        )

        @wraps(fn)
        def view(**url_args: Any) -> Response:
            principal: Principal | None = require_scope(scope) if scope else None
            if method == "POST" and principal is not None:
                replay = idempotency.begin(principal)
                if replay is not None:
                    return replay
            try:
                _refuse_nul("path", url_args)
                kwargs: dict[str, Any] = dict(url_args)
                context = validation_context(principal)
                if body is not None:
                    kwargs["body"] = parse_json_body(body, body_optional, context)
                if query is not None:
                    kwargs["query"] = parse_query(query, context)
                result = fn(principal, **kwargs) if scope else fn(**kwargs)
                resp = result if isinstance(result, Response) else jsonify(result)
                if not isinstance(result, Response):
                    resp.status_code = status
            except ApiError as err:
                idempotency.finish_error(err)
                raise
            except Exception:
                idempotency.abandon()
                raise
            idempotency.finish(resp)
            return resp

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorate
