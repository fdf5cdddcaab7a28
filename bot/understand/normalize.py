"""From raw chat text to tokens: one folded spelling per word, numbers kept whole.

Customers type with or without accents, in any case, with typographic
apostrophes and hyphenated compounds ("après-midi", "по-русски"). Folding
everything the same way, the lexicons included, lets every later step compare
plain strings. Digits are tokenized by shape (``15:00``, ``3.12.``, ``10th``,
``2026-12-03``) because the shape decides what a number means.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_DATE_CHARS", "MAX_TEXT_CHARS", "Token", "TokenKind", "fold", "tokenize"]

MAX_TEXT_CHARS = 1000
"""The bot passes at most this much; a longer text is cut here too."""
MAX_DATE_CHARS = 300
"""Time wishes are looked for only this far into a message: people say them early,
and a cap keeps a pasted essay as fast as a short message."""

TokenKind = Literal["word", "num", "ordnum", "clock", "numdate", "iso", "sym"]

_COMBINING = re.compile(r"[\u0300-\u036f]")
_HYPHEN_IN_WORD = re.compile(r"(?<=[^\W\d_])[-\u2010\u2011](?=[^\W\d_])")
_MERIDIEM = re.compile(r"(?<![^\W\d_])([ap])\.\s?m\.?(?![^\W\d_])")
_ELLIPSIS = re.compile(r"\.{2,}")
"""Trailing off ("10th...", "tomorrow…", which NFKD makes three dots) says nothing."""
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})

_TOKEN = re.compile(
    r"""
    (?P<iso>\d{4}-\d{1,2}-\d{1,2})(?!\d)
  | (?P<numdate>\d{1,2}[./]\d{1,2}(?:[./](?:\d{4}|\d{2}))?\.?)(?![\d/])
  | (?P<clock>\d{1,2}[:h]\d{2})(?!\d)
  | (?P<ordnum>\d{1,2}(?:st|nd|rd|th|er|re|eme|ieme|e|o|a|-?го|-?ого|-?е|-?ое))(?![^\W\d_]|\d)
  | (?P<num>\d{1,9})(?!\d)
  | \d+
  | (?P<word>[^\W\d_]+)
  | (?P<sym>[#:./\-\u2013\u2014?!),+\U0001F44D\U0001F44E\u2705\u274C\u2714\u2716])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    """The folded text of the token."""
    start: int
    """Offset in the folded text, to cap date parsing and to cut spans."""
    after_hyphen: bool = False
    """Joined to the word before by a hyphen ("Di-Do", "вт-чт"): a range of days."""


def fold(text: str) -> str:
    """Lower case without accents: "Sí" and "si", "Übermorgen" and "ubermorgen" meet.

    Cyrillic is folded the same way ("ё" to "е", "й" to "и") and never
    transliterated: a name written in another alphabet stays another name.
    """
    text = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    return _COMBINING.sub("", text)


def tokenize(text: str) -> list[Token]:
    """Tokens of the first :data:`MAX_TEXT_CHARS` characters of ``text``, folded.

    Hyphens inside words become spaces so "après-midi" and "apres midi" are one
    phrase; "a.m." becomes "am". Characters that carry nothing for a booking
    (most punctuation, most emoji, control characters) are dropped.
    """
    folded = _MERIDIEM.sub(r"\1m", fold(text[:MAX_TEXT_CHARS]))
    hyphens = {match.start() for match in _HYPHEN_IN_WORD.finditer(folded)}
    folded = _ELLIPSIS.sub(" ", _HYPHEN_IN_WORD.sub(" ", folded))
    tokens: list[Token] = []
    for match in _TOKEN.finditer(folded):
        kind = match.lastgroup
        if kind is None:  # an over-long run of digits: no meaning for us
            continue
        start = match.start()
        tokens.append(Token(kind, match.group(kind), start, start - 1 in hyphens))  # type: ignore[arg-type]
    if len(tokens) > 1 and tokens[-1].text == "." and tokens[-2].kind in ("ordnum", "word"):
        tokens.pop()  # the sentence's full stop ("the 5th.", "10-го."); "10." stays a pick
    return tokens
