"""The bot's door to :mod:`core.text.i18n`, where translations and the language list live
(the admin panel and the worker use them too, without importing ``bot``)."""

from core.text.i18n import (
    DOMAIN,
    LANGUAGES,
    LOCALES_DIR,
    Speaker,
    gettext_in,
    language_name,
    pick_language,
)

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALES_DIR",
    "Speaker",
    "gettext_in",
    "language_name",
    "pick_language",
]
