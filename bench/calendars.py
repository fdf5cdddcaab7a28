"""``make bench``: the slot query with staff members' own calendars connected.

The issue's figure: the benchmark business's slot query (treatment and consult,
14 days) with 100 staff, each with 500 busy intervals from their own calendar
(spread over the 60 days the bookings span), stays within 20% of the same query
without them. Measured in process on SQLite, and on PostgreSQL when
``SLOTWISE_BENCH_DATABASE_URL`` names a database (its content is replaced).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
from datetime import UTC, datetime, timedelta

from bench.__main__ import _query_in_process, calibration_ms
from bench.business import FIRST_DAY, build
from core import models as m
from core.db import database, migrate
from core.store import replace_business

INTERVALS_PER_STAFF = 500
SPAN_DAYS = 60


async def _connect_everyone() -> int:
    """A connection per staff member and their busy intervals: 30 to 120 minutes on
    working days between 07:00 and 19:00, from a fixed seed."""
    rng = random.Random(17)
    rows = []
    staff = await m.Resource.filter(kind=m.ResourceKind.STAFF).order_by("id")
    for resource in staff:
        connection = await m.CalendarConnection.create(
            resource_id=resource.id, url="https://dav.example/", username="x", secret="x"
        )
        for _ in range(INTERVALS_PER_STAFF):
            day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
            start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC) + timedelta(
                minutes=15 * rng.randrange(48)
            )
            end = start + timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))
            rows.append(
                m.ExternalBusy(
                    connection_id=connection.id,
                    resource_id=resource.id,
                    href=f"https://dav.example/{rng.random()}.ics",
                    start=start,
                    end=end,
                )
            )
    await m.ExternalBusy.bulk_create(rows, batch_size=1000)
    return len(rows)


async def figures(url: str) -> tuple[float, float, int]:
    await migrate(url)
    async with database(url):
        await replace_business(build(100, 20_000, 60))
    before = await _query_in_process(url)
    async with database(url):
        added = await _connect_everyone()
    after = await _query_in_process(url)
    return before, after, added


ROUNDS = 3
"""The machine is shared: each round loads the business again and measures both, and
the table gives the medians and the spread of the change between rounds."""


def main() -> None:
    print(f"\nmachine calibration: {calibration_ms():.1f} ms (sum of 1e6 squares)")
    print(
        "Slot query with staff calendars connected (treatment and consult, 14 days), "
        f"median of {ROUNDS} rounds of 9 queries"
    )
    print("| database | without | with 100 x 500 busy intervals | change (rounds) |")
    print("|---|---|---|---|")
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite", f"sqlite://{tmp}/calendars.sqlite3"))
        postgres = os.environ.get("SLOTWISE_BENCH_DATABASE_URL")
        if postgres:
            targets.append(("PostgreSQL", postgres))
        for name, url in targets:
            rounds = [asyncio.run(figures(url)) for _ in range(ROUNDS)]
            before = statistics.median(r[0] for r in rounds)
            after = statistics.median(r[1] for r in rounds)
            changes = sorted((r[1] / r[0] - 1) * 100 for r in rounds)
            spread = ", ".join(f"{c:+.0f}%" for c in changes)
            print(
                f"| {name} | {before:.1f} ms | {after:.1f} ms ({rounds[0][2]:,} rows) "
                f"| {statistics.median(changes):+.0f}% ({spread}) |"
            )


if __name__ == "__main__":
    main()
