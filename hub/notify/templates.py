"""French texts of the customer notifications, and how an account overrides them.

Templates use :class:`string.Template` syntax -- ``$customer_name`` or ``${customer_name}``,
``$$`` for a dollar sign -- on purpose: unlike ``str.format`` it cannot reach attributes
(``{x.__class__}``), so a template typed by an account cannot read anything but the values we
hand it. Only the names in :data:`PLACEHOLDERS` exist; :func:`validate_override` refuses any
other name when an override is saved, and :func:`render` refuses it again when sending.

One layout rule keeps optional fields tidy: a template line whose placeholders all come out
empty (no technician yet, no address) is left out, in the defaults and in overrides alike.

Overrides are stored per account as ``{kind: {channel: {field: template}}}``, for example
``{"reminder": {"sms": {"text": "Rappel : $service_name le $date_short à $time"}}}``;
e-mail fields are ``subject``, ``text`` and ``html``, SMS has only ``text``. A field not
overridden keeps its default; the HTML part is built from the text unless ``html`` is given.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from string import Template
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KINDS = ("created", "confirmed", "rescheduled", "cancelled", "reminder")
CHANNELS = ("email", "sms")
FIELDS: dict[str, tuple[str, ...]] = {"email": ("subject", "text", "html"), "sms": ("text",)}
MAX_TEMPLATE_LENGTH = {"subject": 200, "text": 10_000, "html": 50_000}
SMS_MAX_LENGTH = 1600  # what SMS providers accept in one request (10 concatenated segments)

# Placeholder -> what it holds (shown next to the template editor in the dashboard).
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "Nom complet du client (Marie Dupont)",
    "customer_first_name": "Prénom du client (Marie)",
    "service_name": "Prestation (Installation Climatisation)",
    "date": "Date du rendez-vous (lundi 20 janvier 2025)",
    "date_short": "Date courte (lundi 20/01)",
    "time": "Heure de début (10h00)",
    "datetime": "Date et heure (lundi 20 janvier 2025 à 10h00)",
    "previous_datetime": "Ancien créneau, pour un report (vendredi 17 janvier 2025 à 14h30)",
    "duration": "Durée prévue (2 h, 1 h 30, 45 min)",
    "technician_name": "Technicien (Jean Martin)",
    "address": "Adresse d'intervention (15 rue des Lilas, 75001 Paris)",
    "company_name": "Nom de votre entreprise",
}

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

_SIGNATURE = "À bientôt,\n$company_name"
_DETAILS = "Technicien : $technician_name\nAdresse : $address\nDurée prévue : $duration"

# kind -> channel -> field -> template. SMS texts stay in the GSM 7-bit alphabet (é, è, à, ù are
# in it; ê, ç, «» are not) so that a usual message fits one 160-character segment.
DEFAULTS: dict[str, dict[str, dict[str, str]]] = {
    "created": {
        "email": {
            "subject": "Rendez-vous enregistré : $service_name le $date",
            "text": (
                "Bonjour $customer_name,\n\n"
                "Votre rendez-vous « $service_name » est enregistré pour le $datetime.\n"
                f"{_DETAILS}\n\n"
                "Vous recevrez une confirmation dès qu'il sera validé.\n\n"
                f"{_SIGNATURE}"
            ),
        },
        "sms": {
            "text": (
                "Bonjour $customer_first_name, votre RDV $service_name est enregistré "
                "le $date_short à $time.\n$company_name"
            )
        },
    },
    "confirmed": {
        "email": {
            "subject": "Rendez-vous confirmé : $service_name le $date",
            "text": (
                "Bonjour $customer_name,\n\n"
                "Nous confirmons votre rendez-vous « $service_name » le $datetime.\n"
                f"{_DETAILS}\n\n"
                f"{_SIGNATURE}"
            ),
        },
        "sms": {
            "text": (
                "Bonjour $customer_first_name, votre RDV $service_name du $date_short "
                "à $time est confirmé.\n$company_name"
            )
        },
    },
    "rescheduled": {
        "email": {
            "subject": "Rendez-vous déplacé : $service_name le $date",
            "text": (
                "Bonjour $customer_name,\n\n"
                "Votre rendez-vous « $service_name » a été déplacé.\n"
                "Ancien créneau : $previous_datetime\n"
                "Nouveau créneau : $datetime\n"
                f"{_DETAILS}\n\n"
                "Si ce nouveau créneau ne vous convient pas, répondez simplement à ce message.\n\n"
                f"{_SIGNATURE}"
            ),
        },
        "sms": {
            "text": (
                "Bonjour $customer_first_name, votre RDV $service_name est déplacé "
                "au $date_short à $time.\n$company_name"
            )
        },
    },
    "cancelled": {
        "email": {
            "subject": "Rendez-vous annulé : $service_name du $date",
            "text": (
                "Bonjour $customer_name,\n\n"
                "Votre rendez-vous « $service_name » prévu le $datetime a été annulé.\n\n"
                "Pour convenir d'un nouveau créneau, répondez simplement à ce message.\n\n"
                f"{_SIGNATURE}"
            ),
        },
        "sms": {
            "text": (
                "Bonjour $customer_first_name, votre RDV $service_name du $date_short "
                "à $time est annulé.\n$company_name"
            )
        },
    },
    "reminder": {
        "email": {
            "subject": "Rappel : votre rendez-vous du $datetime",
            "text": (
                "Bonjour $customer_name,\n\n"
                "Nous vous rappelons votre rendez-vous « $service_name » le $datetime.\n"
                f"{_DETAILS}\n\n"
                "Un empêchement ? Répondez à ce message pour convenir d'un autre créneau.\n\n"
                f"{_SIGNATURE}"
            ),
        },
        "sms": {
            "text": (
                "Rappel : votre RDV $service_name le $date_short à $time.\n"
                "Adresse : $address\n$company_name"
            )
        },
    },
}

# GSM 03.38 basic alphabet plus its extension table (extension characters cost two septets).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


class TemplateError(ValueError):
    """A notification template (default or override) that cannot be used."""


@dataclass(frozen=True)
class Message:
    """A rendered notification: subject and HTML only for e-mail."""

    subject: str | None
    text: str
    html: str | None


def _local(moment: datetime, timezone: str | ZoneInfo) -> datetime:
    """Convert an aware datetime to the account's time zone."""
    if moment.tzinfo is None:
        raise ValueError("appointment times must be timezone-aware (UTC in the database)")
    try:
        zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    return moment.astimezone(zone)


