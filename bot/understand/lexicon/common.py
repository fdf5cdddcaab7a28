"""Words every language's customers use: language names, emoji, "ok", "asap", am/pm.

A Spanish speaker in an English chat types "español"; anyone may type 👍 or
"5pm". These join each language's own tables (see :func:`merged`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.understand.lexicon import Entries, TagKind

__all__ = ["COMMON", "merged"]

_LANGUAGE_NAMES: Mapping[str, str] = {
    # English
    "english": "en", "ingles": "en", "englisch": "en", "anglais": "en",
    "английскии": "en", "английском": "en", "по английски": "en", "eng": "en",
    # Spanish
    "spanish": "es", "espanol": "es", "castellano": "es", "spanisch": "es",
    "espagnol": "es", "испанскии": "es", "испанском": "es", "по испански": "es",
    # German
    "german": "de", "aleman": "de", "deutsch": "de", "allemand": "de",
    "немецкии": "de", "немецком": "de", "по немецки": "de",
    # French
    "french": "fr", "frances": "fr", "franzosisch": "fr", "franzoesisch": "fr",
    "francais": "fr", "французскии": "fr", "французском": "fr", "по французски": "fr",
    # Russian
    "russian": "ru", "ruso": "ru", "russisch": "ru", "russe": "ru",
    "русскии": "ru", "русском": "ru", "по русски": "ru", "русски": "ru",
}  # fmt: skip

_FUNCTION_WORDS = (
    # en
    "may", "will", "can", "do", "so", "is", "be", "my", "you", "your", "we", "our", "it",
    "am", "are", "was", "have", "has", "get", "want", "need", "any", "some",
    # es
    "que", "se", "me", "te", "mi", "tu", "su", "al", "con", "por", "para", "hay", "lo",
    "le", "yo", "es", "ya", "muy", "tienen", "tiene",
    # de
    "du", "sie", "er", "es", "wir", "ihr", "mir", "mich", "mit", "bei", "zu", "ist", "an",
    "auf", "gibt", "haben", "habe", "noch", "was", "wie", "wer",
    # fr
    "tu", "il", "elle", "on", "nous", "vous", "me", "te", "se", "ma", "mon", "mes", "avec",
    "chez", "pour", "est", "pas", "ne", "en", "y", "qui", "que",
    # ru
    "ли", "же", "бы", "но", "а", "то", "что", "как", "мне", "меня", "вы", "вас", "у", "о",
    "об", "ко", "по", "за", "из", "от", "для", "есть", "мой", "можно", "нужно", "надо",
)  # fmt: skip
"""Too common to name a service or provider on their own, whatever the chat's
language: "ли" in "есть ли время?" is not Dr Lee's Russian alias "Ли"."""

COMMON: Entries = {
    "language": _LANGUAGE_NAMES,
    "yes": {"ok": None, "okay": None, "okey": None, "👍": None, "✅": None, "✔": None},
    "no": {"👎": None, "❌": None, "✖": None},
    "meridiem": {"am": "am", "pm": "pm"},
    "hourword": {"h": None},
    "asap": {"asap": None},
    "intent": {"?": "help"},
    "common": dict.fromkeys(_FUNCTION_WORDS),
}


def merged(*parts: Entries) -> dict[TagKind, dict[str, object]]:
    """Tables of several sources joined kind by kind; a later source wins a phrase."""
    out: dict[TagKind, dict[str, object]] = {}
    for part in parts:
        for kind, table in part.items():
            out.setdefault(kind, {}).update(table)
    return out
