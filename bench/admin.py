"""``python -m bench.admin``: how fast every page and data endpoint of the admin panel
answers, with the benchmark business (``bench/business.py``: 100 providers, 10 rooms,
20,000 bookings), signed in as an admin, through the Quart test client (no network: the
figure is the server's own time). Target: under 200 ms each at the median.

The routes are found by walking the app's URL map, so a page added later is measured
without a change here: every GET route under ``/admin`` that admits admins, with its
parameters filled by a representative when it has any (a resource's id, a booking's,
a customer's, a date: see :data:`REPRESENTATIVE`); a route whose parameter has none is
listed as skipped; a route the pages also ask with a query string (the calendar's
week, the bookings of a week) is measured that way too (see :data:`VARIANTS`). The
bookings are given a spread of channels, statuses and lead times first, so the reports
have something to count, and customers (2,000, ten bookings each), so the customer
pages have someone to show. The panel's clock is set 30 days after
the bookings begin, so the reports' default period (the past and coming 30 days) holds
them all.

SQLite always (a fresh file); PostgreSQL when ``SLOTWISE_BENCH_DATABASE_URL`` names one
(its content is replaced), analysed after loading as autovacuum would soon do, so the
planner sees the tables as they are rather than as they were when empty.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pyotp
from quart import Quart
from quart.typing import TestClientProtocol
from werkzeug.routing import Rule

from admin.access import ACCESS, CONFIG, SESSION_COOKIE, Access
from admin.reports import CACHE as REPORTS_CACHE
from bench.__main__ import calibration_ms
from bench.business import FIRST_DAY, build
from core import models as m
from core.booking_rows import insert_rows
from core.db import connection, migrate
from core.store import replace_business
from core.users import UserRole, enrol, enrolment, invite
from core.users.sessions import open_session
from slotwise.app import create_app
from slotwise.settings import Settings

TARGET_MS = 200.0
NOW = datetime.combine(FIRST_DAY + timedelta(days=30), clock_time(12), tzinfo=UTC)
"""The panel's clock: a month into the benchmark's bookings."""
PASSWORD = "a bench password, long enough"
CUSTOMERS = 2_000
DOMAIN = "bench.example"
"""The benchmark customers' e-mail domain."""
WEEK_START = NOW.date() - timedelta(days=NOW.weekday())
VARIANTS: dict[str, tuple[str, ...]] = {
    "/admin/calendar": ("view=week",),
    "/admin/api/calendar": (
        f"date={NOW.date()}&view=week",
        f"start={WEEK_START}&end={WEEK_START + timedelta(days=7)}",
    ),
    "/admin/bookings": (f"from={WEEK_START}&to={WEEK_START + timedelta(days=6)}",),
    "/admin/api/bookings": (f"from={WEEK_START}&to={WEEK_START + timedelta(days=6)}",),
    "/admin/api/bookings.csv": (f"from={WEEK_START}&to={WEEK_START + timedelta(days=6)}",),
    "/admin/customers": ("q=customer 1",),
}
"""Query strings the pages send besides the bare route (the calendar's week, a week of
bookings, a customer search), each measured as a route of its own."""


@dataclass(frozen=True)
class Figure:
    path: str
    status: int
    cold_ms: float
    """Median with the reports' one-minute cache emptied before each request."""
    warm_ms: float
    """Median of requests one after the other, as a page and its charts' requests come."""


class Clock:
    def __call__(self) -> datetime:
        return NOW


