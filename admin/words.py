"""The panel's words and dates in the user's language (English until they choose another),
with dates and times written by Babel in the business's timezone."""

from __future__ import annotations

from dataclasses import dataclass

from core.directory import business_info
from core.errors import NoBusiness
from core.text.i18n import LANGUAGES, Speaker, language_name
from core.users import SessionInfo

__all__ = ["Words", "words_for"]


@dataclass(frozen=True, slots=True)
class Words(Speaker):
    business: str = ""

    @property
    def languages(self) -> list[tuple[str, str]]:
        return [(code, language_name(code)) for code in LANGUAGES]


async def words_for(user: SessionInfo | None) -> Words:
    lang = user.locale if user is not None and user.locale in LANGUAGES else "en"
    try:
        info = await business_info()
    except NoBusiness:
        return Words(lang, "UTC", "UTC")
    return Words(lang, info.timezone, info.timezone, info.name)
