"""Availability from the database: the same answers as the engine on the file itself."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core import availability
from core.availability import MARGIN, utc_midnight
from core.bookings import BookingService
from core.business import BookingRecord, Business, BusinessInfo
from core.businessfile import parse_business
from core.engine import Resource, Service, find_slots
from core.holds import MemoryHoldStore
from core.store import load_busy, load_rules, load_taken, replace_business
from tests.conftest import TestDatabase

GOLDEN = Path(__file__).parents[1] / "golden"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
MONDAY = date(2026, 12, 7)


async def load_spa() -> None:
    document = json.loads((GOLDEN / "03-staff-and-room.json").read_text())["business"]
    await replace_business(parse_business(json.dumps(document)))


async def test_slots_between_reads_bookings_from_the_database(db: TestDatabase) -> None:
    await load_spa()
    slots = await availability.slots_between("massage", MONDAY, MONDAY, NOW)
    assert slots[0].start == datetime(2026, 12, 7, 11, tzinfo=UTC)
    assert slots[0].resources == ("tom", "room-1")


async def test_explain_start_points_at_the_stored_booking(db: TestDatabase) -> None:
    await load_spa()
    explanation, snapshot = await availability.explain_start(
        "massage", datetime(2026, 12, 7, 10, tzinfo=UTC), NOW
    )
    assert not explanation.is_slot
    refs = {r.ref for r in explanation.reasons if r.code == "busy"}
    assert len(refs) == 1
    assert next(iter(refs)).startswith("booking ")
    assert snapshot.resources["tom"].name == "Tom"


# --- the slot offer reads bookings as bare seconds ---------------------------------------

FOLD_DAY = date(2026, 10, 25)  # Berlin repeats 02:00-03:00; New York changes a week later
BEFORE = datetime(2026, 10, 1, tzinfo=UTC)


def fold_business() -> Business:
    """Round-the-clock resources in two zones, bookings every five hours across Berlin's
    fold, one of them at a fraction of a second (its window must round outwards)."""
    every_day = dict.fromkeys(range(7), ((0, 1440),))
    ana = Resource("ana", "Ana", weekly_hours=every_day)
    room = Resource(
        "room", "Room", "room", capacity=2, timezone="America/New_York", weekly_hours=every_day
    )
    cut = Service(
        "cut",
        "Cut",
        45,
        (("ana",), ("room",)),
        buffer_before_min=10,
        buffer_after_min=5,
        slot_step_min=15,
        max_advance_days=365,
    )
    base = datetime(2026, 10, 23, 22, tzinfo=UTC)
    bookings = [
        BookingRecord("cut", base + timedelta(hours=5 * k), ("ana", "room")) for k in range(17)
    ]
    odd = datetime(2026, 10, 25, 0, 59, 30, 250_000, tzinfo=UTC)  # the first 02:59:30 CEST
    bookings.append(BookingRecord("cut", odd, ("ana", "room")))
    return Business(
        BusinessInfo("Fold", "Europe/Berlin", "en"), (ana, room), (cut,), tuple(bookings)
    )


@pytest.mark.parametrize("holds", [None, MemoryHoldStore], ids=["no holds", "holds"])
async def test_bookings_read_as_seconds_give_the_slots_the_datetimes_give(
    db: TestDatabase, holds: type[MemoryHoldStore] | None
) -> None:
    await replace_business(fold_business())
    first, last = FOLD_DAY - timedelta(days=1), FOLD_DAY + timedelta(days=1)
    lo, hi = utc_midnight(first) - MARGIN, utc_midnight(last) + MARGIN
    rules = await load_rules(["cut"])
    busy = await load_busy(rules.resource_ids, lo, hi)
    assert len(busy) == 2 * 18
    as_seconds: dict[str, list[tuple[int, int, int]]] = {}
    for item in busy:
        span = (math.floor(item.start.timestamp()), math.ceil(item.end.timestamp()), item.seats)
        as_seconds.setdefault(item.resource_id, []).append(span)
    taken = await load_taken(rules.resource_ids, lo, hi)
    assert {r: sorted(spans) for r, spans in taken.items()} == {
        r: sorted(spans) for r, spans in as_seconds.items()
    }
    odd = datetime(2026, 10, 25, 0, 49, 30, 250_000, tzinfo=UTC)  # its buffer's start
    assert (math.floor(odd.timestamp()), math.ceil(odd.timestamp() + 3600), 1) in taken["ana"]

    service = BookingService(None if holds is None else holds(), clock=lambda: BEFORE)
    offered = await service.offer("cut", first, last)  # the bookings as seconds
    named = await availability.snapshot_for_dates(first, last, "cut")  # as datetimes
    assert named.busy == busy
    expected = find_slots(named, "cut", first, last, BEFORE)
    assert offered == expected
    assert await availability.slots_between("cut", first, last, BEFORE) == expected
    assert 0 < len(offered) < 3 * 24 * 4  # the bookings took some starts, not all

    two = sorted({int(str(item.ref).split()[1]) for item in busy})[:2]  # "booking <id>"
    moved = await load_taken(rules.resource_ids, lo, hi, except_bookings=two)
    assert sum(map(len, moved.values())) == sum(map(len, taken.values())) - 4
