"""``make bench``: the speed figures of the README, measured on the benchmark business.

Prints one table per measurement. Each figure is the median of several runs
after a warm-up; the database figures use a fresh database per scenario.
PostgreSQL is measured when ``SLOTWISE_BENCH_DATABASE_URL`` (or
``SLOTWISE_TEST_DATABASE_URL``) names a server database; its content is replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bench.business import FIRST_DAY, NOW, QUERY_DAYS, build, snapshot_of
from core import availability
from core.business import Business
from core.db import database, migrate
from core.engine import Snapshot, find_slots
from core.store import replace_business

LAST_DAY = FIRST_DAY + timedelta(days=QUERY_DAYS - 1)


@dataclass(frozen=True)
class Scenario:
    name: str
    providers: int
    bookings: int
    span_days: int


SCENARIOS = (
    Scenario("base: 100 providers, 20,000 bookings / 60 days", 100, 20_000, 60),
    Scenario("10x bookings: 200,000 / 600 days", 100, 200_000, 600),
    Scenario("10x providers: 1,000 providers, 20,000 bookings", 1_000, 20_000, 60),
)


def median_ms(func: Callable[[], object], runs: int = 15) -> float:
    func()  # warm-up: caches, imports, first-touch allocations
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def calibration_ms() -> float:
    """A fixed pure-Python workload: the machines we share vary in speed over the day
    by 2x and more, so every report says how fast the machine was while measuring."""
    return median_ms(lambda: sum(i * i for i in range(1_000_000)), 7)


def window_snapshot(business: Business) -> Snapshot:
    """What the database hands the engine for the query: only busy time that meets it."""
    full = snapshot_of(business)
    lo = availability.utc_midnight(FIRST_DAY) - availability.MARGIN
    hi = availability.utc_midnight(LAST_DAY) + availability.MARGIN
    return replace(full, busy=tuple(b for b in full.busy if b.start < hi and b.end > lo))


def engine_figures(business: Business) -> dict[str, float]:
    snapshot = window_snapshot(business)
    first_provider = business.services[0].requires[0][0]
    return {
        "treatment, 14 days": median_ms(
            lambda: find_slots(snapshot, "treatment", FIRST_DAY, LAST_DAY, NOW)
        ),
        "consult, 14 days": median_ms(
            lambda: find_slots(snapshot, "consult", FIRST_DAY, LAST_DAY, NOW)
        ),
        "treatment, 1 provider, 1 day": median_ms(
            lambda: find_slots(snapshot, "treatment", FIRST_DAY, FIRST_DAY, NOW, first_provider)
        ),
    }


async def _load(url: str, business: Business) -> None:
    await migrate(url)
    async with database(url):
        await replace_business(business)


async def _query_in_process(url: str, runs: int = 9) -> float:
    async with database(url):
        times = []
        for index in range(runs + 1):
            start = time.perf_counter()
            for service in ("treatment", "consult"):
                await availability.slots_between(service, FIRST_DAY, LAST_DAY, NOW)
            if index:
                times.append((time.perf_counter() - start) * 1000 / 2)
    return statistics.median(times)


def _command_ms(args: list[str], runs: int = 5) -> float:
    def run() -> None:
        subprocess.run(args, check=True, capture_output=True)

    return median_ms(run, runs)


def database_figures(url: str, business: Business) -> dict[str, float]:
    asyncio.run(_load(url, business))
    slotwise = str(Path(sys.executable).parent / "slotwise")
    query = [
        slotwise, "slots", "--service", "treatment", "--from", FIRST_DAY.isoformat(),
        "--to", LAST_DAY.isoformat(), "--now", NOW.isoformat(), "--json", "--db", url,
    ]  # fmt: skip
    return {
        "load + engine, in process": asyncio.run(_query_in_process(url)),
        "`slotwise slots` process": _command_ms(query),
        "process start-up (`slotwise --help`)": _command_ms([slotwise, "--help"]),
    }


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    columns = list(next(iter(rows.values())))
    print("| scenario | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, figures in rows.items():
        print(f"| {name} | " + " | ".join(f"{figures[c]:.1f} ms" for c in columns) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the base scenario")
    args = parser.parse_args()
    scenarios = SCENARIOS[:1] if args.quick else SCENARIOS
    postgres = os.environ.get("SLOTWISE_BENCH_DATABASE_URL") or os.environ.get(
        "SLOTWISE_TEST_DATABASE_URL"
    )
    print(f"machine calibration: {calibration_ms():.1f} ms (sum of 1e6 squares)")
    engine_rows, sqlite_rows, postgres_rows = {}, {}, {}
    for scenario in scenarios:
        business = build(scenario.providers, scenario.bookings, scenario.span_days)
        # The benchmark keeps whole businesses alive, which a real process does not:
        # move them out of the garbage collector's sight so they do not tax its passes.
        gc.collect()
        gc.freeze()
        engine_rows[scenario.name] = engine_figures(business)
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_rows[scenario.name] = database_figures(f"sqlite://{tmp}/bench.sqlite3", business)
        if postgres:
            postgres_rows[scenario.name] = database_figures(postgres, business)
        print(f"measured: {scenario.name}", file=sys.stderr)
    print(f"machine calibration after: {calibration_ms():.1f} ms")
    print_table("Engine alone (snapshot in memory), median", engine_rows)
    print_table("SQLite, `slotwise slots` (treatment and consult, 14 days), median", sqlite_rows)
    if postgres_rows:
        print_table("PostgreSQL, `slotwise slots`, median", postgres_rows)
    else:
        print("\nPostgreSQL: set SLOTWISE_BENCH_DATABASE_URL to measure it.")


if __name__ == "__main__":
    main()
