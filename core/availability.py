"""Availability from the database: load the snapshot a query needs, ask the engine.

Read-only questions (``slotwise slots`` and ``explain``, the benchmarks) come
through here, so the range that must be loaded for a query is worked out once.
Whoever books or offers slots to customers goes through
:class:`core.bookings.BookingService` instead, whose snapshots also count holds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from core.engine import Explanation, Slot, Snapshot, explain, find_slots
from core.store import load_rules, load_snapshot, load_taken

MARGIN = timedelta(days=3)
"""Local dates differ from UTC ones by under 15 hours, and occupied windows
(duration plus buffers) are limited to a day by the business file, so three
days either side of the dates surely hold every instant a query can touch."""


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def snapshot_for_dates(first: date, last: date, service_id: str) -> Snapshot:
    return await load_snapshot(
        utc_midnight(first) - MARGIN, utc_midnight(last) + MARGIN, [service_id]
    )


async def slots_between(
    service_id: str, first: date, last: date, now: datetime, provider: str | None = None
) -> list[Slot]:
    """The slots, the bookings read as bare seconds (:func:`core.store.load_taken`): no
    explanation is asked of this snapshot, so nothing needs their names."""
    rules = await load_rules([service_id])
    lo, hi = utc_midnight(first) - MARGIN, utc_midnight(last) + MARGIN
    snapshot = replace(rules.snapshot, taken=await load_taken(rules.resource_ids, lo, hi))
    return find_slots(snapshot, service_id, first, last, now, provider)


async def explain_start(
    service_id: str, start: datetime, now: datetime, provider: str | None = None
) -> tuple[Explanation, Snapshot]:
    day = start.astimezone(UTC).date()
    snapshot = await snapshot_for_dates(day, day, service_id)
    return explain(snapshot, service_id, start, now, provider), snapshot
