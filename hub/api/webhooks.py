"""/v2/webhooks: endpoints, delivery logs, retries, tests, recovery and secret rotation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.config import Settings
from hub.db import get_session
from hub.schemas.common import PageQuery
from hub.schemas.webhooks import (
    DeliveryList,
    DeliveryOut,
    DeliveryQuery,
    Recover,
    RecoverOut,
    RotateSecret,
    WebhookCreate,
    WebhookList,
    WebhookOut,
    WebhookUpdate,
)
from hub.services import webhooks

bp = Blueprint("webhooks", __name__, url_prefix="/v2/webhooks")
SCOPE = "webhooks:manage"


def _settings() -> Settings:
    settings: Settings = current_app.config["IVALID"]
    return settings


@route(
    bp,
    "",
    "POST",
    scope=SCOPE,
    summary="Configurer un webhook",
    body=WebhookCreate,
    response=WebhookOut,
    status=201,
    errors=(409, 422),
)
def create_webhook(p: Principal, body: WebhookCreate) -> dict[str, Any]:
    """Register an endpoint (the secret is shown this once)."""
    return webhooks.create(get_session(), p, body, _settings())


@route(
    bp, "", "GET", scope=SCOPE, summary="Lister les webhooks", query=PageQuery, response=WebhookList
)
def list_webhooks(p: Principal, query: PageQuery) -> dict[str, Any]:
    """The caller's endpoints."""
    return webhooks.list_(get_session(), p, query, _settings())


@route(
    bp,
    "/<webhook_id>",
    "GET",
    scope=SCOPE,
    summary="Obtenir un webhook",
    response=WebhookOut,
    errors=(404,),
)
def get_webhook(p: Principal, webhook_id: str) -> dict[str, Any]:
    """One endpoint."""
    return webhooks.get(get_session(), p, webhook_id, _settings())


@route(
    bp,
    "/<webhook_id>",
    "PUT",
    scope=SCOPE,
    summary="Modifier un webhook",
    body=WebhookUpdate,
    response=WebhookOut,
    errors=(404, 422),
)
def update_webhook(p: Principal, webhook_id: str, body: WebhookUpdate) -> dict[str, Any]:
    """Change an endpoint."""
    return webhooks.update_endpoint(get_session(), p, webhook_id, body, _settings())


@route(
    bp,
    "/<webhook_id>",
    "DELETE",
    scope=SCOPE,
    summary="Supprimer un webhook",
    status=204,
    errors=(404,),
)
def delete_webhook(p: Principal, webhook_id: str) -> Response:
    """Remove an endpoint and its logs."""
    webhooks.delete(get_session(), p, webhook_id)
    return Response(status=204)


@route(
    bp,
    "/<webhook_id>/rotate-secret",
    "POST",
    scope=SCOPE,
    summary="Changer le secret (l'ancien signe encore 24 h)",
    body=RotateSecret,
    body_optional=True,
    response=WebhookOut,
    errors=(404, 422),
)
def rotate_secret(p: Principal, webhook_id: str, body: RotateSecret) -> dict[str, Any]:
    """Rotate the signing secret (24 h overlap)."""
    return webhooks.rotate_secret(get_session(), p, webhook_id, body, _settings())


@route(
    bp,
    "/<webhook_id>/test",
    "POST",
    scope=SCOPE,
    summary="Envoyer un événement de test",
    response=DeliveryOut,
    status=202,
    errors=(404, 409),
)
def test_webhook(p: Principal, webhook_id: str) -> dict[str, Any]:
    """Queue a webhook.test ping."""
    return webhooks.send_test(get_session(), p, webhook_id)


@route(
    bp,
    "/<webhook_id>/recover",
    "POST",
    scope=SCOPE,
    summary="Renvoyer tous les événements depuis une date",
    body=Recover,
    response=RecoverOut,
    status=202,
    errors=(404, 409, 422),
)
def recover_webhook(p: Principal, webhook_id: str, body: Recover) -> dict[str, Any]:
    """Re-send every subscribed event since a date."""
    return webhooks.recover(get_session(), p, webhook_id, body)


@route(
    bp,
    "/<webhook_id>/deliveries",
    "GET",
    scope=SCOPE,
    summary="Journal des envois (chaque tentative)",
    query=DeliveryQuery,
    response=DeliveryList,
    errors=(404,),
)
def list_deliveries(p: Principal, webhook_id: str, query: DeliveryQuery) -> dict[str, Any]:
    """The delivery log, with every attempt."""
    return webhooks.deliveries(get_session(), p, webhook_id, query)


@route(
    bp,
    "/<webhook_id>/deliveries/<delivery_id>",
    "GET",
    scope=SCOPE,
    summary="Obtenir un envoi et ses tentatives",
    response=DeliveryOut,
    errors=(404,),
)
def get_delivery(p: Principal, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """One delivery and its attempts."""
    return webhooks.get_delivery(get_session(), p, webhook_id, delivery_id)


@route(
    bp,
    "/<webhook_id>/deliveries/<delivery_id>/retry",
    "POST",
    scope=SCOPE,
    summary="Renvoyer maintenant",
    response=DeliveryOut,
    status=202,
    errors=(404, 409),
)
def retry_delivery(p: Principal, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """Send a delivery again now."""
    return webhooks.retry_delivery(get_session(), p, webhook_id, delivery_id)
