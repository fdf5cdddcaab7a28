"""``make loadtest``: the whole system under load on this machine, bounded and on loopback.

``slotwise serve`` with 4 workers and ``slotwise worker`` run as the real processes on
the database of ``SLOTWISE_LOADTEST_DATABASE_URL`` (its content is replaced: give a
throwaway PostgreSQL database) and the Redis of ``SLOTWISE_LOADTEST_REDIS_URL``;
without them, a throwaway SQLite file and no Redis. For a fixed time:

- ``--chats`` web chat conversations (``POST /chat/messages``), each a short script of
  typed messages, a new session after each script;
- ``--sms`` conversations through the Twilio SMS webhook (signed as Twilio signs);
- ``--clients`` API clients: free slots of a service, then a booking of one of them
  (409 "taken" is an answer, not an error: clients race for the same slots).

It prints the calibration, then per kind of request: count, throughput (``N/s``),
p50/p95/p99 (``p99 N ms``) and errors; then waits (bounded) for the worker to send the
confirmations and checks in SQL that no resource is over capacity at any instant and
that every booking confirmed during the run has its confirmation sent. Exit status 1
if a check fails. Everything is bounded: at most ``--seconds`` of load (default 60),
a minute to start, a minute to drain.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from twilio.request_validator import RequestValidator

from bench.__main__ import calibration_ms
from bench.booking import percentile
from bench.cpu import backends, ticks
from core.businessfile import load_business_file
from core.db import connection, database, dialect, migrate
from core.store import replace_business
from slotwise.cli import DEMO_FILE

CHAT_SCRIPT = (
    "hello",
    "haircut tomorrow afternoon",
    "consultation next week after 4pm",
    "yoga on Saturday",
    "my bookings",
    "help",
)
SMS_SCRIPT = ("hi", "haircut on Friday morning", "checkup next Tuesday", "help")
SERVICES = ("consult", "checkup", "haircut")
TWILIO_TOKEN = "loadtest-twilio-token"
LIMIT = str(10**7)


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    taken: int = 0

    def add(self, kind: str, began: float, ok: bool) -> None:
        self.latencies[kind].append((time.perf_counter() - began) * 1000)
        if not ok:
            self.errors[kind] += 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def prepare(url: str) -> int:
    """Migrate, load the demo business (replacing what was there); the highest booking
    id before the run (bookings above it are the run's)."""
    await migrate(url)
    async with database(url):
        await replace_business(load_business_file(DEMO_FILE))
        _, rows = await connection().execute_query("SELECT MAX(id) AS m FROM booking")
    return int(next(iter(rows[0])) or 0)


async def chat(session: aiohttp.ClientSession, base: str, stop: float, record: Record) -> None:
    while time.perf_counter() < stop:
        user = "load-" + secrets.token_urlsafe(18)
        for text in CHAT_SCRIPT:
            began = time.perf_counter()
            try:
                async with session.post(
                    f"{base}/chat/messages", json={"session": user, "text": text}
                ) as answer:
                    await answer.read()
                    record.add("chat turn (web)", began, answer.status == 200)
            except aiohttp.ClientError:
                record.add("chat turn (web)", began, False)
            if time.perf_counter() >= stop:
                return


async def sms(
    session: aiohttp.ClientSession, base: str, stop: float, record: Record, n: int
) -> None:
    validator = RequestValidator(TWILIO_TOKEN)
    url = f"{base}/twilio/sms"
    for round_ in itertools.count():
        number = f"+1555{n:03d}{round_ % 10_000:04d}"
        for text in SMS_SCRIPT:
            if time.perf_counter() >= stop:
                return
            form = {
                "MessageSid": "SM" + secrets.token_hex(16),
                "From": number,
                "To": "+14155550100",
                "Body": text,
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(url, form)}
            began = time.perf_counter()
            try:
                async with session.post(url, data=form, headers=headers) as answer:
                    await answer.read()
                    record.add("chat turn (SMS webhook)", began, answer.status == 200)
            except aiohttp.ClientError:
                record.add("chat turn (SMS webhook)", began, False)


async def client(
    session: aiohttp.ClientSession, base: str, stop: float, record: Record, n: int
) -> None:
    today = datetime.now(UTC).date()
    for round_ in itertools.count():
        if time.perf_counter() >= stop:
            return
        service = SERVICES[(n + round_) % len(SERVICES)]
        first = today + timedelta(days=1 + (n + round_) % 20)
        query = f"{base}/api/v1/slots?service={service}&from={first}&to={first}"
        began = time.perf_counter()
        try:
            async with session.get(query) as answer:
                slots = (await answer.json())["slots"] if answer.status == 200 else []
                record.add("API slots", began, answer.status == 200)
        except (aiohttp.ClientError, ValueError, KeyError):
            record.add("API slots", began, False)
            continue
        if not slots:
            continue
        slot = slots[(n * 7 + round_) % len(slots)]
        body = {
            "service": service,
            "start": slot["start"],
            "customer": {"name": f"Load {n}-{round_}", "email": f"load{n}.{round_}@example.org"},
        }
        began = time.perf_counter()
        try:
            async with session.post(f"{base}/api/v1/bookings", json=body) as answer:
                await answer.read()
                if answer.status == 409:
                    record.taken += 1
                record.add("API booking", began, answer.status in (201, 409))
        except aiohttp.ClientError:
            record.add("API booking", began, False)


async def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{base}/readyz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not become ready:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.2)


