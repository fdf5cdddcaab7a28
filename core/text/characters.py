"""Which characters no text of ours may hold, in one place for the core, the API and the bot.

Control characters (U+0000–U+001F, U+007F) and lone surrogates (U+D800–U+DFFF)
are never part of a name, a phone number, an address or an id: PostgreSQL
refuses a NUL in ``text`` outright, a lone surrogate cannot be encoded as
UTF-8, and the rest only hide things from the people who read them. Tab and
newline are fine in free text (a reason, a chat message). Pure: no I/O.
"""

from __future__ import annotations

import re

__all__ = ["describe", "first_control", "strip_controls"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Everything in ``_CONTROL`` except tab, newline and carriage return."""


def first_control(value: str, *, lines: bool = False) -> str | None:
    """The first control character or lone surrogate in ``value``, else ``None``.

    ``lines=True`` lets tab, newline and carriage return through (free text).
    """
    match = (_CONTROL_BUT_LINES if lines else _CONTROL).search(value)
    return match.group(0) if match else None


def strip_controls(value: str) -> str:
    """``value`` without the characters :func:`first_control` finds, tab and newlines kept."""
    return _CONTROL_BUT_LINES.sub("", value)


def describe(char: str) -> str:
    """``U+0000``: how an error names the character, since printing it would not show it."""
    return f"U+{ord(char):04X}"
