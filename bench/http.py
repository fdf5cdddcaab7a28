"""``python -m bench.http``: ``GET /api/v1/slots`` over HTTP, as an API client sees it.

The benchmark business (``bench/business.py``: 100 providers, 10 rooms, 20,000
bookings) in a fresh SQLite file and, with ``SLOTWISE_BENCH_DATABASE_URL`` (or
``SLOTWISE_TEST_DATABASE_URL``), in PostgreSQL (its content is replaced). The server
is the whole app under Hypercorn in its own process (``python -m bench.http serve``),
its clock pinned to the benchmark's ``NOW`` so the answer is the same every day; the
client is another process on the loopback, asking one query at a time. The figure is
the median time of a 14-day query of each service after a warm-up (target: 50 ms on
PostgreSQL), and the server process's CPU time per query, which the machine's other
load does not inflate the way it does the time. Each answer is checked to hold slots,
so an empty answer cannot look fast.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp

from bench.__main__ import _load, calibration_ms
from bench.business import FIRST_DAY, NOW, QUERY_DAYS, build
from bench.cpu import TICK_SECONDS, ticks

LAST_DAY = FIRST_DAY + timedelta(days=QUERY_DAYS - 1)
SERVICES = ("treatment", "consult")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _serve(url: str, port: int) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from slotwise.app import create_app
    from slotwise.settings import Settings

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    app = create_app(Settings(database_url=url, port=port), clock=lambda: NOW)
    await serve(app, config)  # type: ignore[arg-type]


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer within 60 s")


def _cpu_ms(pid: int) -> float:
    """CPU time a process has used so far, in ms: the server's share of a request, which
    (unlike its wall time) does not grow when other processes take the machine's cores."""
    return ticks(pid) * TICK_SECONDS * 1000


async def _measure(base: str, runs: int, pid: int) -> dict[str, float]:
    figures = {}
    async with aiohttp.ClientSession(base) as session:
        for service in SERVICES:
            query = {"service": service, "from": FIRST_DAY.isoformat(), "to": LAST_DAY.isoformat()}
            times = []
            for index in range(runs + 2):  # two warm-ups: first plans, caches of open time
                if index == 2:
                    cpu = _cpu_ms(pid)
                start = time.perf_counter()
                async with session.get("/api/v1/slots", params=query) as response:
                    body = await response.json()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status != 200 or not body.get("slots"):
                    raise RuntimeError(f"{service}: {response.status} {str(body)[:200]}")
                if index >= 2:
                    times.append(elapsed)
            figures[service] = statistics.median(times)
            figures[f"{service} cpu"] = (_cpu_ms(pid) - cpu) / runs
    return figures


def measure(url: str, runs: int) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.http", "serve", url, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        return asyncio.run(_measure(f"http://127.0.0.1:{port}", runs, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", nargs="?", choices=["serve"])
    parser.add_argument("url", nargs="?")
    parser.add_argument("port", nargs="?", type=int)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    if args.command == "serve":
        asyncio.run(_serve(args.url, args.port))
        return
    postgres = os.environ.get("SLOTWISE_BENCH_DATABASE_URL") or os.environ.get(
        "SLOTWISE_TEST_DATABASE_URL"
    )
    print(f"machine calibration: {calibration_ms():.1f} ms (sum of 1e6 squares)")
    business = build(100, 20_000, 60)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        asyncio.run(_load(sqlite, business))
        rows["SQLite"] = measure(sqlite, args.runs)
    if postgres:
        asyncio.run(_load(postgres, business))
        rows["PostgreSQL"] = measure(postgres, args.runs)
    print("\nGET /api/v1/slots over HTTP, 14 days, one client, median (target 50 ms on PostgreSQL)")
    print("and the server process's CPU per request (mean; unlike the time, load-independent)")
    print("| database | " + " | ".join(f"{s} | {s} CPU" for s in SERVICES) + " |")
    print("|---" * (2 * len(SERVICES) + 1) + "|")
    for name, figures in rows.items():
        cells = (f"{figures[s]:.1f} ms | {figures[s + ' cpu']:.1f} ms" for s in SERVICES)
        print(f"| {name} | " + " | ".join(cells) + " |")
    if not postgres:
        print("\nPostgreSQL: set SLOTWISE_BENCH_DATABASE_URL to measure it.")


if __name__ == "__main__":
    main()
