"""The page the browser lands on after the provider's consent screen (OAuth callback)."""

from __future__ import annotations

from flask import Response, jsonify, render_template, request

from hub.errors import ApiError, preferred_language
from hub.integrations.connect import Outcome

# status → (HTTP status, (fr title, en title), (fr text, en text))
_PAGES: dict[str, tuple[int, tuple[str, str], tuple[str, str]]] = {
    "connected": (
        200,
        ("{name} est connecté", "{name} is connected"),
        (
            "La synchronisation des rendez-vous démarre dans quelques instants.",
            "Appointments will start syncing in a few moments.",
        ),
    ),
    "access_denied": (
        400,
        ("Connexion annulée", "Connection cancelled"),
        (
            "L'accès n'a pas été autorisé : rien n'a été connecté.",
            "Access was not granted: nothing was connected.",
        ),
    ),
    "invalid_state": (
        400,
        ("Lien expiré", "Link expired"),
        (
            "Ce lien de connexion a expiré ou a déjà servi. Recommencez depuis iValid.",
            "This connection link has expired or was already used. Start again from iValid.",
        ),
    ),
    "missing_code": (
        400,
        ("Réponse incomplète", "Incomplete answer"),
        (
            "Le fournisseur n'a pas renvoyé de code d'autorisation. Recommencez.",
            "The provider sent no authorization code. Please start again.",
        ),
    ),
    "exchange_failed": (
        502,
        ("Connexion impossible", "Could not connect"),
        (
            "Le fournisseur a refusé l'échange du code d'autorisation. Recommencez.",
            "The provider refused the authorization code. Please start again.",
        ),
    ),
    "provider_error": (
        400,
        ("Connexion refusée", "Connection refused"),
        (
            "Le fournisseur a signalé une erreur. Recommencez.",
            "The provider reported an error. Please start again.",
        ),
    ),
    "unknown_integration": (
        404,
        ("Intégration inconnue", "Unknown integration"),
        ("Cette intégration n'existe pas.", "This integration does not exist."),
    ),
}

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the URL carried the authorization code
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def result_page(outcome: Outcome, display_name: str) -> Response:
    """The HTML result (or the API's JSON error format when JSON is asked for)."""
    status, titles, texts = _PAGES.get(outcome.message, _PAGES["provider_error"])
    wants_json = request.accept_mimetypes.best == "application/json"
    if wants_json and not outcome.ok:
        err = ApiError(
            status,
            "INTEGRATION_CONNECT_FAILED",
            {"integration": outcome.integration, "reason": outcome.message},
        )
        resp = jsonify(err.body())
    elif wants_json:
        resp = jsonify(
            {
                "integration": outcome.integration,
                "status": "connected",
                "connected_as": outcome.email,
                "environment": outcome.environment,
            }
        )
    else:
        en = preferred_language() == "en"
        i = 1 if en else 0
        html = render_template(
            "integrations/oauth_result.html",
            lang="en" if en else "fr",
            ok=outcome.ok,
            status=outcome.message,
            integration=outcome.integration,
            title=titles[i].format(name=display_name),
            text=texts[i],
            email=outcome.email,
            environment=outcome.environment,
            account_label="Account:" if en else "Compte :",
            environment_label="Environment:" if en else "Environnement :",
            close_text="You can close this window." if en else "Vous pouvez fermer cette fenêtre.",
        )
        resp = Response(html, mimetype="text/html")
    resp.status_code = status
    resp.headers.update(_HEADERS)
    return resp
