"""French notification texts: dates in the account's zone, overrides, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.notify.templates import (
    CHANNELS,
    KINDS,
    TemplateError,
    appointment_context,
    format_datetime_fr,
    render,
    sms_segments,
    validate_override,
    validate_overrides,
)


def context(**changes: Any) -> dict[str, str]:
    """Return the context of a typical appointment, with some fields changed."""
    fields: dict[str, Any] = {
        "customer_name": "Marie Dupont",
        "customer_first_name": "Marie",
        "service_name": "Installation Climatisation",
        "scheduled_at": datetime(2025, 1, 20, 9, 0, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "technician_name": "Jean Martin",
        "address": "15 rue des Lilas, 75001 Paris",
        "company_name": "Clim Express",
        "duration_minutes": 120,
    }
    fields.update(changes)
    return appointment_context(**fields)


@pytest.mark.parametrize(
    ("utc", "zone", "expected"),
    [
        pytest.param(datetime(2025, 1, 20, 9, 0, tzinfo=UTC), "Europe/Paris",
                     "lundi 20 janvier 2025 à 10h00", id="winter-utc+1"),
        pytest.param(datetime(2025, 7, 14, 8, 5, tzinfo=UTC), "Europe/Paris",
                     "lundi 14 juillet 2025 à 10h05", id="summer-utc+2"),
        pytest.param(datetime(2025, 3, 30, 0, 30, tzinfo=UTC), "Europe/Paris",
                     "dimanche 30 mars 2025 à 1h30", id="just-before-spring-forward"),
        pytest.param(datetime(2025, 3, 30, 1, 30, tzinfo=UTC), "Europe/Paris",
                     "dimanche 30 mars 2025 à 3h30", id="just-after-spring-forward"),
        pytest.param(datetime(2025, 10, 26, 0, 30, tzinfo=UTC), "Europe/Paris",
                     "dimanche 26 octobre 2025 à 2h30", id="fall-back-first-2h30"),
        pytest.param(datetime(2025, 10, 26, 1, 30, tzinfo=UTC), "Europe/Paris",
                     "dimanche 26 octobre 2025 à 2h30", id="fall-back-second-2h30"),
        pytest.param(datetime(2025, 2, 28, 23, 30, tzinfo=UTC), "Europe/Paris",
                     "samedi 1er mars 2025 à 0h30", id="first-of-month-next-day"),
        pytest.param(datetime(2025, 8, 15, 12, 0, tzinfo=UTC), "America/Martinique",
                     "vendredi 15 août 2025 à 8h00", id="overseas-no-dst"),
        pytest.param(datetime(2025, 12, 31, 22, 0, tzinfo=UTC), "Indian/Reunion",
                     "jeudi 1er janvier 2026 à 2h00", id="new-year-in-reunion"),
        pytest.param(datetime(2025, 2, 3, 13, 45, tzinfo=UTC), "UTC",
                     "lundi 3 février 2025 à 13h45", id="utc"),
    ],
)  # fmt: skip
def test_french_date_in_account_zone(utc: datetime, zone: str, expected: str) -> None:
    assert format_datetime_fr(utc, zone) == expected


def test_context_fields() -> None:
    values = context(previous_scheduled_at=datetime(2025, 1, 17, 13, 30, tzinfo=UTC))
    assert values["date"] == "lundi 20 janvier 2025"
    assert values["date_short"] == "lundi 20/01"
    assert values["time"] == "10h00"
    assert values["previous_datetime"] == "vendredi 17 janvier 2025 à 14h30"
    assert values["duration"] == "2 h"
    assert context(duration_minutes=90)["duration"] == "1 h 30"
    assert context(duration_minutes=45)["duration"] == "45 min"
    assert context(customer_first_name=None)["customer_first_name"] == "Marie Dupont"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"scheduled_at": datetime(2025, 1, 20, 9, 0)}, "timezone-aware", id="naive"),
        pytest.param({"timezone": "Europe/Atlantis"}, "unknown time zone", id="bad-zone"),
    ],
)
def test_context_errors(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        context(**changes)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", CHANNELS)
def test_every_default_renders(kind: str, channel: str) -> None:
    values = context(previous_scheduled_at=datetime(2025, 1, 17, 13, 30, tzinfo=UTC))
    message = render(kind, channel, values)
    assert "$" not in message.text
    assert "Installation Climatisation" in message.text
    if channel == "email":
        assert message.subject and "\n" not in message.subject
        assert message.html and "<!DOCTYPE html>" in message.html
        assert "Bonjour Marie Dupont," in message.text
        assert message.text.rstrip().endswith("Clim Express")
    else:
        assert (message.subject, message.html) == (None, None)
        # A typical appointment fits one GSM 7-bit segment: one SMS billed, accents kept.
        assert sms_segments(message.text) == ("gsm7", 1), message.text


@pytest.mark.parametrize(
    ("kind", "channel", "fragment"),
    [
        pytest.param("confirmed", "email", "Nous confirmons votre rendez-vous", id="confirmed"),
        pytest.param("cancelled", "email", "a été annulé", id="cancelled"),
        pytest.param("rescheduled", "email", "Ancien créneau : vendredi 17 janvier 2025 à 14h30",
                     id="rescheduled-old-slot"),
        pytest.param("reminder", "sms", "Rappel : votre RDV", id="reminder-sms"),
        pytest.param("created", "sms", "enregistré le lundi 20/01 à 10h00", id="created-sms"),
    ],
)  # fmt: skip
def test_default_wording(kind: str, channel: str, fragment: str) -> None:
    values = context(previous_scheduled_at=datetime(2025, 1, 17, 13, 30, tzinfo=UTC))
    assert fragment in render(kind, channel, values).text


def test_lines_with_only_empty_placeholders_are_left_out() -> None:
    text = render("confirmed", "email", context(technician_name=None, address=None)).text
    assert "Technicien" not in text and "Adresse" not in text
    assert "Durée prévue : 2 h" in text
    sms = render("reminder", "sms", context(address=None, company_name=None)).text
    assert sms == "Rappel : votre RDV Installation Climatisation le lundi 20/01 à 10h00."


def test_override_replaces_only_its_fields() -> None:
    overrides = {
        "reminder": {
            "sms": {"text": "$company_name : RDV demain $time, $address. STOP au 36180"},
            "email": {"subject": "N'oubliez pas : ${service_name} le $date_short"},
        }
    }
    sms = render("reminder", "sms", context(), overrides)
    assert sms.text == (
        "Clim Express : RDV demain 10h00, 15 rue des Lilas, 75001 Paris. STOP au 36180"
    )
    mail = render("reminder", "email", context(), overrides)
    assert mail.subject == "N'oubliez pas : Installation Climatisation le lundi 20/01"
    assert "Nous vous rappelons" in mail.text  # the text was not overridden
    assert render("created", "sms", context(), overrides).text.startswith("Bonjour Marie")


def test_override_text_drives_the_html_part() -> None:
    overrides = {"created": {"email": {"text": "Merci $customer_first_name !\n\nÀ lundi."}}}
    mail = render("created", "email", context(customer_first_name="<Zoé>"), overrides)
    assert mail.text == "Merci <Zoé> !\n\nÀ lundi."
    assert mail.html is not None
    assert "<p>Merci &lt;Zoé&gt; !</p>" in mail.html and "<p>À lundi.</p>" in mail.html


def test_html_override_gets_escaped_values_and_dollar_escape() -> None:
    overrides = {"confirmed": {"email": {"html": "<b>$customer_name</b> paie 50 $$"}}}
    mail = render("confirmed", "email", context(customer_name="A & B <x>"), overrides)
    assert mail.html == "<b>A &amp; B &lt;x&gt;</b> paie 50 $"
    assert "A & B <x>" in mail.text  # the text part stays unescaped


def test_subject_stays_on_one_line() -> None:
    mail = render("created", "email", context(service_name="Pose\r\nBcc: x@example.com"))
    assert (
        mail.subject == "Rendez-vous enregistré : Pose Bcc: x@example.com le lundi 20 janvier 2025"
    )


@pytest.mark.parametrize(
    ("kind", "channel", "fields", "message"),
    [
        pytest.param("reminder", "sms", {"text": "Bonjour $client_name"},
                     r"unknown placeholder \$client_name", id="unknown-placeholder"),
        pytest.param("reminder", "sms", {"text": "Bonjour ${customer_name"},
                     "invalid placeholder syntax", id="unclosed-brace"),
        pytest.param("reminder", "sms", {"text": "Prix : 50 $ TTC"},
                     "invalid placeholder syntax", id="lone-dollar"),
        pytest.param("reminder", "sms", {"text": "{customer_name.__class__}"}, None,
                     id="format-syntax-is-plain-text"),
        pytest.param("reminder", "sms", {"subject": "Rappel"}, "unknown field 'subject'",
                     id="sms-has-no-subject"),
        pytest.param("reminder", "email", {"body": "x"}, "unknown field 'body'",
                     id="unknown-field"),
        pytest.param("reminder", "email", {"text": 42}, "must be a string", id="not-a-string"),
        pytest.param("reminder", "sms", {"text": "x" * 1601}, "longer than 1600",
                     id="sms-too-long"),
        pytest.param("birthday", "sms", {"text": "x"}, "unknown notification kind",
                     id="unknown-kind"),
        pytest.param("reminder", "fax", {"text": "x"}, "unknown channel", id="unknown-channel"),
    ],
)  # fmt: skip
def test_validate_override(
    kind: str, channel: str, fields: dict[str, object], message: str | None
) -> None:
    if message is None:
        validate_override(kind, channel, fields)
        return
    with pytest.raises(TemplateError, match=message):
        validate_override(kind, channel, fields)


def test_validate_overrides_document() -> None:
    validate_overrides({"created": {"email": {"subject": "RDV $date"}, "sms": {"text": "$time"}}})
    with pytest.raises(TemplateError, match="created/sms text: unknown placeholder"):
        validate_overrides({"created": {"sms": {"text": "$heure"}}})
    with pytest.raises(TemplateError, match="expected an object"):
        validate_overrides({"created": "RDV"})


def test_render_refuses_a_bad_stored_override() -> None:
    with pytest.raises(TemplateError, match=r"\$heure"):
        render("reminder", "sms", context(), {"reminder": {"sms": {"text": "À $heure"}}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Rendez-vous confirmé à 10h00", ("gsm7", 1), id="french-accents-are-gsm"),
        pytest.param("é" * 160, ("gsm7", 1), id="160-gsm"),
        pytest.param("é" * 161, ("gsm7", 2), id="161-gsm-concatenated"),
        pytest.param("€" * 80, ("gsm7", 1), id="extension-counts-double"),
        pytest.param("Vous êtes attendu", ("ucs2", 1), id="circumflex-is-not-gsm"),
        pytest.param("ç" * 71, ("ucs2", 2), id="ucs2-concatenated"),
        pytest.param("🛠" * 35, ("ucs2", 1), id="emoji-takes-two-units"),
    ],
)
def test_sms_segments(text: str, expected: tuple[str, int]) -> None:
    assert sms_segments(text) == expected