def format_date_fr(moment: datetime, timezone: str | ZoneInfo) -> str:
    """Return a date the French way: ``lundi 20 janvier 2025``, ``samedi 1er mars 2025``."""
    local = _local(moment, timezone)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{_WEEKDAYS[local.weekday()]} {day} {_MONTHS[local.month - 1]} {local.year}"


def format_time_fr(moment: datetime, timezone: str | ZoneInfo) -> str:
    """Return a time the French way: ``10h00``, ``9h05``."""
    local = _local(moment, timezone)
    return f"{local.hour}h{local.minute:02d}"


def format_datetime_fr(moment: datetime, timezone: str | ZoneInfo) -> str:
    """Return ``lundi 20 janvier 2025 à 10h00`` in the account's time zone."""
    return f"{format_date_fr(moment, timezone)} à {format_time_fr(moment, timezone)}"


def _format_duration(minutes: int) -> str:
    """Return ``45 min``, ``2 h`` or ``1 h 30``."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest:02d}"


def appointment_context(
    *,
    customer_name: str,
    service_name: str,
    scheduled_at: datetime,
    timezone: str | ZoneInfo,
    customer_first_name: str | None = None,
    technician_name: str | None = None,
    address: str | None = None,
    company_name: str | None = None,
    duration_minutes: int | None = None,
    previous_scheduled_at: datetime | None = None,
) -> dict[str, str]:
    """Build the placeholder values of one appointment, dates in the account's time zone."""
    local = _local(scheduled_at, timezone)
    return {
        "customer_name": customer_name,
        "customer_first_name": customer_first_name or customer_name,
        "service_name": service_name,
        "date": format_date_fr(local, timezone),
        "date_short": f"{_WEEKDAYS[local.weekday()]} {local.day:02d}/{local.month:02d}",
        "time": format_time_fr(local, timezone),
        "datetime": format_datetime_fr(local, timezone),
        "previous_datetime": (
            format_datetime_fr(previous_scheduled_at, timezone) if previous_scheduled_at else ""
        ),
        "duration": _format_duration(duration_minutes) if duration_minutes else "",
        "technician_name": technician_name or "",
        "address": address or "",
        "company_name": company_name or "",
    }


