"""Reports over a period: how full the resources were and will be, when people come, how
they book, how far ahead, how many cancel or do not come, and which open time stays empty.

Pure reads: a few aggregate queries over ``booking`` and ``booking_resource``, the same
SQL on SQLite and PostgreSQL (instants become epoch seconds inside the query, each
dialect its own way, so sums and groups are done by the database), plus each resource's
open time from the engine (:func:`core.engine.calendar.open_instants`: hours, date
overrides and blocks, exactly as slots are offered). Days, weekdays and hours are local
time of the business's timezone; a period is a span of local dates, both ends included.

"Booked" means every status but ``cancelled`` (a no-show booked the time too). What each
figure means is also written for people in ``docs/admin.md``.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from core.booking_rows import sqlite_text
from core.db import connection
from core.engine.calendar import open_instants
from core.engine.intervals import Intervals
from core.engine.snapshot import Resource
from core.engine.zones import Segment, instant_seconds, segments
from core.store import IMPORT_CHANNEL, Rules, load_rules

__all__ = [
    "LEAD_BUCKETS",
    "MAX_DAYS",
    "EmptyTime",
    "Grid",
    "LeadBucket",
    "Outcome",
    "Period",
    "Starts",
    "Tallies",
    "Tally",
    "Use",
    "by_channel",
    "by_service",
    "default_period",
    "empty_time",
    "lead_times",
    "outcomes",
    "peak_hours",
    "starts",
    "tallies",
    "utilization",
]

MAX_DAYS = 366
"""The longest period a report covers: a year, leap day included."""
WEEKLY_AFTER = 92
"""Cancellations and no-shows are counted per day up to this many days, per week beyond."""
_BUCKET = 900
"""Bookings are counted by quarter hour of their start (UTC) in SQL, then placed on local
days and hours here: every timezone's offset is a whole number of quarter hours."""
_CANCELLED = "cancelled"
_NO_SHOW = "no_show"
_HOUR = 3600
_DAY = 86400

Grid = tuple[tuple[float, ...], ...]
"""Seven rows (Monday first) of 24 hours (local)."""


# --------------------------------------------------------------------------- the period


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates ``first`` to ``last`` (both included) in ``timezone``."""

    first: date
    last: date
    timezone: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period ends on or after its first day")
        if self.days > MAX_DAYS:
            raise ValueError(f"a period is at most {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first instant: local midnight of ``first``, in UTC."""
        return _midnight(self.first, self.timezone)

    @property
    def end(self) -> datetime:
        """The instant after the last: local midnight after ``last``, in UTC."""
        return _midnight(self.last + timedelta(days=1), self.timezone)

    @property
    def weekly(self) -> bool:
        return self.days > WEEKLY_AFTER


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


def default_period(today: date, timezone: str) -> Period:
    """The past 30 days and the coming 30 (today the first of those)."""
    return Period(today - timedelta(days=30), today + timedelta(days=29), timezone)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Use:
    """How much of a resource's open time was booked in the period."""

    resource: str
    name: str
    kind: str
    capacity: int
    open_min: int
    """Open minutes: its hours and date overrides, less its blocks."""
    booked_min: int
    """Booked minutes (seat-minutes when its capacity is over 1) of appointments, without
    buffers, clipped to the period."""

    @property
    def share(self) -> float | None:
        """Booked over open (times the capacity); ``None`` when it was never open. Over 1
        when bookings were placed outside the hours (an admin's override)."""
        room = self.open_min * self.capacity
        return self.booked_min / room if room else None


@dataclass(frozen=True, slots=True)
class Tally:
    """Bookings of one channel or one service that start in the period."""

    key: str
    name: str
    total: int = 0
    """Every booking, cancelled ones included."""
    cancelled: int = 0
    no_show: int = 0

    @property
    def kept(self) -> int:
        """Neither cancelled nor a no-show: come, or still to come."""
        return self.total - self.cancelled - self.no_show


@dataclass(frozen=True, slots=True)
class LeadBucket:
    """Bookings made between ``lower`` and ``upper`` seconds before their start."""

    key: str
    lower: int | None
    upper: int | None
    count: int = 0


