"""Which words gave which part of a reading, for ``slotwise understand --explain``.

An admin who sees a message misread needs to know why: which word made it a
cancel, which word named "Marie Dubois", which words made the time wish. This
walks the same steps as :func:`~bot.understand.reader.understand` (tokens, the
lexicon's tags, the name matcher) and reports them; it never changes a reading.
"""

from __future__ import annotations

from bot.understand.lexicon import TagKind, lexicon
from bot.understand.names import best_match, index_of
from bot.understand.normalize import MAX_DATE_CHARS, tokenize
from bot.understand.reading import Catalog
from bot.understand.tagging import tag

__all__ = ["explain"]

_TIME_KINDS = (
    "day", "weekday", "month", "part", "noon", "midnight", "next", "this", "week", "weekend",
    "unit", "in", "fromnow", "halfhour", "after", "before", "between", "from", "range_from",
    "until", "to", "thru", "at", "hourword", "meridiem", "minutes", "minutes_before", "asap",
    "last", "fortnight", "dom", "dom_after",
)  # fmt: skip


_GIST_KINDS: tuple[tuple[TagKind, str], ...] = (
    ("intent", "intent"), ("yes", "intent"), ("no", "intent"),
    ("command", "command"), ("language", "language"),
)  # fmt: skip


def explain(text: str, *, lang: str, catalog: Catalog) -> list[str]:
    """Lines ``part: "words" (meaning)`` in the order the words were written."""
    words_lexicon = lexicon(lang)
    tokens = tokenize(text)
    words = tag(tokens, words_lexicon)
    lines: list[str] = []
    for word in words:
        for kind, label in _GIST_KINDS:
            if word.has(kind):
                value = word.value(kind)
                lines.append(f'{label}: "{word.text}" ({value if value is not None else kind})')
        time_tags = [t for t in word.tags if t.kind in _TIME_KINDS]
        if word.start < MAX_DATE_CHARS and time_tags:
            meaning = ", ".join(
                t.kind if t.value is None else f"{t.kind}={t.value}" for t in time_tags
            )
            lines.append(f'time wish: "{word.text}" ({meaning})')
        elif (
            word.start < MAX_DATE_CHARS
            and not word.tags
            and word.kind != "word"
            and (word.kind != "sym" or word.text in ("-", "\u2013", "\u2014"))
        ):
            lines.append(f'time wish: "{word.text}" ({word.kind})')
    named = [token for token in tokens if token.kind in ("word", "num", "ordnum")]
    texts = [token.text for token in named]
    for label, entries, titles in (
        ("service", catalog.services, False),
        ("provider", catalog.providers, True),
    ):
        match = best_match(index_of(entries, titles=titles), texts, words_lexicon.reserved)
        if match is not None:
            said = " ".join(texts[i] for i in sorted(match.positions))
            lines.append(f'{label}: "{said}" (names {match.id})')
    if not lines:
        lines.append("nothing in the message was recognised")
    return lines
