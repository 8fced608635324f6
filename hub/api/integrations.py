"""/v2/integrations: connections to remote systems, their mapping and calendars; the OAuth
callback page and the providers' push notifications."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.wrappers import Response as WerkzeugResponse

from hub.api.integration_result import result_page
from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.integrations import (
    ConnectOut,
    DisconnectOut,
    IntegrationList,
    IntegrationOut,
    IntegrationSettingsUpdate,
    MappingOut,
    MappingOverride,
    MappingPreviewIn,
    MappingPreviewOut,
    NotificationOut,
    SyncQueued,
    TechnicianLinkList,
    TechnicianLinkOut,
    TechnicianLinkUpdate,
)
from hub.services import integrations

bp = Blueprint("integrations", __name__)
SCOPE = "integrations:manage"
BASE = "/v2/integrations"


def _rt() -> integrations.SyncRuntime:
    return integrations.runtime_for(current_app._get_current_object())  # type: ignore[attr-defined]


@route(
    bp,
    BASE,
    "GET",
    scope=SCOPE,
    summary="Lister les intégrations et leur état",
    response=IntegrationList,
)
def list_integrations(p: Principal) -> dict[str, Any]:
    return integrations.list_(_rt(), get_session(), p)


@route(
    bp,
    BASE + "/<name>",
    "GET",
    scope=SCOPE,
    summary="État d'une intégration",
    response=IntegrationOut,
    errors=(404,),
)
def get_integration(p: Principal, name: str) -> dict[str, Any]:
    return integrations.get(_rt(), get_session(), p, name)


@route(
    bp,
    BASE + "/<name>",
    "PATCH",
    scope=SCOPE,
    summary="Réglages d'une intégration (flux optionnels, ex. les leads de Zoho)",
    body=IntegrationSettingsUpdate,
    response=IntegrationOut,
    errors=(404, 422),
)
def patch_integration(p: Principal, name: str, body: IntegrationSettingsUpdate) -> dict[str, Any]:
    return integrations.update_settings(_rt(), get_session(), p, name, body)


@route(
    bp,
    BASE + "/<name>/connect",
    "POST",
    scope=SCOPE,
    summary="Connecter : URL de la page de consentement du fournisseur",
    response=ConnectOut,
    errors=(404, 409),
)
def connect_integration(p: Principal, name: str) -> dict[str, Any]:
    return integrations.start_connect(_rt(), p, name)


@route(
    bp,
    BASE + "/<name>",
    "DELETE",
    scope=SCOPE,
    summary="Déconnecter (révoque l'accès, arrête les notifications)",
    response=DisconnectOut,
    errors=(404,),
)
def disconnect_integration(p: Principal, name: str) -> dict[str, Any]:
    return integrations.disconnect(_rt(), p, name)


@route(
    bp,
    BASE + "/<name>/sync",
    "POST",
    scope=SCOPE,
    summary="Synchroniser maintenant (exécuté par le worker)",
    response=SyncQueued,
    status=202,
    errors=(404, 409),
)
def sync_integration(p: Principal, name: str) -> dict[str, Any]:
    return integrations.request_sync(_rt(), get_session(), p, name)


@route(
    bp,
    BASE + "/<name>/mapping",
    "GET",
    scope=SCOPE,
    summary="Correspondance des champs",
    response=MappingOut,
    errors=(404,),
)
def get_mapping(p: Principal, name: str) -> dict[str, Any]:
    return integrations.get_mapping(get_session(), p, name)


@route(
    bp,
    BASE + "/<name>/mapping",
    "PUT",
    scope=SCOPE,
    summary="Personnaliser la correspondance des champs",
    body=MappingOverride,
    body_optional=True,
    response=MappingOut,
    errors=(404, 422),
)
def put_mapping(p: Principal, name: str, body: MappingOverride) -> dict[str, Any]:
    return integrations.set_mapping(get_session(), p, name, body)


@route(
    bp,
    BASE + "/<name>/mapping/preview",
    "POST",
    scope=SCOPE,
    summary="Aperçu : ce que devient un rendez-vous chez le fournisseur",
    body=MappingPreviewIn,
    response=MappingPreviewOut,
    errors=(404, 422),
)
def preview_mapping(p: Principal, name: str, body: MappingPreviewIn) -> dict[str, Any]:
    return integrations.preview(get_session(), p, name, body)


@route(
    bp,
    BASE + "/<name>/links/technicians",
    "GET",
    scope=SCOPE,
    summary="Agenda de chaque technicien",
    response=TechnicianLinkList,
    errors=(404,),
)
def list_links(p: Principal, name: str) -> dict[str, Any]:
    return integrations.list_links(get_session(), p, name)


@route(
    bp,
    BASE + "/<name>/links/technicians/<technician_id>",
    "PUT",
    scope=SCOPE,
    summary="Choisir l'agenda d'un technicien",
    body=TechnicianLinkUpdate,
    response=TechnicianLinkOut,
    errors=(404, 409, 422),
)
def put_link(
    p: Principal, name: str, technician_id: str, body: TechnicianLinkUpdate
) -> dict[str, Any]:
    return integrations.set_link(_rt(), get_session(), p, name, technician_id, body)


@route(
    bp,
    BASE + "/<name>/notifications",
    "POST",
    scope=None,
    summary="Notification push du fournisseur (vérifiée par son jeton de canal)",
    response=NotificationOut,
    status=202,
    errors=(400, 403, 404),
)
def notifications(name: str) -> dict[str, Any] | Response:
    if "validationToken" in request.args:  # Graph's endpoint validation: echo it at once
        answer = integrations.notification_handshake(name, request.args.to_dict())
        if answer is not None:
            status, headers, body = answer
            return Response(body, status=status, headers=headers)
    return integrations.notified(_rt(), name, dict(request.headers), request.get_data(cache=False))


@bp.route("/oauth/callback/<name>", methods=["GET", "POST"])
def oauth_callback(name: str) -> WerkzeugResponse:
    """Where the provider's consent page sends the browser back (HTML result page).

    A link started from the dashboard finishes only in the browser session that started it.
    One started through the API asks a signed-in user of the account to confirm first (sign-in
    page, then a confirmation form): either way the link is not a bearer capability.
    """
    from flask import redirect, render_template, session, url_for
    from flask_login import current_user

    from hub.dashboard.blueprint import csrf
    from hub.dashboard.views.integrations import BINDING

    args = (request.form if request.method == "POST" else request.args).to_dict()
    display = integrations.display_name(name)
    rt = _rt()
    row = integrations.pending_connect(rt, name, args.get("state", ""))
    if row is not None and row.binding_hash is None and not args.get("error"):
        if not current_user.is_authenticated:
            return redirect(url_for("dashboard.login", next=request.full_path))
        if request.method == "GET":
            return Response(
                render_template(
                    "dashboard/connect_confirm.html",
                    display=display,
                    name=name,
                    callback_args=args,
                    environment=row.environment,
                )
            )
        csrf.protect()
        outcome = integrations.finish_connect(
            rt, name, args, confirmed_account=current_user.account_id
        )
    else:
        outcome = integrations.finish_connect(rt, name, args, binding=session.get(BINDING))
    return result_page(outcome, display)