async def _spread_bookings() -> None:
    """Channels, statuses and booking times spread over the bookings (all imported as
    confirmed, from a file, made at once): by their id, the same on every run."""
    conn = connection()
    postgres = conn.capabilities.dialect == "postgres"
    made = (
        '"start" - ("id" % 45) * INTERVAL \'1 day\' - ("id" % 7) * INTERVAL \'1 hour\''
        if postgres
        else "strftime('%Y-%m-%d %H:%M:%S+00:00', \"start\", '-' || (\"id\" % 45) || ' days', "
        "'-' || (\"id\" % 7) || ' hours')"
    )
    statements = [
        f'UPDATE "booking" SET "created_at" = {made}',
        'UPDATE "booking" SET "source_channel" = CASE "id" % 5 WHEN 0 THEN \'telegram\' '
        "WHEN 1 THEN 'web' WHEN 2 THEN 'sms' WHEN 3 THEN 'whatsapp' ELSE 'api' END",
        'UPDATE "booking" SET "status" = \'cancelled\' WHERE "id" % 10 = 0',
        'UPDATE "booking" SET "status" = \'no_show\' WHERE "id" % 25 = 1',
        'UPDATE "booking_resource" SET "active" = '
        + ("FALSE" if postgres else "0")
        + ' WHERE "booking_id" % 10 = 0',
    ]
    for sql in statements:
        await conn.execute_query(sql)
    # Customers outlive a re-import (they are not the business's rows): those of an
    # earlier run go first.
    await conn.execute_query(f'DELETE FROM "customer" WHERE "email_key" LIKE \'%@{DOMAIN}\'')
    await insert_rows(
        conn,
        "customer",
        ("name", "phone", "email", "email_key", "created_at"),
        [
            (f"Customer {n}", f"+4930{n:07d}", f"c{n}@{DOMAIN}", f"c{n}@{DOMAIN}", NOW)
            for n in range(CUSTOMERS)
        ],
    )
    _, rows = await conn.execute_query('SELECT MIN("id") FROM "customer"')
    first = int(next(iter(rows))[0])
    await conn.execute_query(f'UPDATE "booking" SET "customer_id" = {first} + "id" % {CUSTOMERS}')
    if postgres:
        await conn.execute_script("VACUUM ANALYZE")


async def _admin_cookie(app: Quart) -> str:
    """An admin enrolled with a two-factor key, and a session of theirs (the cookie)."""
    await m.User.filter(email="bench@example.org").delete()  # of an earlier run
    user, token = await invite("bench@example.org", "admin", None, now=NOW)
    shown = await enrolment(token, now=NOW)
    await enrol(token, PASSWORD, pyotp.TOTP(shown.secret).at(NOW), now=NOW)
    settings = app.extensions[CONFIG]
    session = await open_session(
        user.id, address="bench", now=NOW, policy=settings.sessions, replaces=None
    )
    return f"{SESSION_COOKIE}={session}"


async def _representatives() -> dict[str, str]:
    """A value for each parameter name a route may have (the first of each kind)."""
    conn = connection()

    async def first(sql: str) -> str | None:
        _, rows = await conn.execute_query(sql)
        value = None if not rows else next(iter(rows))[0]
        return None if value is None else str(value)

    found = {
        "resource": await first('SELECT "slug" FROM "resource" ORDER BY "position", "id" LIMIT 1'),
        "service": await first('SELECT "slug" FROM "service" ORDER BY "position", "id" LIMIT 1'),
        "booking": await first('SELECT MIN("id") FROM "booking"'),
        "customer": await first('SELECT MIN("id") FROM "customer"'),
        "date": NOW.date().isoformat(),
        "day": NOW.date().isoformat(),
    }
    for alias, name in (("booking_id", "booking"), ("customer_id", "customer"), ("id", "booking")):
        found[alias] = found[name]
    return {k: v for k, v in found.items() if v is not None}


REPRESENTATIVE = ("resource", "service", "booking", "customer", "date", "day", "id")
"""The parameter names filled (``booking_id`` and ``customer_id`` too); others skip."""


def admin_gets(app: Quart) -> list[Rule]:
    """GET routes under /admin that an admin may open (pages and data), in URL order."""
    found = []
    for rule in app.url_map.iter_rules():
        access: Access | None = getattr(app.view_functions[rule.endpoint], ACCESS, None)
        if (
            rule.rule.startswith("/admin")
            and "GET" in (rule.methods or set())
            and access is not None
            and access.kind in ("page", "data")
            and UserRole.ADMIN in access.roles
        ):
            found.append(rule)
    return sorted(found, key=lambda r: r.rule)


