"""Availability from the database: the same answers as the engine on the file itself."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from core import availability
from core.businessfile import parse_business
from core.store import replace_business
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