LEAD_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("under-2h", None, 2 * _HOUR),
    ("2h-1d", 2 * _HOUR, _DAY),
    ("1-2d", _DAY, 2 * _DAY),
    ("2-7d", 2 * _DAY, 7 * _DAY),
    ("7-14d", 7 * _DAY, 14 * _DAY),
    ("14-30d", 14 * _DAY, 30 * _DAY),
    ("30-60d", 30 * _DAY, 60 * _DAY),
    ("60d-", 60 * _DAY, None),
)
"""Lead time ranges (lower included, upper not). The first also holds bookings entered
after their start (an admin recording a walk-in)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """Bookings that start on a day (or in the week from ``start``, a Monday)."""

    start: date
    total: int = 0
    cancelled: int = 0
    no_show: int = 0


@dataclass(frozen=True, slots=True)
class EmptyTime:
    """Open time in which nothing at all was booked, from the period's start until
    ``until`` (now, or the period's end if that is earlier): time that stayed empty."""

    until: datetime
    by_resource: tuple[Use, ...]
    """``booked_min`` here is the open time that was booked (open minus empty)."""
    hours: Grid
    """Empty hours of all resources together, by local weekday and hour."""

    def empty_min(self, use: Use) -> int:
        return use.open_min - use.booked_min


# --------------------------------------------------------------------------- SQL


_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)
"""SQLite's ``unixepoch()`` (3.38 on): the same whole seconds as ``strftime('%s')`` a
quarter quicker, and the reports read it for every booking of the period (the page's
five queries went from 82 to 65 ms at 20,000 bookings)."""


