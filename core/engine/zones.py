"""Between wall-clock time and instants, exactly, through DST gaps and folds.

The engine counts time in integer seconds. An *instant* is seconds since the
Unix epoch (UTC). A *wall time* is a naive local date and time counted the same
way, as if it were UTC: ``wall(x) = x + offset(x)``. Within a stretch of
constant UTC offset the two differ by that offset, so a whole set of wall
times maps to instants by shifting it by ``-offset`` stretch by stretch: wall
times skipped when clocks go forward then have no instant, and wall times that
repeat when clocks go back get two.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.engine.intervals import Intervals

_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the origin of wall-time seconds
_PROBE_STEP = 3 * 3600  # zones never change offset twice within three hours

Segment = tuple[int, int, int]
"""``(start, end, offset)``: instants ``[start, end)`` share the UTC offset ``offset``."""


def wall_seconds(moment: datetime) -> int:
    """Seconds of a naive wall-clock datetime on the wall-time axis."""
    return (moment - _EPOCH) // timedelta(seconds=1)


def wall_of_date(day: date) -> int:
    return (day - _EPOCH.date()).days * 86400


def instant_seconds(moment: datetime) -> int:
    """Seconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} where an instant was expected")
    return math.floor(moment.timestamp())


def to_datetime(seconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def _offset(zone: ZoneInfo, instant: int) -> int:
    moment = to_datetime(instant)
    delta = zone.utcoffset(moment.astimezone(zone))
    return 0 if delta is None else delta // timedelta(seconds=1)


def _first_with_offset(zone: ZoneInfo, lo: int, hi: int, target: int) -> int:
    """The first instant in ``(lo, hi]`` whose offset is no longer that of ``lo``."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, mid) == target:
            lo = mid
        else:
            hi = mid
    return hi


@lru_cache(maxsize=4096)
def _segments_cached(zone_name: str, start: int, end: int) -> tuple[Segment, ...]:
    zone = ZoneInfo(zone_name)
    segments: list[Segment] = []
    seg_start = start
    current = _offset(zone, start)
    probe = start
    while probe < end:
        nxt = min(probe + _PROBE_STEP, end)
        last = min(nxt, end - 1)
        offset = _offset(zone, last)
        if offset != current:
            change = _first_with_offset(zone, probe, last, current)
            segments.append((seg_start, change, current))
            seg_start, current = change, _offset(zone, change)
        probe = nxt
    segments.append((seg_start, end, current))
    return tuple(segments)


def segments(zone_name: str, start: int, end: int) -> tuple[Segment, ...]:
    """The stretches of constant offset that cover the instants ``[start, end)``.

    The range is widened to whole UTC days so that repeated queries share the cache.
    """
    day_start = start - start % 86400
    day_end = end - end % 86400 + 86400
    return _segments_cached(zone_name, day_start, day_end)


def wall_to_instants(wall: Intervals, segs: tuple[Segment, ...]) -> Intervals:
    """All instants whose wall-clock time lies in ``wall``."""
    if len(segs) == 1:
        start, end, offset = segs[0]
        return wall.shift(-offset).clip(start, end)
    return Intervals.union_all(wall.shift(-offset).clip(start, end) for start, end, offset in segs)


def wall_time_instants(wall: int, segs: tuple[Segment, ...]) -> list[int]:
    """The instants at which the clock shows ``wall``: none in a gap, two in a fold."""
    return [wall - offset for start, end, offset in segs if start <= wall - offset < end]


def instant_wall(instant: int, segs: tuple[Segment, ...]) -> int:
    for start, end, offset in segs:
        if start <= instant < end:
            return instant + offset
    raise ValueError("instant outside the segments")  # pragma: no cover - callers cover it
