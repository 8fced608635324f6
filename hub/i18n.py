"""Error messages in French (the API's language) and English (`Accept-Language: en`)."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    # code: (français, English)
    "BAD_REQUEST": ("Requête invalide", "Bad request"),
    "INVALID_JSON": (
        "Le corps de la requête n'est pas un JSON valide",
        "The request body is not valid JSON",
    ),
    "UNSUPPORTED_MEDIA_TYPE": (
        "Le corps de la requête doit être envoyé en application/json",
        "The request body must be sent as application/json",
    ),
    "PAYLOAD_TOO_LARGE": (
        "Le corps de la requête est trop volumineux",
        "The request body is too large",
    ),
    "UNAUTHENTICATED": (
        "Authentification requise : envoyez un header Authorization: Bearer <token>",
        "Authentication required: send an Authorization: Bearer <token> header",
    ),
    "INVALID_TOKEN": (
        "Le token d'accès est invalide, expiré ou révoqué",
        "The access token is invalid, expired or revoked",
    ),
    "INSUFFICIENT_SCOPE": (
        "Le token n'a pas le scope requis pour cette opération",
        "The token lacks the scope this operation requires",
    ),
    "FORBIDDEN": ("Accès refusé", "Access denied"),
    "NOT_FOUND": ("Ressource non trouvée", "Resource not found"),
    "ROUTE_NOT_FOUND": ("Cette route n'existe pas", "No such route"),
    "METHOD_NOT_ALLOWED": (
        "Méthode HTTP non autorisée sur cette route",
        "HTTP method not allowed on this route",
    ),
    "NOT_ACCEPTABLE": ("Format de réponse non disponible", "Response format not available"),
    "CONFLICT": ("Conflit", "Conflict"),
    "SLOT_NOT_AVAILABLE": (
        "Le créneau demandé n'est plus disponible",
        "The requested slot is not available",
    ),
    "INVALID_STATUS_TRANSITION": (
        "Transition de statut impossible : {from_status} → {to_status}",
        "Invalid status transition: {from_status} → {to_status}",
    ),
    "SKILL_MISMATCH": (
        "Le technicien n'a pas les compétences requises par le service",
        "The technician lacks the skills the service requires",
    ),
    "UNKNOWN_POSTAL_CODE": (
        "Code postal inconnu ou sans position connue : indiquez les coordonnées de l'adresse "
        "(location.coordinates)",
        "Unknown postal code, or one with no known position: send the address's coordinates "
        "(location.coordinates)",
    ),
    "NO_TECHNICIAN_AVAILABLE": (
        "Aucun technicien qualifié n'est disponible sur ce créneau",
        "No qualified technician is available for this slot",
    ),
    "VALIDATION_ERROR": ("Données invalides", "Invalid data"),
    "INVALID_REFERENCE": (
        "Un objet référencé n'existe pas",
        "A referenced object does not exist",
    ),
    "IDEMPOTENCY_KEY_REUSED": (
        "Cette Idempotency-Key a déjà été utilisée avec un autre corps de requête",
        "This Idempotency-Key was already used with another request body",
    ),
    "IDEMPOTENCY_IN_PROGRESS": (
        "Une requête avec cette Idempotency-Key est encore en cours",
        "A request with this Idempotency-Key is still in progress",
    ),
    "RATE_LIMIT_EXCEEDED": (
        "Limite de requêtes dépassée, réessayez plus tard",
        "Rate limit exceeded, retry later",
    ),
    "INTERNAL_ERROR": ("Erreur serveur", "Server error"),
    "HTTP_ERROR": ("Erreur HTTP", "HTTP error"),
    "SERVICE_UNAVAILABLE": (
        "Service temporairement indisponible",
        "Service temporarily unavailable",
    ),
    # Webhooks
    "WEBHOOK_URL_NOT_ALLOWED": (
        "Cette URL de webhook n'est pas autorisée (https obligatoire, adresses internes refusées)",
        "This webhook URL is not allowed (https required, internal addresses refused)",
    ),
    "WEBHOOK_DISABLED": (
        'Ce webhook est désactivé : réactivez-le avec PUT {"active": true}',
        'This webhook is disabled: re-enable it with PUT {"active": true}',
    ),
    "WEBHOOK_LIMIT_REACHED": (
        "Nombre maximal de webhooks atteint pour cet environnement",
        "Maximum number of webhooks reached for this environment",
    ),
    # Integrations
    "INTEGRATION_NOT_CONFIGURED": (
        "Cette intégration n'est pas configurée sur ce serveur (identifiants OAuth manquants)",
        "This integration is not configured on this server (OAuth client missing)",
    ),
    "INTEGRATION_NOT_CONNECTED": (
        "Cette intégration n'est pas connectée : connectez-la d'abord",
        "This integration is not connected: connect it first",
    ),
    "INTEGRATION_CONNECT_FAILED": (
        "La connexion à l'intégration a échoué",
        "Connecting the integration failed",
    ),
    "MAPPING_INVALID": (
        "Correspondance de champs invalide : {reason}",
        "Invalid field mapping: {reason}",
    ),
    "PREVIEW_KIND": (
        "Cette intégration ne fait pas correspondre ce type d'objet : aperçu avec {field}",
        "This integration does not map this kind of object: preview it with {field}",
    ),
    "UNKNOWN_STREAM": (
        "Flux inconnu pour cette intégration : {name} (flux : {streams})",
        "Unknown stream for this integration: {name} (streams: {streams})",
    ),
    "STREAM_REQUIRED": (
        "Le flux {name} est toujours synchronisé : il ne peut pas être désactivé",
        "The {name} stream is always synced: it cannot be turned off",
    ),
    "UNKNOWN_CALENDAR": (
        "Cet agenda n'appartient pas au compte connecté",
        "This calendar does not belong to the connected account",
    ),
    "CALENDAR_NOT_WRITABLE": (
        "Le compte connecté ne peut pas écrire dans cet agenda",
        "The connected account may not write to this calendar",
    ),
    "CALENDAR_ALREADY_LINKED": (
        "Cet agenda est déjà associé à un autre technicien",
        "This calendar is already linked to another technician",
    ),
    "INVALID_NOTIFICATION": (
        "Notification push refusée",
        "Push notification refused",
    ),
    "UNKNOWN_CHANNEL": (
        "Canal de notification inconnu",
        "Unknown notification channel",
    ),
    # Payments (Stripe)
    "INTEGRATION_UNAVAILABLE": (
        "Le service distant ne répond pas correctement ; réessayez plus tard",
        "The remote service is not answering properly; try again later",
    ),
    "INVALID_SIGNATURE": (
        "Signature Stripe-Signature invalide, absente ou trop ancienne",
        "Stripe-Signature is invalid, missing or too old",
    ),
    "PAYMENT_NOT_REQUIRED": (
        "Ce rendez-vous ne demande pas de paiement en ligne",
        "This appointment asks for no online payment",
    ),
    "PAYMENT_NOT_OPEN": (
        "Ce paiement n'attend plus de lien : il est réglé, échoué ou remboursé",
        "This payment needs no new link: it is paid, failed or refunded",
    ),
}


def message(code: str, lang: str = "fr", **args: Any) -> str:
    """The message for `code` in `lang` (fr or en), formatted with `args` when given."""
    fr, en = MESSAGES.get(code, (code, code))
    text = en if lang == "en" else fr
    if args:
        try:
            return text.format(**args)
        except (KeyError, IndexError):
            return text
    return text
