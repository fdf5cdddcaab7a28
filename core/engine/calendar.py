"""When a resource is open: its hours, overrides and blocks, as instants.

Everything here is computed on the resource's wall-clock axis first (hours and
blocks are wall time by the spec), where "open minus blocked" is plain interval
arithmetic, and only then mapped to instants with :mod:`core.engine.zones`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrule, rrulestr

from core.engine.intervals import Intervals, Span
from core.engine.snapshot import Block, DayHours, Resource
from core.engine.zones import (
    Segment,
    segments,
    wall_of_date,
    wall_seconds,
    wall_to_instants,
)

_DAY = 86400
_WALL_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - wall-time origin


def _wall_date(wall: int) -> date:
    return (_WALL_EPOCH + timedelta(seconds=wall)).date()


def open_wall(resource: Resource, wall_start: int, wall_end: int) -> Intervals:
    """Wall time of ``[wall_start, wall_end)`` inside the resource's hours."""
    return _open_wall(
        tuple(sorted(resource.weekly_hours.items())),
        tuple(sorted(resource.date_overrides.items())),
        wall_start,
        wall_end,
    )


@lru_cache(maxsize=512)
def _open_wall(
    weekly: tuple[tuple[int, DayHours], ...],
    overrides: tuple[tuple[date, DayHours], ...],
    wall_start: int,
    wall_end: int,
) -> Intervals:
    """Cached on the hours themselves: staff often share a pattern, and queries repeat."""
    by_weekday = dict(weekly)
    by_date = dict(overrides)
    spans: list[Span] = []
    day = _wall_date(wall_start)
    last = _wall_date(wall_end - 1)
    while day <= last:
        base = wall_of_date(day)
        hours = by_date.get(day)
        if hours is None:
            hours = by_weekday.get(day.weekday(), ())
        spans.extend((base + a * 60, base + b * 60) for a, b in hours)
        day += timedelta(days=1)
    return Intervals(spans).clip(wall_start, wall_end)


@lru_cache(maxsize=4096)
def _occurrences(rule: str, dtstart: datetime, lo: datetime, hi: datetime) -> tuple[datetime, ...]:
    """Cached: many resources share a rule (the weekly meeting) and queries repeat."""
    parsed = rrulestr(rule, dtstart=dtstart)
    assert isinstance(parsed, rrule)  # the business file allows a single RRULE, not a set
    return tuple(parsed.between(lo, hi, inc=True))


def block_occurrences(block: Block, wall_start: int, wall_end: int) -> list[Span]:
    """Wall spans of a block (every occurrence, if recurring) that meet the window."""
    length = wall_seconds(block.end) - wall_seconds(block.start)
    if block.rrule is None:
        start = wall_seconds(block.start)
        return [(start, start + length)] if start < wall_end and start + length > wall_start else []
    lo = _WALL_EPOCH + timedelta(seconds=wall_start - length)
    hi = _WALL_EPOCH + timedelta(seconds=wall_end)
    spans = []
    for occurrence in _occurrences(block.rrule, block.start, lo, hi):
        start = wall_seconds(occurrence)
        if start < wall_end and start + length > wall_start:
            spans.append((start, start + length))
    return spans


def blocked_wall(resource: Resource, wall_start: int, wall_end: int) -> Intervals:
    spans: list[Span] = []
    for block in resource.blocks:
        spans.extend(block_occurrences(block, wall_start, wall_end))
    return Intervals(spans)


def resource_segments(
    resource: Resource, business_zone: str, start: int, end: int
) -> tuple[Segment, ...]:
    return segments(resource.timezone or business_zone, start, end)


def _wall_range(segs: tuple[Segment, ...]) -> tuple[int, int]:
    """The wall-clock stretch shown by the clock over the segments' instants."""
    return min(s + offset for s, _, offset in segs), max(e + offset for _, e, offset in segs)


_OpenKey = tuple[object, ...]
_OPEN: dict[_OpenKey, Intervals] = {}
_OPEN_SIZE = 8192
"""Open times remembered: a hundred resources times a few dozen windows."""


def _rules_of(resource: Resource) -> _OpenKey:
    """Everything :func:`open_instants` reads of a resource: the key of its open time."""
    return (
        resource.timezone,
        tuple(sorted(resource.weekly_hours.items())),
        tuple(sorted(resource.date_overrides.items())),
        resource.blocks,
        resource.away,
    )


def open_instants(resource: Resource, business_zone: str, start: int, end: int) -> Intervals:
    """Instants of ``[start, end)`` at which the resource is open, not blocked and not
    busy elsewhere (:class:`~core.engine.snapshot.Away`).

    Computed once per version of the resource's rules and window, then reused: the
    rules are read afresh for every query, but rarely change, and expanding
    recurring blocks and mapping wall time to instants was most of a slot query's
    engine time. The key is the rules themselves (their values, not their object),
    so an edit is a new key and nothing can be stale; the results are immutable.
    """
    if not resource.active:
        return Intervals()
    key = (_rules_of(resource), business_zone, start, end)
    found = _OPEN.get(key)
    if found is None:
        if len(_OPEN) >= _OPEN_SIZE:
            _OPEN.clear()  # rare: cheaper than keeping an order for least-recent eviction
        found = _OPEN[key] = _compute_open(resource, business_zone, start, end)
    return found


def _compute_open(resource: Resource, business_zone: str, start: int, end: int) -> Intervals:
    segs = resource_segments(resource, business_zone, start, end)
    wall_start, wall_end = _wall_range(segs)
    wall = open_wall(resource, wall_start, wall_end) - blocked_wall(resource, wall_start, wall_end)
    found = wall_to_instants(wall, segs).clip(start, end)
    if resource.away is not None:
        found = found - away_instants(resource, start, end)
    return found


def away_instants(resource: Resource, start: int, end: int) -> Intervals:
    """Instants of ``[start, end)`` the resource is busy elsewhere."""
    if resource.away is None:
        return Intervals()
    return Intervals(resource.away.spans).clip(start, end)


def hours_instants(resource: Resource, business_zone: str, start: int, end: int) -> Intervals:
    """Instants of ``[start, end)`` inside the resource's hours, blocks ignored.

    Remembered as :func:`open_instants` is (keyed by the hours themselves, so an edit is
    a new key): the admin calendar's week reads it for a hundred columns a request.
    """
    key: _OpenKey = ("hours", resource.timezone, tuple(sorted(resource.weekly_hours.items())))
    key += (tuple(sorted(resource.date_overrides.items())), business_zone, start, end)
    found = _OPEN.get(key)
    if found is None:
        if len(_OPEN) >= _OPEN_SIZE:
            _OPEN.clear()
        found = _OPEN[key] = _compute_hours(resource, business_zone, start, end)
    return found


def _compute_hours(resource: Resource, business_zone: str, start: int, end: int) -> Intervals:
    segs = resource_segments(resource, business_zone, start, end)
    wall_start, wall_end = _wall_range(segs)
    return wall_to_instants(open_wall(resource, wall_start, wall_end), segs).clip(start, end)


def blocks_meeting(
    resource: Resource, business_zone: str, start: int, end: int
) -> list[tuple[Block, Intervals]]:
    """Each block of the resource with the instants of ``[start, end)`` it covers, if any."""
    segs = resource_segments(resource, business_zone, start, end)
    wall_start, wall_end = _wall_range(segs)
    found = []
    for block in resource.blocks:
        spans = block_occurrences(block, wall_start, wall_end)
        covered = wall_to_instants(Intervals(spans), segs).clip(start, end)
        if covered:
            found.append((block, covered))
    return found
