"""How the chat looks for a business: its name, accent colour, language and the page's few words.

The bot's own text arrives translated from the server; the page itself says
only what is below (a button, a placeholder, an error), in the business's
language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import pick_language
from core.business import BusinessInfo

DEFAULT_NAME = "Slotwise"
DEFAULT_COLOUR = "#0f766e"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,5}")

UI: dict[str, dict[str, str]] = {
    "en": {
        "message": "Message",
        "send": "Send",
        "start_over": "Start over",
        "date": "Pick a day",
        "error": "Could not reach the server, try again",
        "open": "Chat with {name}",
        "close": "Close the chat",
    },
    "es": {
        "message": "Mensaje",
        "send": "Enviar",
        "start_over": "Empezar de nuevo",
        "date": "Elegir un día",
        "error": "No se pudo contactar con el servidor, inténtalo de nuevo",
        "open": "Chatear con {name}",
        "close": "Cerrar el chat",
    },
    "de": {
        "message": "Nachricht",
        "send": "Senden",
        "start_over": "Neu beginnen",
        "date": "Tag wählen",
        "error": "Der Server ist nicht erreichbar, bitte erneut versuchen",
        "open": "Chat mit {name}",
        "close": "Chat schließen",
    },
    "fr": {
        "message": "Message",
        "send": "Envoyer",
        "start_over": "Recommencer",
        "date": "Choisir un jour",
        "error": "Impossible de joindre le serveur, réessayez",
        "open": "Discuter avec {name}",
        "close": "Fermer le chat",
    },
    "ru": {
        "message": "Сообщение",
        "send": "Отправить",
        "start_over": "Начать заново",
        "date": "Выбрать день",
        "error": "Не удалось связаться с сервером, попробуйте ещё раз",
        "open": "Чат: {name}",
        "close": "Закрыть чат",
    },
}


@dataclass(frozen=True, slots=True)
class Look:
    name: str
    accent: str
    """``#rrggbb``, always valid: safe in a CSS custom property."""
    on_accent: str
    """Text colour readable on the accent: near-black or white."""
    ink: str
    """The accent, darkened if need be to be readable as text on white (WCAG AA, 4.5:1)."""
    lang: str
    """The page's ``<html lang>``: the language the bot will greet in."""
    words: dict[str, str]


def _luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def accent_colours(colour: str | None) -> tuple[str, str]:
    """The accent (the business's colour if it is ``#rrggbb``, else the default) and the
    colour of text on it: whichever of white and near-black contrasts more."""
    accent = colour.lower() if colour and _COLOUR.fullmatch(colour) else DEFAULT_COLOUR
    on_accent = max(("#ffffff", "#111111"), key=lambda text: contrast(accent, text))
    return accent, on_accent


def ink_of(accent: str) -> str:
    """``accent`` darkened in steps until text of that colour is readable on white."""
    ink = accent
    while contrast(ink, "#ffffff") < 4.5:
        ink = "#" + "".join(f"{int(int(ink[i : i + 2], 16) * 0.9):02x}" for i in (1, 3, 5))
    return ink


def look_of(info: BusinessInfo | None, customer_locale: str | None = None) -> Look:
    """The look for ``info`` (``None``: no business imported yet, the defaults). The page
    speaks the language the bot will greet in: the customer's if the bot speaks it, else
    the business's (with its region, if it has one)."""
    # ``colour`` is optional on BusinessInfo; older stores may not carry it at all.
    accent, on_accent = accent_colours(getattr(info, "colour", None))
    home = info.locale.replace("_", "-") if info else "en"
    lang = pick_language(customer_locale, home)
    if not _TAG.fullmatch(home):
        home = "en"
    return Look(
        name=(info.name if info and info.name.strip() else DEFAULT_NAME),
        accent=accent,
        on_accent=on_accent,
        ink=ink_of(accent),
        lang=home if home.split("-")[0].lower() == lang else lang,
        words=UI[lang],
    )
