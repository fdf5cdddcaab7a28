"""dateparser, kept to what it does well: a date written with a month name.

Its locale data knows every month spelling of our five languages ("dic",
"Dezember", "décembre", "декабря"), and it reads "3rd of December 2027" or
"3 de diciembre de 2027" reliably, so the grammar hands it such spans. It is
never given a whole message: there it drops times and misreads ranges, and
its language detection costs seconds (see ``time-wishes.md``). One parser per
language, built once; each gets a fixed naive base, so it never reads the
clock and never meets an aware datetime (dateparser issue 1213).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from dateparser.date import DateDataParser

__all__ = ["month_date", "parser"]

_BASE = datetime(2000, 1, 1)  # noqa: DTZ001 - naive on purpose, see the module docstring
"""A leap year, so "29 February" parses; the year itself is decided by the caller."""

_SETTINGS = {
    "RELATIVE_BASE": _BASE,
    "REQUIRE_PARTS": ["day", "month"],
    "PREFER_DATES_FROM": "current_period",
}


@cache
def parser(lang: str) -> DateDataParser:
    return DateDataParser(languages=[lang], settings=_SETTINGS)


def month_date(text: str, lang: str) -> tuple[int, int, int] | None:
    """``(year, month, day)`` of a short date span such as "3 de diciembre", else None.

    The year is only meaningful when the span wrote one.
    """
    found = parser(lang).get_date_data(text).date_obj
    if found is None:
        return None
    return found.year, found.month, found.day
