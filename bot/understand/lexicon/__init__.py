"""The words of each language, as tags the grammar understands.

Each language module lists its phrases by meaning (days, parts of day,
intents, yes and no...). :func:`lexicon` folds them with the same
:func:`~bot.understand.normalize.fold` as the messages and indexes them by
their token sequence, so tagging a message is a longest-match walk over
dictionary look-ups: no regular expression per phrase, no per-message cost
that grows with the vocabulary.

Month names come from dateparser's locale data (its abbreviations and
Russian genitives included); everything else is ours, because it is what
decides a booking and dateparser does not know it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import import_module
from typing import Literal

from dateparser.languages.loader import default_loader

from bot.understand.normalize import tokenize
from bot.understand.reading import LANGUAGES

__all__ = ["MONTH_FIRST_LOCALES", "Entries", "Lexicon", "Tag", "TagKind", "lexicon"]

TagKind = Literal[
    # time wishes
    "day",  # int: days after today
    "weekday",  # int: 0 = Monday
    "month",  # int: 1 = January
    "part",  # "morning" | "afternoon" | "evening" | "night"
    "noon",
    "midnight",
    "next",
    "this",
    "week",
    "weekend",
    "unit",  # "day" | "hour" | "minute" | "month" (weeks are "week" tags)
    "in",  # "in", "dans", "через": before a count of units
    "fromnow",  # "from now", after a count of units
    "halfhour",  # "half an hour": 30 minutes
    "after",
    "before",
    "between",
    "from",  # strong: "from 4" alone means after 4
    "range_from",  # weak: "de", "von" only open a range
    "until",  # strong: "until 4" alone means before 4
    "to",  # weak: "to", "a", "à" only close a range
    "and",
    "at",
    "hourword",  # "Uhr", "h", "heures", "часов", "o'clock"
    "meridiem",  # "am" | "pm"
    "minutes",  # int: added to the hour after it ("y media" +30, "menos cuarto" -15)
    "minutes_before",  # "half past", "quarter to": minutes around the hour that follows
    "asap",
    "ordinal",  # int: "second", "segunda", "zweite", "deuxième", "второй"
    "numword",  # int: "two", "dos", "zwei", "deux", "два"
    "one",  # "a", "an", "une", "einer": a count of one before a unit
    "dom",  # a day-of-month marker before a number: "the", "el", "le", "am"
    "on_day",  # a dom after which a number is a date, never an option: "on the", "am"
    "dom_after",  # after a number: "числа"
    "of",  # between a day and a month: "of", "de"
    "article",  # skipped inside time phrases: "las", "la", "the"
    "last",  # "last", "letzter", "dernier", "último", "последний": the last weekday of a month
    "thru",  # closes a range of days: "to", "bis", "au", "al", "по" (see timewish._day_ranges)
    "fortnight",  # "fortnight": fourteen days
    "weeks_on",  # int: "en huit" (a week on), "en quinze": after a weekday, that many weeks
    # intents and commands
    "intent",  # "book" | "list" | "cancel" | "reschedule" | "waitlist" | "help"
    "command",  # "restart" | "human" | "earlier" | "later" | "another_day" | "language"
    "language",  # a language code named: "en" ... "ru"
    "human_verb",  # "talk", "hablar", "sprechen", "parler", "поговорить"
    "human_who",  # "person", "alguien", "jemandem", "quelqu'un", "человеком"
    "yes",
    "no",
    "polite",  # greetings, thanks, please: never change a wish
    "filler",  # words around a choice: "option", "number", "one", "take"
    "common",  # function words too common to name a service or provider alone ("ли")
]

Entries = Mapping[TagKind, Mapping[str, object]]
"""A language's phrases by tag kind: ``{"day": {"tomorrow": 1}, "asap": {"asap": None}}``."""

Combos = Mapping[str, tuple[tuple[TagKind, object], ...]]
"""Phrases that carry several tags at once: ``{"tonight": (("day", 0), ("part", "evening"))}``."""


@dataclass(frozen=True, slots=True)
class Tag:
    kind: TagKind
    value: int | str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    code: str
    phrases: Mapping[tuple[str, ...], tuple[Tag, ...]]
    longest: int
    """Tokens in the longest phrase: the tagger tries no longer spans."""
    month_day_first: bool
    """``12/3`` is 12 March (True), or 3 December (False: a month-first locale, en-US)."""
    reserved: frozenset[str]
    """Every word the lexicon gives a meaning: such a word names no service alone."""


_MONTH_KEYS = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(token.text for token in tokenize(phrase))


def build(code: str, entries: Entries, combos: Combos, *, month_day_first: bool = True) -> Lexicon:
    """Index a language's phrases; two meanings for one phrase must be a combo.

    Raising on a duplicate keeps the tables honest: a word listed twice by
    mistake would otherwise silently lose one of its meanings.
    """
    phrases: dict[tuple[str, ...], tuple[Tag, ...]] = {}

    def add(phrase: str, tags: tuple[Tag, ...]) -> None:
        key = _key(phrase)
        if not key:
            raise ValueError(f"{code}: empty phrase {phrase!r}")
        if key in phrases and phrases[key] != tags:
            raise ValueError(f"{code}: {phrase!r} listed twice; make it a combo")
        phrases[key] = tags

    info = default_loader.get_locale(code).info
    for number, name in enumerate(_MONTH_KEYS, start=1):
        for spelling in info[name]:
            add(spelling, (Tag("month", number),))
    for kind, table in sorted(entries.items(), key=lambda entry: entry[0] == "common"):
        for phrase, value in table.items():
            if kind == "common" and _key(phrase) in phrases:
                continue  # already reserved by its other meaning ("may" is a month)
            add(phrase, (Tag(kind, _value(value)),))
    for phrase, pairs in combos.items():
        tags = tuple(Tag(kind, _value(value)) for kind, value in pairs)
        key = _key(phrase)
        phrases.pop(key, None)  # a combo replaces a single meaning on purpose
        add(phrase, tags)
    reserved = frozenset(word for phrase in phrases for word in phrase)
    return Lexicon(code, phrases, max(map(len, phrases)), month_day_first, reserved)


def _value(value: object) -> int | str | None:
    if value is None or isinstance(value, int | str):
        return value
    raise TypeError(f"tag value {value!r} is neither int nor str")


MONTH_FIRST_LOCALES = frozenset({("en", "US")})
"""Locales (language, region) that write a numeric date month first: "3/4" is 4 March
everywhere else (day first) and March 4 in the United States. A date that can only be
read one way ("14/3", "3/14") is read that way everywhere."""


def lexicon(lang: str) -> Lexicon:
    """The lexicon of ``lang``, a language ("en") or a locale ("en-US", "es_MX"); English
    for a language we do not know. The region decides only the order of numeric dates."""
    base, _, rest = lang.replace("_", "-").partition("-")
    code = base.strip().lower()
    code = code if code in LANGUAGES else "en"
    region = rest.split("-", 1)[0].strip().upper()
    return _lexicon(code, (code, region) in MONTH_FIRST_LOCALES)


@cache
def _lexicon(code: str, month_first: bool) -> Lexicon:
    module = import_module(f"bot.understand.lexicon.{code}")
    built: Lexicon = module.LEXICON
    if built.month_day_first == month_first:
        built = replace(built, month_day_first=not month_first)
    return built
