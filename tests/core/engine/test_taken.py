"""Busy time handed in as bare seconds (``Snapshot.taken``, what the store reads for a slot
offer) means exactly what the same time as :class:`Busy` items means."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from core.engine import Busy, Snapshot, explain, find_slots
from tests.core.engine.test_properties import (
    TRANSITION_DAYS,
    days_before,
    one_resource,
    transition_business,
)
from tests.strategies import ZONES, Query, queries


def as_seconds(snapshot: Snapshot, keep: int = 0) -> Snapshot:
    """The snapshot with its busy items after the first ``keep`` moved to ``taken``."""
    taken: dict[str, list[tuple[int, int, int]]] = {}
    for item in snapshot.busy[keep:]:
        seconds = (math.floor(item.start.timestamp()), math.ceil(item.end.timestamp()))
        taken.setdefault(item.resource_id, []).append((*seconds, item.seats))
    return replace(snapshot, busy=snapshot.busy[:keep], taken=taken)


def assert_same_slots(query: Query, keep: int = 0) -> None:
    args = (query.service_id, query.first, query.last, query.now, query.provider)
    expected = find_slots(query.snapshot, *args)
    assert find_slots(as_seconds(query.snapshot, keep), *args) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries())
def test_busy_as_seconds_gives_the_same_slots(query: Query) -> None:
    assert_same_slots(query)
    assert_same_slots(query, keep=len(query.snapshot.busy) // 2)  # holds stay Busy items


@pytest.mark.parametrize(("zone", "day"), TRANSITION_DAYS)
@pytest.mark.parametrize("service_id", ["one", "two"])
def test_busy_as_seconds_across_transitions(zone: str, day: date, service_id: str) -> None:
    other = ZONES[(ZONES.index(zone) + 1) % len(ZONES)]
    snapshot = transition_business(zone, other, day)
    first, last = day - timedelta(days=1), day + timedelta(days=1)
    query = Query(snapshot, service_id, first, last, days_before(first, 1))
    assert find_slots(snapshot, service_id, first, last, query.now)  # not vacuous
    assert_same_slots(query)


def test_a_start_refused_by_seconds_is_explained_as_busy_without_a_name() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    end = start + timedelta(minutes=20, milliseconds=500)
    named = one_resource(
        "Europe/Berlin", busy=(Busy("a", start, end, ref="booking 7"),), duration_min=30
    )
    bare = as_seconds(named)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for at in (start, start + timedelta(minutes=30)):
        assert explain(bare, "s", at, now).is_slot == explain(named, "s", at, now).is_slot
    why = explain(bare, "s", start, now)
    assert not why.is_slot
    (reason,) = why.reasons
    assert (reason.code, reason.resource, reason.ref) == ("busy", "a", None)
    assert (reason.start, reason.end) == (start, start + timedelta(minutes=20, seconds=1))
