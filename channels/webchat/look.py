"""How the chat looks for a business: its name, accent colour, language and the page's few words.

The bot's own text arrives translated from the server; the page itself says
only what :func:`ui_words` lists (a button, a placeholder, an error), in the
language the bot greets in, translated through the same gettext catalogs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.business import BusinessInfo
from core.text.i18n import gettext_in, pick_language

DEFAULT_NAME = "Slotwise"
DEFAULT_COLOUR = "#0f766e"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,5}")


def ui_words(lang: str) -> dict[str, str]:
    """The page's own words in ``lang``, from the same gettext catalogs as the bot's."""
    _ = gettext_in(lang)
    return {
        "message": _("Message"),
        "send": _("Send"),
        "start_over": _("Start over"),
        "date": _("Pick a day"),
        "error": _("Could not reach the server, try again"),
        "open": _("Chat with {name}"),
        "close": _("Close the chat"),
        "noscript": _("This chat needs JavaScript."),
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
    accent, on_accent = accent_colours(info.colour if info else None)
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
        words=ui_words(lang),
    )
