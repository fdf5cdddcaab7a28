"""The engine against the minute-by-minute reference of the slot rules."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from core.businessfile import parse_business
from core.engine import Block, Busy, DayHours, Resource, Service, Snapshot, find_slots
from tests.core.engine.reference import is_valid_choice, reference_slots, seats_free
from tests.strategies import TRANSITIONS, ZONES, Query, queries

ALL_DAY: DayHours = ((0, 1440),)


def every_day(hours: DayHours) -> dict[int, DayHours]:
    return dict.fromkeys(range(7), hours)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def days_before(day: date, count: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=count)


def assert_matches_reference(query: Query) -> list[datetime]:
    """The engine's starts are the reference's, and each slot names a valid choice."""
    snapshot, service_id = query.snapshot, query.service_id
    slots = find_slots(snapshot, service_id, query.first, query.last, query.now, query.provider)
    expected = reference_slots(
        snapshot, service_id, query.first, query.last, query.now, query.provider
    )
    assert [slot.start for slot in slots] == [start for start, _ in expected]
    duration = timedelta(minutes=snapshot.services[service_id].duration_min)
    for slot in slots:
        assert slot.end - slot.start == duration
        assert is_valid_choice(snapshot, service_id, slot.start, slot.resources, query.provider)
        assert slot.seats_free == seats_free(snapshot, service_id, slot.start, slot.resources)
    return [slot.start for slot in slots]


GOLDEN = sorted((Path(__file__).parents[2] / "golden").glob("*.json"))


def golden_snapshot(data: dict[str, Any]) -> Snapshot:
    """The snapshot of a golden business: its bookings occupy their windows, buffers included."""
    business = parse_business(json.dumps(data))
    services = {service.id: service for service in business.services}
    busy = []
    for booking in business.bookings:
        service = services[booking.service]
        start = booking.start - timedelta(minutes=service.buffer_before_min)
        end = booking.start + timedelta(minutes=service.duration_min + service.buffer_after_min)
        seats = service.seats if booking.seats is None else booking.seats
        busy.extend(Busy(rid, start, end, seats) for rid in booking.resources)
    return Snapshot(
        timezone=business.info.timezone,
        resources={resource.id: resource for resource in business.resources},
        services=services,
        busy=tuple(busy),
    )


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_reference_agrees_with_golden_examples(path: Path) -> None:
    """The oracle itself is checked against the spec's examples, not only against the engine."""
    example = json.loads(path.read_text())
    snapshot = golden_snapshot(example["business"])
    for q in example["queries"]:
        now = datetime.fromisoformat(q["now"].replace("Z", "+00:00"))
        first, last = date.fromisoformat(q["from"]), date.fromisoformat(q["to"])
        found = reference_slots(snapshot, q["service"], first, last, now, q.get("provider"))
        expected = [datetime.fromisoformat(e["start"].replace("Z", "+00:00")) for e in q["expect"]]
        assert [start for start, _ in found] == expected
        for e, start in zip(q["expect"], expected, strict=True):
            resources = tuple(e["resources"])
            assert is_valid_choice(snapshot, q["service"], start, resources, q.get("provider"))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries())
def test_engine_matches_reference(query: Query) -> None:
    assert_matches_reference(query)


def one_resource(
    zone: str,
    hours: dict[int, DayHours] | None = None,
    busy: tuple[Busy, ...] = (),
    resource_zone: str | None = None,
    **service: int,
) -> Snapshot:
    resource = Resource(
        "a",
        "A",
        timezone=resource_zone,
        weekly_hours=every_day(ALL_DAY) if hours is None else hours,
    )
    return Snapshot(
        timezone=zone,
        resources={"a": resource},
        services={"s": Service("s", "S", requires=(("a",),), **service)},  # type: ignore[arg-type]
        busy=busy,
    )