class _Sql:
    """Arguments and the few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self) -> None:
        self.conn = connection()
        self.postgres = self.conn.capabilities.dialect == "postgres"
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        if isinstance(value, datetime) and not self.postgres:
            value = sqlite_text(value)  # SQLite compares instants as UTC text
        self.args.append(value)
        return f"${len(self.args)}" if self.postgres else "?"

    def epoch(self, column: str) -> str:
        """Whole seconds since the epoch of an instant column."""
        if self.postgres:
            return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
        if _UNIXEPOCH:
            return f"unixepoch({column})"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgres else f"MIN({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"MAX({a}, {b})"

    async def rows(self, sql: str) -> list[Sequence[Any]]:
        _, found = await self.conn.execute_query(sql, self.args)
        self.args = []
        return cast(list[Sequence[Any]], list(found))


def _in_period(sql: _Sql, rules: Rules, period: Period) -> str:
    """Bookings of the business that start in the period (the index on business, start)."""
    return (
        f'b."business_id" = {sql.arg(rules.business_id)} '
        f'AND b."start" >= {sql.arg(period.start)} AND b."start" < {sql.arg(period.end)}'
    )


class _Wall:
    """Instants to local wall-clock seconds in a zone, over a known range."""

    def __init__(self, zone: str, start: int, end: int) -> None:
        self.segments: tuple[Segment, ...] = segments(zone, start, end)
        self.starts = [s for s, _, _ in self.segments]

    def offset(self, instant: int) -> int:
        index = max(bisect_right(self.starts, instant) - 1, 0)
        return self.segments[index][2]

    def __call__(self, instant: int) -> int:
        return instant + self.offset(instant)


def _weekday_hour(wall: int) -> tuple[int, int]:
    """Monday = 0 (the epoch, 1970-01-01, was a Thursday)."""
    return (wall // _DAY + 3) % 7, wall % _DAY // _HOUR


def _wall_date(wall: int) -> date:
    return date(1970, 1, 1) + timedelta(days=wall // _DAY)


def _grid(cells: dict[tuple[int, int], float]) -> Grid:
    return tuple(tuple(cells.get((day, hour), 0) for hour in range(24)) for day in range(7))


# --------------------------------------------------------------------------- reports


async def utilization(period: Period, rules: Rules | None = None) -> list[Use]:
    """Every resource, in the business file's order, with its booked and open minutes.

    Booked minutes are summed by the database (appointments clipped to the period, times
    their seats); open minutes come from the engine. A resource that is neither open nor
    booked in the period (an inactive one) is left out.
    """
    rules = rules or await load_rules()
    start, end = instant_seconds(period.start), instant_seconds(period.end)
    sql = _Sql()
    a_start, a_end = sql.epoch('br."appointment_start"'), sql.epoch('br."appointment_end"')
    clipped = f"({sql.least(a_end, sql.arg(end))} - {sql.greatest(a_start, sql.arg(start))})"
    rows = await sql.rows(
        f'SELECT br."resource_id", SUM({clipped} * br."seats") '
        'FROM "booking_resource" br JOIN "booking" b ON b."id" = br."booking_id" '
        f"WHERE b.\"status\" <> '{_CANCELLED}' "
        f'AND br."appointment_start" < {sql.arg(period.end)} '
        f'AND br."appointment_end" > {sql.arg(period.start)} '
        'GROUP BY br."resource_id"'
    )
    booked = {int(resource_id): int(seconds or 0) for resource_id, seconds in rows}
    uses = []
    for slug, resource in rules.snapshot.resources.items():
        open_s = _open(resource, rules, start, end).total()
        booked_s = booked.get(rules.resource_ids[slug], 0)
        if open_s or booked_s:
            uses.append(_use(resource, open_s // 60, booked_s // 60))
    return uses


def _open(resource: Resource, rules: Rules, start: int, end: int) -> Intervals:
    return open_instants(resource, rules.snapshot.timezone, start, end)


def _use(resource: Resource, open_min: int, booked_min: int) -> Use:
    return Use(
        resource=resource.id,
        name=resource.name,
        kind=resource.kind,
        capacity=resource.capacity,
        open_min=open_min,
        booked_min=booked_min,
    )


Starts = list[tuple[int, str, int]]
Tallies = list[tuple[int, str, str, int]]


async def starts(period: Period, rules: Rules | None = None) -> Starts:
    """(quarter hour of the start as epoch seconds / 900, status, bookings), one query:
    what :func:`peak_hours` and :func:`outcomes` count (read once, give it to both)."""
    rules = rules or await load_rules()
    sql = _Sql()
    bucket = sql.epoch('b."start"') + f" / {_BUCKET}"
    rows = await sql.rows(
        f'SELECT {bucket}, b."status", COUNT(*) FROM "booking" b '
        f"WHERE {_in_period(sql, rules, period)} GROUP BY 1, 2"
    )
    return [(int(q), str(status), int(n)) for q, status, n in rows]


async def peak_hours(
    period: Period, rules: Rules | None = None, read: Starts | None = None
) -> Grid:
    """Bookings (not cancelled) by the local weekday and hour they start."""
    rows = read if read is not None else await starts(period, rules)
    wall = _Wall(period.timezone, instant_seconds(period.start), instant_seconds(period.end))
    cells: dict[tuple[int, int], float] = defaultdict(int)
    for quarter, status, count in rows:
        if status != _CANCELLED:
            cells[_weekday_hour(wall(quarter * _BUCKET))] += count
    return _grid(cells)


async def outcomes(
    period: Period, rules: Rules | None = None, read: Starts | None = None
) -> list[Outcome]:
    """Per local day of the start (per week, from Mondays, over a long period): bookings,
    of which cancelled and no-shows. Every day (or week) of the period has its row."""
    rows = read if read is not None else await starts(period, rules)
    wall = _Wall(period.timezone, instant_seconds(period.start), instant_seconds(period.end))
    counts: dict[date, list[int]] = {}
    day = _row_start(period.first, period.weekly)
    while day <= period.last:
        counts[day] = [0, 0, 0]
        day += timedelta(days=7 if period.weekly else 1)
    for quarter, status, count in rows:
        found = counts[_row_start(_wall_date(wall(quarter * _BUCKET)), period.weekly)]
        found[0] += count
        if status == _CANCELLED:
            found[1] += count
        elif status == _NO_SHOW:
            found[2] += count
    return [Outcome(day, *numbers) for day, numbers in counts.items()]


def _row_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


async def tallies(period: Period, rules: Rules | None = None) -> Tallies:
    """(service id, channel, status, bookings), one query: what :func:`by_channel` and
    :func:`by_service` count (read once, give it to both)."""
    rules = rules or await load_rules()
    sql = _Sql()
    rows = await sql.rows(
        f'SELECT b."service_id", b."source_channel", b."status", COUNT(*) FROM "booking" b '
        f"WHERE {_in_period(sql, rules, period)} GROUP BY 1, 2, 3"
    )
    return [(int(s), str(c), str(status), int(n)) for s, c, status, n in rows]


def _add(found: dict[str, dict[str, int]], key: str, status: str, count: int) -> None:
    numbers = found.setdefault(key, {"total": 0, "cancelled": 0, "no_show": 0})
    numbers["total"] += count
    if status == _CANCELLED:
        numbers["cancelled"] += count
    elif status == _NO_SHOW:
        numbers["no_show"] += count


async def by_channel(
    period: Period, rules: Rules | None = None, read: Tallies | None = None
) -> list[Tally]:
    """Bookings that start in the period by the channel they were made through, the
    busiest first (``file``: imported from a business file)."""
    rows = read if read is not None else await tallies(period, rules)
    found: dict[str, dict[str, int]] = {}
    for _, channel, status, count in rows:
        _add(found, channel, status, count)
    made = [Tally(key, key, **numbers) for key, numbers in found.items()]
    return sorted(made, key=lambda t: (-t.total, t.key))


async def by_service(
    period: Period, rules: Rules | None = None, read: Tallies | None = None
) -> list[Tally]:
    """Bookings that start in the period by service, in the business file's order; a
    service without bookings is listed with zeros."""
    rules = rules or await load_rules()
    rows = read if read is not None else await tallies(period, rules)
    slugs = {db_id: slug for slug, db_id in rules.service_ids.items()}
    found: dict[str, dict[str, int]] = {}
    for service_id, _, status, count in rows:
        _add(found, slugs.get(service_id, str(service_id)), status, count)
    services = rules.snapshot.services
    keys = [*services, *sorted(set(found) - set(services))]
    return [
        Tally(key, services[key].name if key in services else key, **found.get(key, {}))
        for key in keys
    ]


async def lead_times(period: Period, rules: Rules | None = None) -> list[LeadBucket]:
    """Bookings that start in the period (not cancelled) by how long before their start
    they were made. Bookings imported from a business file are left out: when they were
    imported says nothing about when they were made."""
    rules = rules or await load_rules()
    sql = _Sql()
    made, start = sql.epoch('b."created_at"'), sql.epoch('b."start"')
    # Grouped by whole hours ahead (one expression a row; every range bound is whole hours).
    rows = await sql.rows(
        f'SELECT ({start} - {made}) / {_HOUR}, COUNT(*) FROM "booking" b '
        f"WHERE {_in_period(sql, rules, period)} AND b.\"status\" <> '{_CANCELLED}' "
        f'AND b."source_channel" <> {sql.arg(IMPORT_CHANNEL)} GROUP BY 1'
    )
    counts: dict[int, int] = defaultdict(int)
    for hours, n in rows:
        counts[_lead_bucket(int(hours) * _HOUR)] += int(n)
    return [
        LeadBucket(key, lower, upper, counts.get(index, 0))
        for index, (key, lower, upper) in enumerate(LEAD_BUCKETS)
    ]


async def empty_time(period: Period, now: datetime, rules: Rules | None = None) -> EmptyTime:
    """Open time of each resource with no booking at all on it, from the period's start
    until now (or the period's end): per resource, and by local weekday and hour.

    The appointments come from the database as epoch seconds (one query); open minus
    booked is the engine's interval arithmetic.
    """
    rules = rules or await load_rules()
    start = instant_seconds(period.start)
    until = min(period.end, max(now, period.start))
    end = instant_seconds(until)
    booked: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if end > start:
        sql = _Sql()
        a_start, a_end = sql.epoch('br."appointment_start"'), sql.epoch('br."appointment_end"')
        rows = await sql.rows(
            f'SELECT br."resource_id", {a_start}, {a_end} '
            'FROM "booking_resource" br JOIN "booking" b ON b."id" = br."booking_id" '
            f"WHERE b.\"status\" <> '{_CANCELLED}' "
            f'AND br."appointment_start" < {sql.arg(until)} '
            f'AND br."appointment_end" > {sql.arg(period.start)}'
        )
        for resource_id, lo, hi in rows:
            booked[int(resource_id)].append((int(lo), int(hi)))
    wall = _Wall(period.timezone, start, max(end, start + 1))
    cells = [0.0] * (7 * 24)
    uses = []
    for slug, resource in rules.snapshot.resources.items():
        opened = _open(resource, rules, start, end) if end > start else Intervals()
        if not opened:
            continue
        empty = opened - Intervals(booked.get(rules.resource_ids[slug], ()))
        _spread(empty.spans, wall, cells)
        open_s, empty_s = opened.total(), empty.total()
        uses.append(_use(resource, open_s // 60, (open_s - empty_s) // 60))
    hours = {(i // 24, i % 24): seconds / _HOUR for i, seconds in enumerate(cells) if seconds}
    return EmptyTime(until=until, by_resource=tuple(uses), hours=_grid(hours))


def _lead_bucket(seconds: int) -> int:
    """The index in :data:`LEAD_BUCKETS` of a lead time (negative: the first)."""
    for index, (_, _, upper) in enumerate(LEAD_BUCKETS):
        if upper is None or seconds < upper:
            return index
    return len(LEAD_BUCKETS) - 1  # pragma: no cover - the last range has no upper bound


def _spread(spans: Iterable[tuple[int, int]], wall: _Wall, cells: list[float]) -> None:
    """Add each span's seconds to the local weekday × hour cells it covers (``cells`` is
    7 × 24 long, Monday 0:00 first). Spans are cut where the zone's offset changes, so
    each piece moves to wall time by one addition; the rest is integer arithmetic (this
    runs for every open hour of every resource)."""
    for lo, hi in spans:
        for seg_lo, seg_hi, offset in wall.segments:
            at, end = max(lo, seg_lo) + offset, min(hi, seg_hi) + offset
            while at < end:
                step = min(end - at, _HOUR - at % _HOUR)
                cells[((at // _DAY + 3) % 7) * 24 + at % _DAY // _HOUR] += step
                at += step
