"""Understanding what people write: a chat message to a :class:`Reading`.

``understand(text, now=..., zone=..., lang=...)`` returns the intent, the
service and provider named (from a :class:`Catalog`), a numeric choice, and
a time wish (:class:`Exact` or :class:`Window`, in UTC) following the
conventions of ``docs/understanding.md``. Five languages: English, Spanish,
German, French and Russian. Call :func:`warm_up` once at start-up.
"""

from __future__ import annotations

from bot.understand.catalog import catalog_of
from bot.understand.reader import understand, warm_up
from bot.understand.reading import (
    LANGUAGES,
    Catalog,
    Command,
    Exact,
    Intent,
    Named,
    Reading,
    When,
    Window,
    reading_json,
)

__all__ = [
    "LANGUAGES",
    "Catalog",
    "Command",
    "Exact",
    "Intent",
    "Named",
    "Reading",
    "When",
    "Window",
    "catalog_of",
    "reading_json",
    "understand",
    "warm_up",
]