def _check_template(kind: str, channel: str, field: str, source: object) -> Template:
    """Return a compiled template after checking its syntax and placeholder names."""
    where = f"{kind}/{channel} {field}"
    if not isinstance(source, str):
        raise TemplateError(f"{where}: a template must be a string")
    limit = SMS_MAX_LENGTH if channel == "sms" else MAX_TEMPLATE_LENGTH[field]
    if len(source) > limit:
        raise TemplateError(f"{where}: longer than {limit} characters")
    template = Template(source)
    if not template.is_valid():
        raise TemplateError(
            f"{where}: invalid placeholder syntax; write $name or ${{name}}, and $$ for '$'"
        )
    unknown = sorted(set(template.get_identifiers()) - PLACEHOLDERS.keys())
    if unknown:
        known = ", ".join(f"${name}" for name in PLACEHOLDERS)
        raise TemplateError(
            f"{where}: unknown placeholder {', '.join('$' + u for u in unknown)}; "
            f"available: {known}"
        )
    return template


def validate_override(kind: str, channel: str, fields: Mapping[str, object]) -> None:
    """Check one account override (``{field: template}``); raise TemplateError if unusable."""
    if kind not in KINDS:
        raise TemplateError(f"unknown notification kind {kind!r}; expected one of {KINDS}")
    if channel not in CHANNELS:
        raise TemplateError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    if not isinstance(fields, Mapping):
        raise TemplateError(f"{kind}/{channel}: expected an object of fields")
    for field, source in fields.items():
        if field not in FIELDS[channel]:
            raise TemplateError(
                f"{kind}/{channel}: unknown field {field!r}; expected {FIELDS[channel]}"
            )
        _check_template(kind, channel, field, source)


def validate_overrides(overrides: Mapping[str, object]) -> None:
    """Check an account's whole override document ``{kind: {channel: {field: template}}}``."""
    if not isinstance(overrides, Mapping):
        raise TemplateError("overrides must be an object keyed by notification kind")
    for kind, channels in overrides.items():
        if not isinstance(channels, Mapping):
            raise TemplateError(f"{kind}: expected an object keyed by channel")
        for channel, fields in channels.items():
            validate_override(kind, channel, fields)


def _values(context: Mapping[str, object], escape: bool) -> dict[str, str]:
    """Return every placeholder's text (missing = empty), HTML-escaped if asked."""
    values = {name: str(context.get(name) or "") for name in PLACEHOLDERS}
    return {k: html.escape(v) for k, v in values.items()} if escape else values


def _fill(template: Template, values: Mapping[str, str]) -> str:
    """Substitute values, leaving out lines whose placeholders all came out empty."""
    kept = []
    for line in template.template.split("\n"):
        names = Template(line).get_identifiers()
        if names and not any(values.get(n) for n in names):
            continue
        kept.append(line)
    return Template("\n".join(kept)).substitute(values)


def _html_from_text(text: str, title: str | None) -> str:
    """Build the HTML alternative of a plain-text e-mail: escaped paragraphs and line breaks."""
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title or '')}</title>\n</head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.5; '
        'color: #1f2933;">\n'
        f"{body}\n</body>\n</html>\n"
    )


def render(
    kind: str,
    channel: str,
    context: Mapping[str, object],
    overrides: Mapping[str, object] | None = None,
) -> Message:
    """Render a notification from the defaults and the account's overrides (if any)."""
    if kind not in KINDS or channel not in CHANNELS:
        raise TemplateError(f"no template for {kind!r}/{channel!r}")
    override: Mapping[str, object] = {}
    if overrides:
        by_channel = overrides.get(kind)
        if isinstance(by_channel, Mapping):
            override = by_channel.get(channel) or {}
        validate_override(kind, channel, override)
    sources = {**DEFAULTS[kind][channel], **override}
    templates = {f: _check_template(kind, channel, f, s) for f, s in sources.items()}
    plain = _values(context, escape=False)
    text = _fill(templates["text"], plain).strip()
    if channel == "sms":
        return Message(subject=None, text=text, html=None)
    # A subject is one line: a newline in a value must not fold into another header.
    subject = " ".join(_fill(templates["subject"], plain).split())
    if "html" in templates:
        html_part = _fill(templates["html"], _values(context, escape=True))
    else:
        html_part = _html_from_text(text, subject)
    return Message(subject=subject, text=text, html=html_part)


def sms_segments(text: str) -> tuple[str, int]:
    """Return the SMS encoding (``gsm7`` or ``ucs2``) and how many segments a text will take."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text):
        septets = sum(2 if c in _GSM7_EXTENSION else 1 for c in text)
        return "gsm7", 1 if septets <= 160 else -(-septets // 153)
    # UCS-2 counts UTF-16 code units: an emoji takes two.
    units = len(text.encode("utf-16-le")) // 2
    return "ucs2", 1 if units <= 70 else -(-units // 67)
