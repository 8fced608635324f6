"""/v2/integrations/stripe (connect, status, settings, Stripe's webhook) and an appointment's
payment link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.config import Settings
from hub.db import get_session
from hub.schemas.payments import (
    PaymentOut,
    StripeConnectIn,
    StripeConnectOut,
    StripeSettingsIn,
    StripeStatusOut,
    WebhookReceived,
)
from hub.services import payments, stripe_connect

bp = Blueprint("payments", __name__)
SCOPE = "integrations:manage"
BASE = "/v2/integrations/stripe"


def _settings() -> Settings:
    settings: Settings = current_app.config["IVALID"]
    return settings


@route(
    bp,
    BASE,
    "GET",
    scope=SCOPE,
    summary="Stripe : mode, compte, paiements activés, adresse du webhook",
    response=StripeStatusOut,
)
def get_stripe(p: Principal) -> dict[str, Any]:
    return stripe_connect.status(get_session(), _settings(), p)


@route(
    bp,
    BASE + "/connect",
    "POST",
    scope=SCOPE,
    summary="Connecter Stripe : clé restreinte du compte, ou inscription Stripe Connect",
    body=StripeConnectIn,
    body_optional=True,
    response=StripeConnectOut,
    errors=(409, 422, 502),
)
def connect_stripe(p: Principal, body: StripeConnectIn) -> dict[str, Any]:
    return stripe_connect.connect(get_session(), _settings(), p, body)


@route(
    bp,
    BASE + "/settings",
    "PUT",
    scope=SCOPE,
    summary="Politique de remboursement et pages de retour du paiement",
    body=StripeSettingsIn,
    response=StripeStatusOut,
    errors=(409, 422),
)
def put_stripe_settings(p: Principal, body: StripeSettingsIn) -> dict[str, Any]:
    return stripe_connect.update_settings(get_session(), _settings(), p, body)


@route(
    bp,
    BASE,
    "DELETE",
    scope=SCOPE,
    summary="Déconnecter Stripe (la clé est oubliée)",
    errors=(404,),
)
def disconnect_stripe(p: Principal) -> dict[str, Any]:
    return stripe_connect.disconnect(get_session(), p)


@route(
    bp,
    BASE + "/webhook",
    "POST",
    scope=None,
    summary="Événements Stripe (signature Stripe-Signature vérifiée sur le corps brut)",
    response=WebhookReceived,
    errors=(400,),
)
def stripe_webhook() -> dict[str, Any]:
    return stripe_connect.receive_webhook(
        get_session(),
        _settings(),
        request.get_data(cache=False),
        request.headers.get("Stripe-Signature"),
    )


@route(
    bp,
    BASE + "/webhook/<connection_id>",
    "POST",
    scope=None,
    summary="Événements Stripe d'un compte connecté par sa propre clé",
    response=WebhookReceived,
    errors=(400, 404),
)
def stripe_connection_webhook(connection_id: str) -> dict[str, Any]:
    return stripe_connect.receive_webhook(
        get_session(),
        _settings(),
        request.get_data(cache=False),
        request.headers.get("Stripe-Signature"),
        connection_id,
    )


@route(
    bp,
    "/v2/appointments/<appointment_id>/payment-link",
    "POST",
    scope="appointments:write",
    summary="Nouveau lien de paiement (l'ancien a expiré) ; créé par le worker",
    response=PaymentOut,
    status=202,
    errors=(404, 409),
)
def payment_link(p: Principal, appointment_id: str) -> dict[str, Any]:
    return payments.new_link(get_session(), p, appointment_id)
