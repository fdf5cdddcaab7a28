"""``python -m bench.booking``: how fast the booking service books, and how fast it says no.

On PostgreSQL (``SLOTWISE_BENCH_DATABASE_URL`` or ``SLOTWISE_TEST_DATABASE_URL``;
its content is replaced) with the benchmark business of ``bench/business.py``:

- throughput: 50 concurrent clients, each booking distinct free slots (its own
  provider, its own times) through :class:`core.bookings.BookingService`; the
  figure is confirmed bookings per second of wall time (target >= 300);
- a hot slot: 50 clients book the same slot at once, one wins; the figure is how
  long the 49 losers wait for their answer (``SlotTaken`` with alternatives),
  p50 and p99 over several rounds (target p99 < 250 ms);
- a rule edit (one provider's weekly hours) with the 20,000 bookings in place.

Everything runs in this one process, as one server process would: 50 asyncio
tasks sharing a pool of 20 connections. (A pool as big as the crowd measured
slower here: on two cores, 50 busy PostgreSQL backends, each planning its first
executions of every statement, cost more than the short waits for a connection.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.__main__ import calibration_ms
from bench.business import FIRST_DAY, NOW, QUERY_DAYS, build, snapshot_of
from bench.cpu import TICK_SECONDS, backends, ticks
from core.bookings import Actor, BookingService, CustomerInput
from core.business import Business
from core.db import database, migrate
from core.engine import find_slots
from core.errors import SlotTaken
from core.rules import set_weekly_hours
from core.store import replace_business

CLIENTS = 50
POOL = 20
LAST_DAY = FIRST_DAY + timedelta(days=QUERY_DAYS - 1)


def free_starts(business: Business, providers: list[str]) -> list[list[datetime]]:
    """The free consultation starts of each provider over the query days (engine, in memory)."""
    snapshot = snapshot_of(business)
    return [
        [slot.start for slot in find_slots(snapshot, "consult", FIRST_DAY, LAST_DAY, NOW, p)]
        for p in providers
    ]


def staff(business: Business) -> list[str]:
    return [r.id for r in business.resources if r.kind == "staff"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Throughput:
    """Confirmed bookings per second, and the CPU each booking cost this process (the
    service) and the PostgreSQL server (its backends, when the server is on this machine):
    on two cores shared by both, their sum per booking bounds the rate."""

    rate: float
    service_cpu_ms: float
    postgres_cpu_ms: float


async def throughput(service: BookingService, business: Business, per_client: int) -> Throughput:
    providers = staff(business)[:CLIENTS]
    plans = [starts[:per_client] for starts in free_starts(business, providers)]

    async def client(index: int) -> int:
        booked = 0
        for n, start in enumerate(plans[index]):
            await service.book(
                "consult", start, CustomerInput(f"C{index}-{n}"), provider=providers[index]
            )
            booked += 1
        return booked

    server = await backends()
    cpu, pg = time.process_time(), sum(map(ticks, server))
    started = time.perf_counter()
    counts = await asyncio.gather(*(client(i) for i in range(len(providers))))
    elapsed = time.perf_counter() - started
    booked = sum(counts)
    return Throughput(
        rate=booked / elapsed,
        service_cpu_ms=(time.process_time() - cpu) * 1000 / booked,
        postgres_cpu_ms=(sum(map(ticks, server)) - pg) * TICK_SECONDS * 1000 / booked,
    )


async def hot_slot(
    service: BookingService, business: Business, rounds: int
) -> tuple[list[float], list[float]]:
    """Losers' and winners' answer times (ms) over ``rounds`` contested slots."""
    provider = staff(business)[-1]
    starts = free_starts(business, [provider])[0][:rounds]
    losers: list[float] = []
    winners: list[float] = []

    async def timed(call: Awaitable[object]) -> tuple[bool, float]:
        started = time.perf_counter()
        try:
            await call
        except SlotTaken:
            return False, (time.perf_counter() - started) * 1000
        return True, (time.perf_counter() - started) * 1000

    for start in starts:
        results = await asyncio.gather(
            *(
                timed(service.book("consult", start, CustomerInput(f"H{i}"), provider=provider))
                for i in range(CLIENTS)
            )
        )
        wins = [ms for won, ms in results if won]
        if len(wins) != 1:
            raise SystemExit(f"hot slot {start}: {len(wins)} bookings instead of 1")
        winners.extend(wins)
        losers.extend(ms for won, ms in results if not won)
    return losers, winners


async def rule_edit(business: Business, rounds: int = 5) -> float:
    """Median time (ms) of one rule edit (a provider's Monday hours) on the business."""
    provider = staff(business)[0]
    times: list[float] = []
    for i in range(rounds + 1):
        hours = {"mon": [["08:00", "12:00"], ["13:00", f"{17 + i % 2}:00"]]}
        started = time.perf_counter()
        await set_weekly_hours(provider, hours, actor=Actor("admin", "bench", "admin"), now=NOW)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])  # the first one warms up


async def run(url: str, per_client: int, rounds: int) -> None:
    business = build()
    await migrate(url)
    async with database(url):
        await replace_business(business)
    async with database(f"{url}?maxsize={POOL}"):
        service = BookingService(clock=lambda: NOW)
        # Warm-up: the pool's connections and the statements they prepare.
        await asyncio.gather(
            *(
                service.offer("consult", FIRST_DAY, FIRST_DAY, provider)
                for provider in staff(business)[:CLIENTS]
            )
        )
        rate = await throughput(service, business, per_client)
        losers, winners = await hot_slot(service, business, rounds)
        edit_ms = await rule_edit(business)  # last: it changes a provider's hours
    print(f"\nPostgreSQL, {CLIENTS} concurrent clients, {POOL} connections, benchmark business")
    print("| measurement | figure | target |")
    print("|---|---|---|")
    print(f"| distinct slots: confirmed bookings per second | {rate.rate:.0f} /s | >= 300 /s |")
    print(
        f"| CPU per booking: the service / PostgreSQL "
        f"| {rate.service_cpu_ms:.2f} ms / {rate.postgres_cpu_ms:.2f} ms | |"
    )
    print(
        f"| hot slot: losers' answer time p50 / p99 ({len(losers)} answers) "
        f"| {percentile(losers, 50):.0f} ms / {percentile(losers, 99):.0f} ms | p99 < 250 ms |"
    )
    print(
        f"| hot slot: winner's answer time, median ({len(winners)} rounds) "
        f"| {statistics.median(winners):.0f} ms | |"
    )
    print(f"| rule edit (one provider's hours), median | {edit_ms:.0f} ms | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-client", type=int, default=20, help="bookings per client")
    parser.add_argument("--rounds", type=int, default=5, help="hot slots contested")
    args = parser.parse_args()
    url = os.environ.get("SLOTWISE_BENCH_DATABASE_URL") or os.environ.get(
        "SLOTWISE_TEST_DATABASE_URL"
    )
    if not url or not url.startswith(("postgres://", "postgresql://")):
        print(
            "\nBooking service: set SLOTWISE_BENCH_DATABASE_URL to a PostgreSQL database "
            "(its content is replaced) to measure it."
        )
        return
    print(f"machine calibration: {calibration_ms():.1f} ms (sum of 1e6 squares)")
    print(f"started {datetime.now(UTC).isoformat(timespec='seconds')}", file=sys.stderr)
    asyncio.run(run(url, args.per_client, args.rounds))
    print(f"machine calibration after: {calibration_ms():.1f} ms")


if __name__ == "__main__":
    main()
