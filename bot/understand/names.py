"""Which service and which provider a message names, by the business's own names.

Matching is word by word on folded text (case and accents forgiven) with an
edit distance that grows with the word: names of up to four letters must be
written exactly, five to seven letters forgive one slip ("hiarcut"), longer
ones two. A word may also carry an ending ("Ивану" for "Иван", "стрижкой"
for "стрижка", "haircuts"), except a name of three letters or fewer, which
must be the whole word ("lee", never "leek"); and "hair cut" meets "haircut".
Titles ("Dr", "Frau", "доктор") are not needed to name a provider, so "Dr Lee",
"doctor lee" and "lee" agree.

Nothing is transliterated: "Анна" does not name "Anna". Words the lexicon
uses for times and intents ("may", "next", "morning") and common function
words ("ли", "mit") never name anything on their own, so a provider called May
is not read into "may I book?", nor Dr Lee's alias "Ли" into "есть ли время?".
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.understand.normalize import fold, tokenize
from bot.understand.reading import Named

__all__ = ["Match", "NameIndex", "best_match", "index_of"]

_TITLES = frozenset(
    fold(title)
    for title in (
        "dr", "doctor", "doc", "dra", "doctora", "doktor", "docteur", "prof", "professor",
        "mr", "mrs", "ms", "miss", "mx", "herr", "frau", "sr", "sra", "srta", "señor",
        "señora", "don", "doña", "m", "mme", "mlle", "monsieur", "madame", "доктор", "др",
        "врач", "г-н", "г-жа",
    )
)  # fmt: skip
_CYRILLIC_VOWELS = frozenset("аеиоуыэюя")
"""A Russian name ending in one of these changes it when declined: Анна, Анну, Анной."""
_ENDINGS_SCANNED = 8
"""Words sharing a name's stem looked at for an ending; more would be noise, not names."""
_STOPWORDS = frozenset(
    ("the", "and", "of", "de", "la", "el", "le", "les", "des", "du", "y", "et", "und", "der",
     "die", "das", "für", "fur", "for", "with", "con", "avec", "mit", "и", "с", "для")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Name:
    id: str
    words: tuple[str, ...]
    joined: str


@dataclass(frozen=True, slots=True)
class NameIndex:
    """A catalog's names, folded and split once per catalog."""

    names: tuple[_Name, ...]


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    positions: frozenset[int]
    """Indexes of the message's words that named it."""


@lru_cache(maxsize=64)
def index_of(entries: tuple[Named, ...], *, titles: bool) -> NameIndex:
    """Fold every name once. With ``titles`` (providers) a name is indexed both with
    and without "Dr", "Frau"...: "Lee" names Dr Lee, and so does "Доктор Ли" even
    though "ли" alone is too common a word to name anyone."""
    names: list[_Name] = []
    for entry in entries:
        for name in entry.names:
            words = [t.text for t in tokenize(name) if t.kind in ("word", "num", "ordnum")]
            words = [word for word in words if word not in _STOPWORDS] or words
            variants = [words]
            if titles:
                bare = [word for word in words if word not in _TITLES]
                if bare and bare != words:
                    variants.append(bare)
            for variant in variants:
                names.append(_Name(entry.id, tuple(variant), "".join(variant)))
    return NameIndex(tuple(names))


def _allowed(length: int) -> int:
    return 0 if length <= 4 else 1 if length <= 7 else 2


class _Candidates:
    """The message's words and neighbour pairs, ready for exact and fuzzy look-ups."""

    __slots__ = ("exact", "fuzzy", "positions", "sorted_texts", "texts", "words")

    def __init__(self, words: Sequence[str], reserved: Collection[str] = ()) -> None:
        self.words = tuple(words)
        self.texts: list[str] = []
        self.positions: list[frozenset[int]] = []
        self.exact: dict[str, int] = {}
        pairs = ((a + b, frozenset((i, i + 1))) for i, (a, b) in enumerate(pairwise(words)))
        # A word of the chat's own language ("matin", "du mois") names nothing by a slip
        # or an ending: French "matin" is not "Martín", "du mois" is not "Dubois".
        self.fuzzy = [word if word not in reserved else "" for word in words] + [
            a + b if a not in reserved and b not in reserved else "" for a, b in pairwise(words)
        ]
        singles = ((word, frozenset((i,))) for i, word in enumerate(words))
        for text, positions in (*singles, *pairs):
            if text not in self.exact:
                self.exact[text] = len(self.texts)
                self.texts.append(text)
                self.positions.append(positions)
        self.fuzzy = [text for text in dict.fromkeys(self.fuzzy) if text]
        self.sorted_texts = sorted(self.fuzzy)

    def phrase(self, words: Sequence[str]) -> frozenset[int] | None:
        """Where the words of a name stand side by side, exactly as written (folded)."""
        size = len(words)
        for start in range(len(self.words) - size + 1):
            if self.words[start : start + size] == tuple(words):
                return frozenset(range(start, start + size))
        return None

    def find(self, name: str) -> tuple[frozenset[int], int] | None:
        """Where ``name`` is written and with how many slips; None when it is not."""
        at = self.exact.get(name)
        if at is not None:
            return self.positions[at], 0
        if len(name) < 4:
            return None
        allowed = 0 if len(name) == 4 else 1 if len(name) <= 7 else 2
        if allowed:
            found = process.extractOne(name, self.fuzzy, scorer=OSA.distance, score_cutoff=allowed)
            if found is not None:
                return self.positions[self.exact[found[0]]], int(found[1])
        # An ending: "Ивану" for "Иван", "Анны" for "Анна", "стрижкой", "massagen".
        stem = name[:-1] if allowed or name[-1] in _CYRILLIC_VOWELS else name
        shortest = len(name) if stem != name else len(name) + 1
        start = bisect_left(self.sorted_texts, stem)
        for text in self.sorted_texts[start : start + _ENDINGS_SCANNED]:
            if not text.startswith(stem):
                break
            if shortest <= len(text) <= len(name) + 3 and text != name:
                return self.positions[self.exact[text]], 1
        return None


def best_match(index: NameIndex, words: Sequence[str], reserved: Collection[str]) -> Match | None:
    """The name the message's ``words`` (folded) say best, if any says one.

    A name is said when all its words are there; a provider or service may also
    be named by one distinctive word of its name ("Anna" for "Anna Schmidt"),
    which counts for less than a full name.
    """
    best: tuple[tuple[float, int], Match] | None = None
    candidates = _Candidates(words, reserved)
    for name in index.names:
        found = _score(name, candidates, reserved)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    return None if best is None else best[1]


def _score(
    name: _Name, candidates: _Candidates, reserved: Collection[str]
) -> tuple[tuple[float, int], Match] | None:
    if len(name.words) > 1:
        # A name of several words written whole names it, even when each of its words is
        # one the lexicon uses ("premier rendez-vous": an ordinal and a common phrase).
        whole = candidates.phrase(name.words)
        if whole is not None:
            return (1.0, len(name.joined)), Match(name.id, whole)
        joined = candidates.find(name.joined)
        if joined is not None:
            positions, distance = joined
            return (1.0, len(name.joined) - 2 * distance), Match(name.id, positions)
    matched: set[int] = set()
    size = distance_sum = covered = 0
    for word in name.words:
        found = candidates.find(word)
        if found is None:
            continue
        positions, distance = found
        if len(name.words) > 1 and (word in reserved or word in _TITLES or len(word) < 3):
            continue  # "morning" in "Morning yoga", "doctor" in "Doctor Lee": not alone
        matched |= positions
        size += len(word)
        distance_sum += distance
        covered += 1
    if not covered:
        return None
    if covered == 1 and len(name.words) == 1 and name.words[0] in reserved:
        return None
    coverage = covered / len(name.words)
    return (coverage, size - 2 * distance_sum), Match(name.id, frozenset(matched))
