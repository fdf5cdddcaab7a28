"""Seats in use on one resource over time, as a step function.

Bookings and holds overlap freely on a resource with capacity above one, so
"busy" is not a set but a count: one sweep over their boundaries turns them
into stretches of constant use, from which we read where a given number of
seats is still free and how many are free across a window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from core.engine.intervals import Intervals, Span


class Occupancy:
    """The seats in use on one resource, from ``(start, end, seats)`` items."""

    __slots__ = ("_levels", "_points")

    def __init__(self, items: list[tuple[int, int, int]]) -> None:
        delta: dict[int, int] = defaultdict(int)
        for start, end, seats in items:
            if start < end and seats > 0:
                delta[start] += seats
                delta[end] -= seats
        self._points: list[int] = []
        self._levels: list[int] = []
        level = 0
        for point in sorted(delta):
            level += delta[point]
            if self._levels and self._levels[-1] == level:
                continue
            self._points.append(point)
            self._levels.append(level)
        # _levels[i] is the use over [_points[i], _points[i + 1]); zero before the first point.

    def above(self, limit: int) -> Intervals:
        """Instants at which more than ``limit`` seats are in use."""
        spans: list[Span] = []
        for i, level in enumerate(self._levels):
            if level > limit:
                end = self._points[i + 1] if i + 1 < len(self._points) else self._points[i]
                spans.append((self._points[i], end))
        return Intervals(spans)

    def peak(self, start: int, end: int) -> int:
        """The most seats in use at any instant of ``[start, end)``."""
        if not self._points or start >= end:
            return 0
        i = bisect_right(self._points, start) - 1
        best = self._levels[i] if i >= 0 else 0
        i += 1
        while i < len(self._points) and self._points[i] < end:
            best = max(best, self._levels[i])
            i += 1
        return best