# The candidate grid on transition days: an always-open resource, duration = step.
GRID_CASES = [
    ("Europe/Berlin", date(2026, 3, 29), 60, 23),  # 02:00 -> 03:00
    ("Europe/Berlin", date(2026, 10, 25), 60, 25),  # 03:00 -> 02:00
    ("America/New_York", date(2026, 3, 8), 60, 23),  # 02:00 -> 03:00
    ("America/New_York", date(2026, 11, 1), 60, 25),  # 02:00 -> 01:00
    ("Australia/Lord_Howe", date(2026, 10, 4), 30, 47),  # 02:00 -> 02:30
    ("Australia/Lord_Howe", date(2026, 10, 4), 60, 23),
    ("Australia/Lord_Howe", date(2026, 4, 5), 30, 49),  # 02:00 -> 01:30
    ("Australia/Lord_Howe", date(2026, 4, 5), 60, 24),  # no whole hour repeats
    ("Pacific/Chatham", date(2026, 9, 27), 15, 92),  # 02:45 -> 03:45
    ("Pacific/Chatham", date(2026, 9, 27), 60, 23),
    ("Pacific/Chatham", date(2026, 4, 5), 15, 100),  # 03:45 -> 02:45
    ("Pacific/Chatham", date(2026, 4, 5), 60, 25),
    ("Asia/Kolkata", date(2026, 3, 29), 60, 24),
]


@pytest.mark.parametrize(("zone", "day", "step", "count"), GRID_CASES)
def test_transition_day_grid(zone: str, day: date, step: int, count: int) -> None:
    snapshot = one_resource(zone, duration_min=step)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 2)))
    assert len(starts) == count
    assert starts == sorted(set(starts))


# Hand-computed slots through gaps and folds.
def test_window_across_berlin_gap_is_sixty_real_minutes() -> None:
    # Open 01:00-04:00 wall; 02:00 and 02:30 do not exist; 01:30 CET runs into 03:00 CEST.
    snapshot = one_resource(
        "Europe/Berlin", every_day(((60, 240),)), duration_min=60, slot_step_min=30
    )
    day = date(2026, 3, 29)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 1)))
    assert starts == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)]


def test_window_inside_berlin_repeated_hour_can_last_ninety_minutes() -> None:
    # Open 02:00-03:00 wall on the fold day: that wall hour holds two real hours.
    snapshot = one_resource(
        "Europe/Berlin", every_day(((120, 180),)), duration_min=90, slot_step_min=30
    )
    day = date(2026, 10, 25)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 1)))
    assert starts == [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)]


def test_new_york_repeated_hour_gives_both_candidates() -> None:
    busy = (Busy("a", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6)),)
    snapshot = one_resource(
        "America/New_York", every_day(((60, 120),)), busy, duration_min=30, slot_step_min=30
    )
    day = date(2026, 11, 1)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 1)))
    assert starts == [utc(2026, 11, 1, 5), utc(2026, 11, 1, 6), utc(2026, 11, 1, 6, 30)]


def test_lord_howe_half_hour_gap() -> None:
    # 01:30 (+10:30) runs 30 minutes, then the clock shows 02:30 (+11:00) until 03:00.
    snapshot = one_resource(
        "Australia/Lord_Howe", every_day(((90, 180),)), duration_min=60, slot_step_min=30
    )
    day = date(2026, 10, 4)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 1)))
    assert starts == [utc(2026, 10, 3, 15)]


def test_chatham_fold_open_only_on_the_first_pass() -> None:
    # Open 02:45-03:45 wall: 03:00 (+13:45) fits, rolling back into 02:45-03:00 (+12:45).
    snapshot = one_resource(
        "Pacific/Chatham", every_day(((165, 225),)), duration_min=60, slot_step_min=60
    )
    day = date(2026, 4, 5)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 1)))
    assert starts == [utc(2026, 4, 4, 13, 15)]


def test_kolkata_grid_over_berlin_resource_gap() -> None:
    snapshot = one_resource(
        "Asia/Kolkata",
        every_day(((60, 240),)),
        resource_zone="Europe/Berlin",
        duration_min=60,
        slot_step_min=30,
    )
    day = date(2026, 3, 29)
    starts = assert_matches_reference(Query(snapshot, "s", day, day, days_before(day, 1)))
    assert starts == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)]


