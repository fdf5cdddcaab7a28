"""The languages we speak, translations, and times written for a person in their language
and zone: for the bot, the admin panel and the worker alike.

``LANGUAGES`` is defined in :mod:`core.text.languages` and only there (a test holds
``bot/``, ``channels/`` and ``core/text`` to that); the understanding and the dialog
import it from here.

Catalogs live in ``locales/<lang>/LC_MESSAGES/messages.po`` (``make messages``
extracts and updates them, ``make compile-messages`` writes the ``.mo`` files).
A catalog whose ``.mo`` is missing or older than its ``.po`` is compiled in
memory when first used, so a fresh checkout speaks every language without a
build step and an edited ``.po`` is never shadowed by a stale ``.mo``.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from babel.units import format_unit

from core.text.languages import LANGUAGES

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALES_DIR",
    "Speaker",
    "gettext_in",
    "language_name",
    "pick_language",
]

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
_UTC_NAMES = frozenset({"UTC", "UCT", "GMT", "Zulu", "Universal", "Greenwich"})


@lru_cache(maxsize=len(LANGUAGES))
def _translations(lang: str) -> gettext.NullTranslations:
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    if po.exists():
        with po.open("rb") as source:
            catalog = read_po(source, locale=lang, domain=DOMAIN)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)
    return gettext.NullTranslations()


def pick_language(*candidates: str | None) -> str:
    """The first candidate the bot speaks (``"es-MX"`` counts as ``"es"``), else English."""
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.replace("_", "-").split("-", 1)[0].strip().lower()
        if code in LANGUAGES:
            return code
    return LANGUAGES[0]


def gettext_in(lang: str) -> Callable[[str], str]:
    """``_`` for one language, where no time needs writing (a page's words, an apology)."""
    return _translations(lang).gettext


def language_name(lang: str) -> str:
    """A language's own name for itself ("Español"), for the language buttons."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


@dataclass(frozen=True, slots=True)
class Speaker:
    """One person's language and timezone: translates, and writes dates the way they read them.

    ``home_zone`` is the business's zone: when the person's differs, times name
    their zone so that "14:00" is never read against the wrong clock.
    """

    lang: str
    zone: str
    home_zone: str

    def _(self, message: str) -> str:
        return _translations(self.lang).gettext(message)

    def n_(self, singular: str, plural: str, n: int) -> str:
        return _translations(self.lang).ngettext(singular, plural, n)

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def day(self, moment: datetime | date) -> str:
        """ "Tue, Dec 1" / "mar, 1 dic"."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(self._tz)
        return format_skeleton("MMMEd", moment, locale=self.lang)

    def time(self, moment: datetime) -> str:
        return format_time(moment.astimezone(self._tz), "short", locale=self.lang)

    def when(self, moment: datetime) -> str:
        """Day and time, plus the zone's city when it is not the business's."""
        text = f"{self.day(moment)}, {self.time(moment)}"
        return f"{text} ({self.zone_name()})" if self.zone != self.home_zone else text

    def span(self, start: datetime, end: datetime) -> str:
        """ "Tue, Dec 1, 2:00 PM – 2:45 PM" (the zone named as in :meth:`when`)."""
        text = f"{self.day(start)}, {self.time(start)} – {self.time(end)}"
        return f"{text} ({self.zone_name()})" if self.zone != self.home_zone else text

    def duration(self, minutes: int) -> str:
        """A duration in the largest unit that says it exactly: 1 day, 90 minutes, 2 Stunden."""
        for unit, size in (("duration-day", 1440), ("duration-hour", 60)):
            if minutes and minutes % size == 0:
                return str(format_unit(minutes // size, unit, locale=self.lang))
        return str(format_unit(minutes, "duration-minute", locale=self.lang))

    def zone_name(self) -> str:
        """The zone's city ("New York", "Нью-Йорк"); UTC and its aliases are just "UTC"."""
        if self.zone in _UTC_NAMES or self.zone.startswith("Etc/"):
            return self.zone.removeprefix("Etc/")
        return str(get_timezone_location(self._tz, locale=self.lang, return_city=True))
