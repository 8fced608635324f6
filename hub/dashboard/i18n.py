"""The dashboard's language: French by default, English when the user switched to it."""

from __future__ import annotations

from flask import request

LANGUAGES = ("fr", "en")
COOKIE = "ivalid_lang"


def language() -> str:
    """`en` when the language cookie says so, else French."""
    return "en" if request.cookies.get(COOKIE) == "en" else "fr"


def t(fr: str, en: str) -> str:
    """The text in the request's language (templates call it `_`)."""
    return en if language() == "en" else fr
