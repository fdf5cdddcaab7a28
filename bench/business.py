"""The benchmark business of ``shared/notes/benchmark-business.md``, built reproducibly.

Every speed figure we quote is measured on this shape of data, so it is
generated from a fixed seed and a fixed ``now``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from core.business import BookingRecord, Business, BusinessInfo
from core.engine import Block, Busy, Resource, Service, Snapshot

NOW = datetime(2027, 1, 3, 12, 0, tzinfo=UTC)  # a Sunday noon: the day before "next Monday"
FIRST_DAY = date(2027, 1, 4)
QUERY_DAYS = 14
WEEKDAY_HOURS = ((8 * 60, 12 * 60), (13 * 60, 18 * 60))
SATURDAY_HOURS = ((9 * 60, 13 * 60),)


def _provider(index: int, rng: random.Random, span_days: int) -> Resource:
    weekly = dict.fromkeys(range(5), WEEKDAY_HOURS)
    if index % 3 == 0:
        weekly[5] = SATURDAY_HOURS
    blocks = []
    for _ in range(3):
        day = FIRST_DAY + timedelta(days=rng.randrange(span_days))
        start = datetime.combine(day, time(8)) + timedelta(minutes=15 * rng.randrange(36))
        blocks.append(
            Block(start, start + timedelta(minutes=rng.choice((30, 60, 90, 120))), None, "errand")
        )
    friday = datetime.combine(FIRST_DAY + timedelta(days=4), time(16))
    blocks.append(
        Block(friday, friday + timedelta(minutes=30), "FREQ=WEEKLY;BYDAY=FR", "team meeting")
    )
    return Resource(
        f"p{index:04d}", f"Provider {index}", "staff", weekly_hours=weekly, blocks=tuple(blocks)
    )


def _room(index: int) -> Resource:
    return Resource(
        f"room-{index:02d}",
        f"Room {index}",
        "room",
        weekly_hours=dict.fromkeys(range(7), ((7 * 60, 20 * 60),)),
    )


def build(
    providers: int = 100, bookings: int = 20_000, span_days: int = 60, seed: int = 7
) -> Business:
    rng = random.Random(seed)
    staff = [_provider(i, rng, span_days) for i in range(providers)]
    rooms = [_room(i) for i in range(10)]
    staff_ids = tuple(r.id for r in staff)
    services = (
        Service("consult", "Consultation", 30, (staff_ids,), slot_step_min=30, max_advance_days=90),
        Service(
            "treatment",
            "Treatment",
            45,
            (staff_ids, tuple(r.id for r in rooms)),
            buffer_after_min=10,
            slot_step_min=15,
            max_advance_days=90,
        ),
    )
    half_hours = [
        (provider, day, minute)
        for provider in range(providers)
        for day in range(span_days)
        if (FIRST_DAY + timedelta(days=day)).weekday() < 5
        for start, end in WEEKDAY_HOURS
        for minute in range(start, end, 30)
    ]
    chosen = rng.sample(half_hours, min(bookings, len(half_hours)))
    chosen.sort()
    records = tuple(
        BookingRecord(
            "consult",
            datetime.combine(FIRST_DAY + timedelta(days=day), time(0), tzinfo=UTC)
            + timedelta(minutes=minute),
            (staff_ids[provider],),
        )
        for provider, day, minute in chosen
    )
    return Business(
        BusinessInfo("Benchmark clinic", "UTC", "en"), (*staff, *rooms), services, records
    )


def snapshot_of(business: Business) -> Snapshot:
    """The snapshot the database layer would hand the engine, built directly."""
    services = {s.id: s for s in business.services}
    busy = []
    for record in business.bookings:
        service = services[record.service]
        start = record.start - timedelta(minutes=service.buffer_before_min)
        end = record.start + timedelta(minutes=service.duration_min + service.buffer_after_min)
        for resource in record.resources:
            busy.append(Busy(resource, start, end, record.seats or service.seats))
    return Snapshot(
        business.info.timezone,
        {r.id: r for r in business.resources},
        services,
        tuple(busy),
        business.info.locale,
    )