async def load(base: str, args: argparse.Namespace) -> tuple[Record, float]:
    record = Record()
    connector = aiohttp.TCPConnector(limit=args.chats + args.sms + args.clients + 10)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.perf_counter()
        stop = began + args.seconds
        await asyncio.gather(
            *(chat(session, base, stop, record) for _ in range(args.chats)),
            *(sms(session, base, stop, record, n) for n in range(args.sms)),
            *(client(session, base, stop, record, n) for n in range(args.clients)),
        )
        return record, time.perf_counter() - began


async def checks(url: str, first_id: int) -> list[str]:
    """What must hold after any load: capacity never exceeded, every confirmation sent
    (waiting up to a minute for the worker). The failures, as lines."""
    failures = []
    async with database(url):
        db = connection()
        _, over = await db.execute_query(
            "SELECT a.id FROM booking_resource a JOIN resource r ON r.id = a.resource_id "
            "JOIN booking_resource b ON b.resource_id = a.resource_id AND b.active "
            "AND b.occupied_start <= a.occupied_start AND a.occupied_start < b.occupied_end "
            "WHERE a.active GROUP BY a.id, r.capacity HAVING SUM(b.seats) > r.capacity"
        )
        if over:
            failures.append(f"{len(over)} occupancy rows over their resource's capacity")
        unsent_sql = (
            "SELECT COUNT(*) AS n FROM booking b WHERE b.id > "
            f"{first_id} AND b.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM outbox o "
            "WHERE o.booking_id = b.id AND o.kind = 'customer_confirmation' "
            "AND o.status = 'sent')"
        )
        deadline = time.monotonic() + 60
        while True:
            _, rows = await db.execute_query(unsent_sql)
            unsent = int(next(iter(rows[0])))
            if unsent == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        if unsent:
            failures.append(f"{unsent} confirmed bookings without a sent confirmation")
        _, rows = await db.execute_query(
            f"SELECT COUNT(*) AS n FROM booking WHERE id > {first_id} AND status = 'confirmed'"
        )
        print(f"bookings confirmed during the run: {int(next(iter(rows[0])))}")
    return failures


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (the server's worker processes)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parts = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children[int(parts[1])].append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


async def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving this database (the app's pools)."""
    if dialect(url) != "postgres":
        return []
    async with database(url):
        return await backends()


async def _redis_cpu(url: str) -> float | None:
    if not url:
        return None
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        info = await client.info("cpu")
    finally:
        await client.aclose()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class Usage:
    """CPU seconds used, by whom, over the load's window: where a request's time goes on a
    machine whose cores the driver, the servers and the databases share."""

    ticks: dict[str, dict[int, int]] = field(default_factory=dict)
    redis: float | None = None
    driver: float = 0.0

    @classmethod
    async def take(
        cls, server: int, worker: int, url: str, redis: str, pg: list[int] | None = None
    ) -> Usage:
        pg = await _backends(url) if pg is None else pg
        groups = {"servers": _tree(server), "worker": _tree(worker), "PostgreSQL": pg}
        return cls(
            {name: {pid: ticks(pid) for pid in pids} for name, pids in groups.items()},
            await _redis_cpu(redis),
            time.process_time(),
        )


def report_cpu(before: Usage, after: Usage, requests: int, seconds: float) -> None:
    """Each part's CPU seconds over the load, its share, and per request (all kinds)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"driver (this process)": after.driver - before.driver}
    for name, now in after.ticks.items():
        then = before.ticks.get(name, {})
        used[name] = sum(max(0, t - then.get(pid, 0)) for pid, t in now.items()) / tick
    if before.redis is not None and after.redis is not None:
        used["Redis (whole server, shared)"] = after.redis - before.redis
    total = sum(used.values())
    print(
        f"CPU over the load ({os.cpu_count()} cores x {seconds:.0f} s = "
        f"{(os.cpu_count() or 1) * seconds:.0f} core-seconds on the machine):"
    )
    for name, cpu in used.items():
        print(
            f"  {name:<30}{cpu:>8.1f} s {100 * cpu / total if total else 0:>5.0f}%"
            f"{1000 * cpu / max(requests, 1):>8.2f} ms/request"
        )
    print(
        f"  {'total':<30}{total:>8.1f} s       {1000 * total / max(requests, 1):>8.2f} ms/request"
    )


def report(record: Record, seconds: float) -> None:
    print(f"{'kind':<26}{'count':>8}{'N/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, values in sorted(record.latencies.items()):
        print(
            f"{kind:<26}{len(values):>8}{len(values) / seconds:>9.1f}"
            f"{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}"
            f"{percentile(values, 99):>9.1f}{record.errors[kind]:>8}"
        )
    print(f"bookings answered 409 (slot taken meanwhile): {record.taken}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--chats", type=int, default=40, help="web chat conversations at once")
    parser.add_argument("--sms", type=int, default=10, help="SMS conversations at once")
    parser.add_argument("--clients", type=int, default=20, help="API clients at once")
    parser.add_argument("--workers", type=int, default=4, help="server processes")
    args = parser.parse_args()
    if not 0 < args.seconds <= 300:
        parser.error("--seconds: between 0 and 300 (the whole run stays under 10 minutes)")

    folder = Path(tempfile.mkdtemp(prefix="slotwise-loadtest-"))
    url = os.environ.get("SLOTWISE_LOADTEST_DATABASE_URL") or f"sqlite://{folder / 'load.db'}"
    redis = os.environ.get("SLOTWISE_LOADTEST_REDIS_URL", "")
    print(f"calibration: {calibration_ms():.0f} ms")
    print(
        f"database: {dialect(url)}, Redis: {'yes' if redis else 'no'}, "
        f"{args.workers} server processes, {args.chats} web chats, {args.sms} SMS chats, "
        f"{args.clients} API clients, {args.seconds:.0f} s"
    )
    first_id = asyncio.run(prepare(url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SLOTWISE_DATABASE_URL": url,
        "SLOTWISE_REDIS_URL": redis,
        "SLOTWISE_WORKERS": str(args.workers),
        "SLOTWISE_HOST": "127.0.0.1",
        "SLOTWISE_PORT": str(port),
        "SLOTWISE_PUBLIC_URL": base,
        "SLOTWISE_SECRET_KEY_FILE": str(folder / "secret"),
        "SLOTWISE_LOG_LEVEL": "WARNING",
        "SLOTWISE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "SLOTWISE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "SLOTWISE_TWILIO_SMS_FROM": "+14155550100",
        "SLOTWISE_TWILIO_API_BASE": "http://127.0.0.1:9",  # nothing is sent by SMS here
        "SLOTWISE_WORKER_POLL_SECONDS": "0.5",
        "SLOTWISE_HOLDS_PER_MINUTE": LIMIT,
        "SLOTWISE_BOOKINGS_PER_MINUTE": LIMIT,
        "SLOTWISE_BOOKINGS_PER_CONTACT_PER_HOUR": LIMIT,
        "SLOTWISE_CHAT_MESSAGES_PER_MINUTE": LIMIT,
        "SLOTWISE_LIVE_HOLDS_PER_ADDRESS": LIMIT,
    }
    server_log, worker_log = folder / "server.log", folder / "worker.log"
    slotwise = [sys.executable, "-m", "slotwise"]
    with server_log.open("w") as out, worker_log.open("w") as worker_out:
        server = subprocess.Popen([*slotwise, "serve"], env=env, stdout=out, stderr=out)
        worker = subprocess.Popen(
            [*slotwise, "worker"], env=env, stdout=worker_out, stderr=worker_out
        )
        try:
            asyncio.run(wait_ready(base, server, server_log))
            before = asyncio.run(Usage.take(server.pid, worker.pid, url, redis))
            record, seconds = asyncio.run(load(base, args))
            pg = sorted({*before.ticks["PostgreSQL"], *asyncio.run(_backends(url))})
            after = asyncio.run(Usage.take(server.pid, worker.pid, url, redis, pg))
            report(record, seconds)
            requests = sum(len(values) for values in record.latencies.values())
            report_cpu(before, after, requests, seconds)
            failures = asyncio.run(checks(url, first_id))
        finally:
            for process in (server, worker):
                process.terminate()
            for process in (server, worker):
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    errors = sum(record.errors.values())
    print(f"errors: {errors}; logs in {folder}")
    for line in failures:
        print(f"CHECK FAILED: {line}")
    print("checks: capacity never exceeded, every confirmation sent" if not failures else "")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
