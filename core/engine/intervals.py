"""Sets of half-open integer intervals, done once.

An :class:`Intervals` is a sorted tuple of disjoint, non-touching ``[start, end)``
pairs of integers (the engine uses seconds: since the Unix epoch for instants,
and since the same epoch read as wall-clock time for local times). Union,
intersection and difference are single merges over the sorted spans, so every
operation is linear in the number of intervals, never in the length of time
they cover.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from heapq import merge
from itertools import chain

Span = tuple[int, int]


class Intervals:
    """An immutable set of instants written as disjoint half-open spans."""

    __slots__ = ("_spans",)

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self._spans: tuple[Span, ...] = tuple(_normalise(sorted(spans)))

    @classmethod
    def _trusted(cls, spans: list[Span]) -> Intervals:
        """Wrap spans already sorted, disjoint and non-touching (internal fast path)."""
        result = cls.__new__(cls)
        result._spans = tuple(spans)
        return result

    @classmethod
    def union_all(cls, sets: Iterable[Intervals]) -> Intervals:
        """The union of many sets in one merge, cheaper than folding ``|``."""
        return cls._trusted(_normalise(sorted(chain.from_iterable(s._spans for s in sets))))

    @property
    def spans(self) -> tuple[Span, ...]:
        return self._spans

    def __iter__(self) -> Iterator[Span]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def __bool__(self) -> bool:
        return bool(self._spans)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Intervals) and self._spans == other._spans

    def __hash__(self) -> int:
        return hash(self._spans)

    def __repr__(self) -> str:
        return f"Intervals({list(self._spans)!r})"

    def __or__(self, other: Intervals) -> Intervals:
        return Intervals._trusted(_normalise(merge(self._spans, other._spans)))

    def __and__(self, other: Intervals) -> Intervals:
        return Intervals._trusted(_intersect(self._spans, other._spans))

    def __sub__(self, other: Intervals) -> Intervals:
        return Intervals._trusted(_subtract(self._spans, other._spans))

    def without(self, spans: Iterable[Span]) -> Intervals:
        """``self - Intervals(spans)`` without building that set: the spans may overlap
        and come in any order (a resource's bookings, as read). The subtraction walks
        them sorted by start, skipping what earlier ones covered, so merging them first
        (most of the cost for thousands of bookings) is not needed."""
        return Intervals._trusted(_subtract(self._spans, sorted(s for s in spans if s[0] < s[1])))

    def shift(self, delta: int) -> Intervals:
        return Intervals._trusted([(a + delta, b + delta) for a, b in self._spans])

    def clip(self, start: int, end: int) -> Intervals:
        """The part of the set inside ``[start, end)``."""
        if start >= end:
            return Intervals._trusted([])
        spans = self._spans
        lo = max(bisect_right(spans, (start, _INFINITY)) - 1, 0)
        hi = bisect_right(spans, (end, _INFINITY))
        out = [(max(a, start), min(b, end)) for a, b in spans[lo:hi]]
        return Intervals._trusted([(a, b) for a, b in out if a < b])

    def total(self) -> int:
        return sum(b - a for a, b in self._spans)

    def contains(self, start: int, end: int) -> bool:
        """True when every point of ``[start, end)`` is in the set (an empty window is)."""
        if start >= end:
            return True
        i = bisect_right(self._spans, (start, _INFINITY)) - 1
        return i >= 0 and self._spans[i][1] >= end and self._spans[i][0] <= start

    def contains_point(self, point: int) -> bool:
        i = bisect_right(self._spans, (point, _INFINITY)) - 1
        return i >= 0 and point < self._spans[i][1]

    def shrink(self, head: int, tail: int) -> Intervals:
        """Starts ``s`` such that ``[s - head, s + tail)`` fits in one span, as a set.

        A window that must fit entirely inside the set can start at ``a + head``
        at the earliest and at ``b - tail`` at the latest; the result holds those
        starts as ``[a + head, b - tail + 1)`` so that the latest start is included.
        """
        out = [(a + head, b - tail + 1) for a, b in self._spans if a + head <= b - tail]
        # With no tail, a start may sit on a span's end and touch the next span: merge.
        return Intervals._trusted(_normalise(out) if tail <= 0 else out)


_INFINITY = 1 << 62


def _normalise(spans: Iterable[Span]) -> list[Span]:
    """Merge sorted spans that overlap or touch."""
    out: list[Span] = []
    for a, b in spans:
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _intersect(left: tuple[Span, ...], right: tuple[Span, ...]) -> list[Span]:
    """Two-pointer walk: each step retires whichever span ends first."""
    out: list[Span] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a1, b1 = left[i]
        a2, b2 = right[j]
        lo, hi = max(a1, a2), min(b1, b2)
        if lo < hi:
            out.append((lo, hi))
        if b1 < b2:
            i += 1
        else:
            j += 1
    return out


def _subtract(left: Sequence[Span], right: Sequence[Span]) -> list[Span]:
    """Each span of ``left`` minus the spans of ``right`` that meet it, in one pass.

    ``right`` need only be sorted by start, with no empty span: overlapping ones are
    skipped as the cursor passes their end (see :meth:`Intervals.without`)."""
    out: list[Span] = []
    j = 0
    for a, b in left:
        while j < len(right) and right[j][1] <= a:
            j += 1
        k = j
        cursor = a
        while k < len(right) and right[k][0] < b:
            ra, rb = right[k]
            if ra > cursor:
                out.append((cursor, ra))
            cursor = max(cursor, rb)
            if rb >= b:
                break
            k += 1
        if cursor < b:
            out.append((cursor, b))
    return out
