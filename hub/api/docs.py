"""/v2/openapi.json generated from the pydantic models, and a docs page at /docs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.api.routing import ENDPOINTS, Endpoint
from hub.auth.guard import ANY_SCOPE
from hub.auth.scopes import SCOPES
from hub.schemas.common import ErrorResponse

bp = Blueprint("docs", __name__)

_ERROR_TEXT = {
    400: "Requête invalide",
    401: "Non authentifié",
    403: "Accès refusé",
    404: "Ressource non trouvée",
    409: "Conflit (ex: créneau occupé)",
    415: "Type de contenu non supporté",
    422: "Données invalides",
    429: "Rate limit dépassé",
}


def _query_parameters(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        prop.pop("title", None)
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    defs.update(schema.get("$defs", {}))
    return params


def build_openapi(public_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered endpoint."""
    models: set[type[BaseModel]] = {ErrorResponse}
    for ep in ENDPOINTS:
        for m in (ep.body, ep.response):
            if m is not None:
                models.add(m)
    ordered = sorted(models, key=lambda m: m.__name__)
    keymap, schema = models_json_schema(
        [(m, "validation" if _is_input(m) else "serialization") for m in ordered],
        ref_template="#/components/schemas/{model}",
    )
    components: dict[str, Any] = dict(schema.get("$defs", {}))

    def ref(m: type[BaseModel]) -> dict[str, Any]:
        return keymap[(m, "validation" if _is_input(m) else "serialization")]

    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, ref, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "iValid API",
            "version": "2.0.0",
            "description": (
                "Gestion des rendez-vous pour les équipes terrain (BTP, SAV, maintenance)."
            ),
        },
        "servers": [{"url": public_url.rstrip("/")}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/oauth/token",
                            "refreshUrl": "/oauth/token",
                            "scopes": SCOPES,
                        }
                    },
                },
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT or API key"},
            },
        },
    }


def _is_input(model: type[BaseModel]) -> bool:
    return model.model_config.get("extra") == "forbid"


def _operation_id(ep: Endpoint) -> str:
    path = ep.path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    return f"{ep.tag}_{ep.method.lower()}_{path}"


def _operation(ep: Endpoint, ref: Any, components: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in ep.path.split("/")
        if part.startswith("{")
    ]
    if ep.query is not None:
        params += _query_parameters(ep.query, components)
    op: dict[str, Any] = {
        "operationId": _operation_id(ep),
        "summary": ep.summary,
        "tags": [ep.tag],
        "parameters": params,
    }
    if ep.scope:
        scopes = [] if ep.scope == ANY_SCOPE else [ep.scope]
        op["security"] = [{"oauth2": scopes}, {"bearer": []}]
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(ep.body)}},
        }
    ok: dict[str, Any] = {"description": "Succès" if ep.status == 200 else "Créé avec succès"}
    ok["content"] = {
        "application/json": {"schema": ref(ep.response) if ep.response else {"type": "object"}}
    }
    responses: dict[str, Any] = {str(ep.status): ok}
    codes = set(ep.errors) | ({401, 403, 429} if ep.scope else set())
    if ep.body is not None:
        codes |= {400, 415, 422}
    if ep.query is not None:
        codes.add(422)
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _ERROR_TEXT.get(code, "Erreur"),
            "content": {"application/json": {"schema": ref(ErrorResponse)}},
        }
    op["responses"] = responses
    return op


@bp.get("/v2/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document."""
    doc = current_app.extensions.get("ivalid_openapi")
    if doc is None:
        doc = build_openapi(current_app.config["IVALID"].public_url)
        current_app.extensions["ivalid_openapi"] = doc
    return jsonify(doc)


@bp.get("/docs")
def docs_page() -> Response:
    """A readable page of the API built from the OpenAPI document (no external assets)."""
    from hub.api.docs_page import render

    return Response(render(), mimetype="text/html")