# A busier business around every transition of every zone, checked against the reference.
def transition_business(zone: str, other_zone: str, day: date) -> Snapshot:
    wall = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - wall time
    a = Resource(
        "a",
        "A",
        weekly_hours=every_day(((60, 240), (240, 300), (600, 720))),
        date_overrides={day + timedelta(days=1): ((0, 1440),)},
        blocks=(
            # 02:30-02:45 every day: inside the gap in some zones, twice in a fold in others
            Block(
                wall - timedelta(days=3, minutes=-150),
                wall - timedelta(days=3, minutes=-165),
                "FREQ=DAILY",
            ),
            Block(wall + timedelta(minutes=660), wall + timedelta(minutes=680)),
        ),
    )
    b = Resource("b", "B", capacity=2, timezone=other_zone, weekly_hours=every_day(ALL_DAY))
    start = days_before(day, 0) - timedelta(hours=6)
    busy = tuple(
        Busy(rid, start + timedelta(hours=h), start + timedelta(hours=h, minutes=50))
        for rid in ("a", "b")
        for h in range(0, 48, 5)
    )
    common = {"duration_min": 45, "buffer_before_min": 10, "buffer_after_min": 5}
    return Snapshot(
        timezone=zone,
        resources={"a": a, "b": b},
        services={
            "one": Service("one", "One", requires=(("a", "b"),), slot_step_min=15, **common),
            "two": Service("two", "Two", requires=(("a", "b"), ("b",)), slot_step_min=20, **common),
        },
        busy=busy,
    )


TRANSITION_DAYS = [
    pytest.param(zone, day, id=f"{zone}-{day}")
    for zone in ZONES
    for day in TRANSITIONS[zone] or [date(2026, 3, 29), date(2026, 10, 25)]
]


@pytest.mark.parametrize(("zone", "day"), TRANSITION_DAYS)
@pytest.mark.parametrize("service_id", ["one", "two"])
def test_transition_days_match_reference(zone: str, day: date, service_id: str) -> None:
    other = ZONES[(ZONES.index(zone) + 1) % len(ZONES)]
    snapshot = transition_business(zone, other, day)
    first, last = day - timedelta(days=1), day + timedelta(days=1)
    starts = assert_matches_reference(
        Query(snapshot, service_id, first, last, days_before(first, 1))
    )
    assert starts


# Regressions: engine bugs these tests found.
def test_notice_counts_fractions_of_a_second_of_now() -> None:
    snapshot = one_resource("Europe/Berlin", duration_min=30)
    now = utc(2026, 3, 2, 9) + timedelta(milliseconds=500)
    day = date(2026, 3, 2)
    slots = find_slots(snapshot, "s", day, day, now)
    assert slots[0].start == utc(2026, 3, 2, 9, 30)  # 09:00 is already half a second past


def test_busy_end_with_fraction_of_a_second_still_occupies() -> None:
    end = utc(2026, 3, 2, 9) + timedelta(milliseconds=500)
    snapshot = one_resource(
        "Europe/Berlin", busy=(Busy("a", utc(2026, 3, 2, 8), end),), duration_min=30
    )
    day = date(2026, 3, 2)
    slots = find_slots(snapshot, "s", day, day, utc(2026, 3, 1))
    assert utc(2026, 3, 2, 9) not in [slot.start for slot in slots]


def test_provider_in_two_pools_may_serve_the_later_one() -> None:
    # The only valid choice puts r1 in the second pool; narrowing only the first pool
    # that holds r1 to r1 alone found no slot at all.
    snapshot = Snapshot(
        timezone="Europe/Berlin",
        resources={
            rid: Resource(rid, rid.upper(), weekly_hours=every_day(ALL_DAY)) for rid in ("r0", "r1")
        },
        services={"s": Service("s", "S", 60, requires=(("r0", "r1"), ("r1",)))},
    )
    day = date(2026, 3, 2)
    slots = find_slots(snapshot, "s", day, day, utc(2026, 3, 1), provider="r1")
    assert slots
    assert slots[0].resources == ("r0", "r1")
