"""One message to one :class:`Reading`: the steps in order, each in its own module.

tokenize (:mod:`normalize`) -> tag with the language's lexicon (:mod:`tagging`)
-> time wish (:mod:`timewish`, then :mod:`resolve` with ``now`` and the zone)
-> names (:mod:`names`) -> intent, choice and command (:mod:`intents`).

Pure and synchronous: no clock, no I/O, the same answer for the same input (so the
clock-free part is kept per message, see :func:`_read`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.understand.dates import parser
from bot.understand.intents import Gist, read_gist
from bot.understand.lexicon import lexicon
from bot.understand.names import best_match, index_of
from bot.understand.normalize import MAX_DATE_CHARS, tokenize
from bot.understand.reading import LANGUAGES, Catalog, Reading
from bot.understand.resolve import resolve
from bot.understand.tagging import tag
from bot.understand.timewish import Wish, read_wish

__all__ = ["understand", "warm_up"]

_NO_CATALOG = Catalog()
READ_CACHE = 4096
"""Messages whose clock-free reading is kept (per language and catalog): a few MB at most."""


def understand(
    text: str, *, now: datetime, zone: str, lang: str, catalog: Catalog = _NO_CATALOG
) -> Reading:
    """What ``text`` asks for, read in ``lang`` (English if unknown) at ``now`` in ``zone``.

    Never raises for any ``text``; raises ValueError for a naive ``now`` or an
    unknown ``zone``, which are the caller's mistakes, not the customer's.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be aware, got {now.isoformat()}")
    now = now.astimezone(UTC)  # one clock for all comparisons, whatever zone ``now`` came in
    local = _zone(zone)
    read = _read(text, lang, catalog)
    wish = read.wish
    resolved = resolve(wish, now, local)
    gist = read.wished if wish.said or resolved.conflict else read.unwished
    if gist.intent == "reschedule" and wish.later is not None:
        # "move it from Tuesday to Thursday": the day it moves to is the second
        resolved = resolve(replace(wish, day=wish.later, weekday=None), now, local)
    return Reading(
        intent=gist.intent,
        service=read.service,
        provider=read.provider,
        choice=gist.choice,
        when=None if gist.intent == "choice" else resolved.when,
        command=gist.command,
        language=gist.language,
        date_conflict=resolved.conflict,
    )


@dataclass(frozen=True, slots=True)
class _Read:
    """What a message says whatever the clock: its time wish before calendar arithmetic,
    the names it matched, and its gist both ways the clock can decide "a time was wished"
    (a wish that resolves to a conflict counts as one)."""

    wish: Wish
    service: str | None
    provider: str | None
    wished: Gist
    unwished: Gist


@lru_cache(maxsize=READ_CACHE)
def _read(text: str, lang: str, catalog: Catalog) -> _Read:
    """The clock-free part of :func:`understand`, kept per message text, language and
    catalog: the dialog reads each message in every language it speaks, and customers
    send the same few words ("hello", "help", "1") over and over, so most of the
    parsing is done once. The clock-dependent part (``resolve``) is never kept."""
    words_lexicon = lexicon(lang)
    tokens = tokenize(text)
    words = tag(tokens, words_lexicon)
    wish = read_wish([word for word in words if word.start < MAX_DATE_CHARS], words_lexicon)

    named = [token for token in tokens if token.kind in ("word", "num", "ordnum")]
    texts = [token.text for token in named]
    reserved = words_lexicon.reserved
    service = best_match(index_of(catalog.services, titles=False), texts, reserved)
    provider = best_match(index_of(catalog.providers, titles=True), texts, reserved)
    inside = {named[i].start for match in (service, provider) if match for i in match.positions}
    is_named = service is not None or provider is not None
    wished = read_gist(words, named=is_named, wished=True, inside_names=inside)
    unwished = (
        wished if wish.said else read_gist(words, named=is_named, wished=False, inside_names=inside)
    )
    return _Read(
        wish,
        service.id if service else None,
        provider.id if provider else None,
        wished,
        unwished,
    )


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def warm_up(languages: Iterable[str] = LANGUAGES) -> None:
    """Build each language's lexicon and dateparser parser now rather than on the
    first customer's message (dateparser's first parse in a language takes ~50 ms)."""
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for lang in languages:
        for_lang = lexicon(lang)
        parser(for_lang.code).get_date_data("3 12")
        month = next(key for key, tags in for_lang.phrases.items() if tags[0].kind == "month")
        understand(f"3 {month[0]} 10:00", now=moment, zone="UTC", lang=for_lang.code)
        understand("x", now=moment + timedelta(hours=1), zone="Europe/Berlin", lang=lang)
