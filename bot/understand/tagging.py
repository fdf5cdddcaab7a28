"""Tokens to words: each lexicon phrase found becomes one :class:`Word` with its tags.

The longest phrase wins at each position, which is how "good morning" stays
a greeting instead of a part of day, "day after tomorrow" is not "tomorrow",
and "pasado mañana" is not "mañana".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.understand.lexicon import Lexicon, Tag, TagKind
from bot.understand.normalize import Token, TokenKind

__all__ = ["Word", "tag"]


@dataclass(frozen=True, slots=True)
class Word:
    """One lexicon phrase (``tags`` set) or one token the lexicon does not know."""

    tokens: tuple[Token, ...]
    tags: tuple[Tag, ...] = ()
    kinds: frozenset[TagKind] = frozenset()
    """The kinds of ``tags``, for the grammar's many "is this a ..." questions."""

    @property
    def kind(self) -> TokenKind:
        return self.tokens[0].kind

    @property
    def text(self) -> str:
        return " ".join(token.text for token in self.tokens)

    @property
    def start(self) -> int:
        return self.tokens[0].start

    def has(self, *kinds: TagKind) -> bool:
        return not self.kinds.isdisjoint(kinds)

    def value(self, kind: TagKind) -> int | str | None:
        for tag in self.tags:
            if tag.kind == kind:
                return tag.value
        return None

    def number(self) -> int | None:
        """The count this word says: digits, or a number word ("two", "dos", "два")."""
        if self.kind == "num" and not self.tags:
            return int(self.tokens[0].text)
        value = self.value("numword")
        return value if isinstance(value, int) else None


def tag(tokens: list[Token], lexicon: Lexicon) -> list[Word]:
    texts = [token.text for token in tokens]
    words: list[Word] = []
    index = 0
    while index < len(tokens):
        for size in range(min(lexicon.longest, len(tokens) - index), 0, -1):
            tags = lexicon.phrases.get(tuple(texts[index : index + size]))
            if tags is not None:
                kinds = frozenset(tag.kind for tag in tags)
                words.append(Word(tuple(tokens[index : index + size]), tags, kinds))
                index += size
                break
        else:
            words.append(Word((tokens[index],)))
            index += 1
    return words