def fill(rule: Rule, values: dict[str, str]) -> str | None:
    """The rule's path with its parameters filled, or ``None`` when one has no value."""
    missing = [name for name in rule.arguments if name not in values]
    if missing:
        return None
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


async def measure(url: str, runs: int) -> tuple[list[Figure], list[str]]:
    await migrate(url)
    settings = Settings(database_url=url)
    app = create_app(settings)
    app.extensions[CONFIG] = replace(app.extensions[CONFIG], clock=Clock())
    async with app.test_app():
        await replace_business(build())
        await _spread_bookings()
        cookie = await _admin_cookie(app)
        values = await _representatives()
        client = app.test_client()
        figures, skipped = [], []
        for rule in admin_gets(app):
            path = fill(rule, values)
            if path is None:
                skipped.append(rule.rule)
                continue
            for query in ("", *VARIANTS.get(rule.rule, ())):
                figures.append(await _time(app, client, cookie, path, query, runs))
    return figures, skipped


async def _time(
    app: Quart, client: TestClientProtocol, cookie: str, path: str, query: str, runs: int
) -> Figure:
    """Cold and warm medians of one address."""
    address = f"{path}?{query}" if query else path
    cold: list[float] = []
    warm: list[float] = []
    status = 0
    for index in range(2 * runs + 1):  # the first is a warm-up
        if index % 2:
            app.extensions.pop(REPORTS_CACHE, None)
        start = time.perf_counter()
        response = await client.get(address, headers={"Cookie": cookie})
        await response.get_data()
        elapsed = (time.perf_counter() - start) * 1000
        status = response.status_code
        if index:
            (cold if index % 2 else warm).append(elapsed)
    return Figure(address, status, statistics.median(cold), statistics.median(warm))


def print_table(title: str, figures: list[Figure], skipped: list[str]) -> None:
    print(f"\n{title}")
    print("| route | status | median, cold | median, warm | under 200 ms |")
    print("|---|---|---|---|---|")
    for f in figures:
        ok = "yes" if max(f.cold_ms, f.warm_ms) < TARGET_MS and f.status < 400 else "**no**"
        print(f"| `{f.path}` | {f.status} | {f.cold_ms:.1f} ms | {f.warm_ms:.1f} ms | {ok} |")
    if skipped:
        print("skipped (a parameter without a representative): " + ", ".join(skipped))
    slow = [f for f in figures if max(f.cold_ms, f.warm_ms) >= TARGET_MS or f.status >= 400]
    print(f"{len(figures) - len(slow)} of {len(figures)} under {TARGET_MS:.0f} ms (cold and warm)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per route (median)")
    args = parser.parse_args(argv)
    gc.collect()
    gc.freeze()
    print(f"machine calibration: {calibration_ms():.1f} ms (sum of 1e6 squares)")
    print(f"panel clock: {NOW.isoformat()}; first booking day {FIRST_DAY}")
    with tempfile.TemporaryDirectory() as tmp:
        figures, skipped = asyncio.run(measure(f"sqlite://{tmp}/bench.sqlite3", args.runs))
    print_table("Admin panel on SQLite (20,000 bookings), median per request", figures, skipped)
    postgres = os.environ.get("SLOTWISE_BENCH_DATABASE_URL")
    if postgres:
        figures, skipped = asyncio.run(measure(postgres, args.runs))
        print_table("Admin panel on PostgreSQL, median per request", figures, skipped)
    else:
        print("\nPostgreSQL: set SLOTWISE_BENCH_DATABASE_URL to measure it.", file=sys.stderr)
    print(f"machine calibration after: {calibration_ms():.1f} ms")


if __name__ == "__main__":
    main()
