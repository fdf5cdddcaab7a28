"""Shared hypothesis strategies: random businesses and the queries to ask them.

Every time they produce but ``now`` lies on a whole minute (hours and blocks
on a 5- or 15-minute grid, busy items on whole minutes), which is what the
minute-by-minute reference in ``tests/core/engine/reference.py`` relies on;
``now`` may carry seconds and microseconds, as the reference compares it exactly.
Query windows cluster around the 2026 DST transitions of a few zones chosen to
be awkward: a 30-minute shift, a +12:45 offset, and a zone with no DST at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from core.engine import Block, Busy, DayHours, Resource, Service, Snapshot

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
YEAR = 2026


def transition_dates(zone_name: str, year: int = YEAR) -> list[date]:
    """Local dates in ``year`` on which the zone's UTC offset changes."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment.year == year:
        moment += timedelta(minutes=15)
        local = moment.astimezone(zone)
        if local.utcoffset() != previous:
            found.append(local.date())
            previous = local.utcoffset()
    return found


TRANSITIONS = {zone: transition_dates(zone) for zone in ZONES}
"""Asia/Kolkata has none; the others have a gap day and a fold day each."""
ALL_TRANSITIONS = sorted({day for days in TRANSITIONS.values() for day in days})
"""Also used for other zones: a resource may keep its own zone's clock."""


@dataclass(frozen=True)
class Query:
    snapshot: Snapshot
    service_id: str
    first: date
    last: date
    now: datetime
    provider: str | None = None


def day_hours(grid: int) -> st.SearchStrategy[DayHours]:
    """0-3 half-open stretches of a day on a ``grid``-minute grid; they may touch."""
    points = st.lists(st.integers(0, 1440 // grid).map(lambda k: k * grid), max_size=6)

    def pair(values: list[int]) -> DayHours:
        values = sorted(values)
        spans = zip(values[::2], values[1::2], strict=False)
        return tuple((a, b) for a, b in spans if a < b)

    presets = st.sampled_from(
        [
            ((0, 1440),),
            (),
            ((0, 120), (120, 1440)),  # touching at 02:00, inside the gap in some zones
            ((60, 300), (480, 1080)),  # the small hours, and a working day
            ((90, 240),),
            ((0, 180), (600, 1440)),
        ]
    )
    return st.one_of(presets, presets, points.map(pair))


@st.composite
def blocks(draw: st.DrawFn, around: date) -> Block:
    base = datetime(around.year, around.month, around.day)  # noqa: DTZ001 - wall time
    minutes = draw(st.integers(-14 * 288, 4 * 288)) * 5
    start = base + timedelta(minutes=minutes)
    length = timedelta(minutes=draw(st.integers(1, 48)) * 5)
    rule = draw(
        st.sampled_from(
            [
                None,
                None,
                "FREQ=DAILY",
                "FREQ=DAILY;INTERVAL=2",
                "FREQ=DAILY;COUNT=5",
                f"FREQ=WEEKLY;BYDAY={_BYDAY[start.weekday()]}",
                f"FREQ=WEEKLY;BYDAY={_BYDAY[start.weekday()]},{_BYDAY[(start.weekday() + 3) % 7]}",
            ]
        )
    )
    return Block(start=start, end=start + length, rrule=rule)


_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@st.composite
def resources(draw: st.DrawFn, rid: str, around: date) -> Resource:
    grid = draw(st.sampled_from([5, 15]))
    hours = day_hours(grid)
    closed = draw(st.sets(st.integers(0, 6), max_size=4))  # simplest: open every day
    if draw(st.booleans()):  # the same hours on every open day, as most businesses keep
        same = draw(hours)
        weekly = {day: same for day in range(7) if day not in closed}
    else:
        weekly = {day: draw(hours) for day in range(7) if day not in closed}
    override_days = st.integers(-3, 4).map(lambda k: around + timedelta(days=k))
    overrides = draw(st.dictionaries(override_days, hours, max_size=3))
    return Resource(
        id=rid,
        name=rid.upper(),
        capacity=draw(st.sampled_from([1, 1, 2, 3])),
        timezone=draw(st.none() | st.none() | st.sampled_from(ZONES)),
        weekly_hours=weekly,
        date_overrides=overrides,
        blocks=tuple(draw(st.lists(blocks(around), max_size=3))),
    )


@st.composite
def services(draw: st.DrawFn, sid: str, resource_ids: list[str]) -> Service:
    pool = st.lists(st.sampled_from(resource_ids), min_size=1, max_size=3, unique=True)
    return Service(
        id=sid,
        name=sid.upper(),
        duration_min=draw(st.integers(5, 120)),
        requires=tuple(tuple(p) for p in draw(st.lists(pool, min_size=1, max_size=3))),
        buffer_before_min=draw(st.integers(0, 30)),
        buffer_after_min=draw(st.integers(0, 30)),
        slot_step_min=draw(st.none() | st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        min_notice_min=draw(st.integers(0, 600)),
        max_advance_days=draw(st.integers(1, 30)),
        seats=draw(st.sampled_from([1, 1, 1, 1, 1, 1, 2, 3])),
    )


def query_days(zone: str) -> st.SearchStrategy[tuple[date, date]]:
    """1-3 local days around a transition of this zone or of another (a resource's)."""
    own = TRANSITIONS[zone]
    anchors = [*own, *own, *own, *own, *ALL_TRANSITIONS, date(YEAR, 1, 15)]
    return st.tuples(st.sampled_from(anchors), st.integers(-2, 0), st.integers(1, 3)).map(
        lambda t: (t[0] + timedelta(days=t[1]), t[0] + timedelta(days=t[1] + t[2] - 1))
    )


@st.composite
def busy_items(draw: st.DrawFn, resource_ids: list[str], start: datetime) -> Busy:
    begin = start + timedelta(minutes=draw(st.integers(-300, 4 * 1440)))
    return Busy(
        resource_id=draw(st.sampled_from(resource_ids)),
        start=begin,
        end=begin + timedelta(minutes=draw(st.integers(5, 180))),
        seats=draw(st.integers(1, 3)),
    )


@st.composite
def queries(draw: st.DrawFn) -> Query:
    """A random business, one of its services, and a query of 1-3 local days."""
    zone = draw(st.sampled_from(ZONES))
    first, last = draw(query_days(zone))
    resource_ids = [f"r{i}" for i in range(draw(st.integers(1, 4)))]
    service_ids = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    local_midnight = datetime(first.year, first.month, first.day, tzinfo=ZoneInfo(zone))
    window_start = local_midnight.astimezone(UTC)
    snapshot = Snapshot(
        timezone=zone,
        resources={rid: draw(resources(rid, first)) for rid in resource_ids},
        services={sid: draw(services(sid, resource_ids)) for sid in service_ids},
        busy=tuple(draw(st.lists(busy_items(resource_ids, window_start), max_size=6))),
    )
    service_id = draw(st.sampled_from(service_ids))
    pools = snapshot.services[service_id].requires
    provider = draw(st.none() | st.none() | st.sampled_from([r for p in pools for r in p]))
    span_min = ((last - first).days + 1) * 1440
    now = window_start + timedelta(
        minutes=draw(st.integers(-3 * 1440, span_min)),
        seconds=draw(st.sampled_from([0, 0, 0, 1, 59])),
        microseconds=draw(st.sampled_from([0, 0, 0, 1, 500_000])),
    )
    return Query(snapshot, service_id, first, last, now, provider)
