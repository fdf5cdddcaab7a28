"""Busy time from a resource's own calendar (``Resource.away``): it takes the resource
whole, is explained as such, and is part of the key of the open time the engine reuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from core.engine import AWAY_REF, Away, Resource, Service, Snapshot, explain, find_slots

MON = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 7, hour, minute, tzinfo=UTC)


def seconds(start: datetime, end: datetime) -> tuple[int, int]:
    return int(start.timestamp()), int(end.timestamp())


def snapshot(away: Away | None, capacity: int = 1) -> Snapshot:
    ana = Resource(
        "ana", "Ana", capacity=capacity, weekly_hours={0: ((9 * 60, 12 * 60),)}, away=away
    )
    service = Service("cut", "Cut", 60, (("ana",),), slot_step_min=60)
    return Snapshot("UTC", {"ana": ana}, {"cut": service})


def starts(snap: Snapshot) -> list[int]:
    return [s.start.hour for s in find_slots(snap, "cut", MON, MON, NOW)]


def test_away_time_takes_the_resource_whole_whatever_its_capacity() -> None:
    away = Away((seconds(at(10), at(10, 30)),))
    assert starts(snapshot(None)) == [9, 10, 11]
    assert starts(snapshot(away)) == [9, 11]
    assert starts(snapshot(away, capacity=3)) == [9, 11]


def test_away_time_is_explained_as_an_event_in_their_own_calendar() -> None:
    away = Away((seconds(at(10, 15), at(10, 45)),))
    (reason,) = explain(snapshot(away), "cut", at(10), NOW).reasons
    assert (reason.code, reason.ref, reason.start, reason.end) == (
        "busy",
        AWAY_REF,
        at(10, 15),
        at(10, 45),
    )


def test_new_away_time_is_a_new_open_time_never_a_stale_one() -> None:
    first = snapshot(Away((seconds(at(9), at(10)),)))
    assert starts(first) == [10, 11]
    moved = replace(
        first,
        resources={"ana": replace(first.resources["ana"], away=Away((seconds(at(11), at(12)),)))},
    )
    assert starts(moved) == [9, 10]
    assert starts(first) == [10, 11]


def test_equal_away_times_are_equal_keys() -> None:
    spans = (seconds(at(9), at(10)), seconds(at(11), at(12)))
    assert Away(spans) == Away(tuple(spans))
    assert hash(Away(spans)) == hash(Away(tuple(spans)))
    assert Away(spans) != Away(spans[:1])
