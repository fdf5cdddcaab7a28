"""The slot rules of ``spec/business-file.md``, read literally, minute by minute.

This is the oracle the engine is tested against: deliberately simple and slow.
Every candidate is built from wall time with :mod:`zoneinfo`, every instant of
its occupied window is checked on its own, blocks are expanded by walking their
rrule from DTSTART, and resources are chosen by trying every combination.

It assumes that every time in the snapshot (hours, blocks, busy items, zone
offsets) falls on a whole minute, which the shared strategies guarantee; then
openness and use are constant over each minute and checking minute starts is
checking every instant.

A ``provider`` must be among the chosen resources, in any pool that lists it.
A resource or service marked inactive (the engine's flag; the spec is silent)
serves nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from core.engine import Resource, Service, Snapshot

MINUTE = timedelta(minutes=1)
RefSlot = tuple[datetime, tuple[str, ...]]


def local_instants(day: date, wall: time, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the clock in ``zone`` shows ``day wall``: 0, 1 or 2."""
    naive = datetime.combine(day, wall)
    found = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive and instant not in found:
            found.append(instant)
    return sorted(found)


def candidates(zone_name: str, first: date, last: date, step_min: int) -> list[datetime]:
    zone = ZoneInfo(zone_name)
    found = []
    day = first
    while day <= last:
        for minute in range(0, 1440, step_min):
            found.extend(local_instants(day, time(minute // 60, minute % 60), zone))
        day += timedelta(days=1)
    return sorted(found)


def block_spans(resource: Resource, until: datetime) -> list[tuple[datetime, datetime]]:
    """Naive wall spans of every block occurrence that starts before ``until``."""
    spans = []
    for block in resource.blocks:
        length = block.end - block.start
        if block.rrule is None:
            spans.append((block.start, block.end))
            continue
        for occurrence in rrulestr(block.rrule, dtstart=block.start):
            if occurrence >= until:
                break
            spans.append((occurrence, occurrence + length))
    return spans


class Oracle:
    """Answers "is instant x open on r" and "how many seats of r are used at x"."""

    def __init__(self, snapshot: Snapshot, horizon: datetime) -> None:
        self.snapshot = snapshot
        wall_horizon = horizon.replace(tzinfo=None) + timedelta(days=2)
        self.blocks = {rid: block_spans(r, wall_horizon) for rid, r in snapshot.resources.items()}
        self._open: dict[tuple[str, datetime], bool] = {}

    def is_open(self, rid: str, x: datetime) -> bool:
        key = (rid, x)
        if key not in self._open:
            self._open[key] = self._compute_open(rid, x)
        return self._open[key]

    def _compute_open(self, rid: str, x: datetime) -> bool:
        resource = self.snapshot.resources.get(rid)
        if resource is None or not resource.active:
            return False
        zone = ZoneInfo(resource.timezone or self.snapshot.timezone)
        wall = x.astimezone(zone).replace(tzinfo=None)
        day = wall.date()
        if day in resource.date_overrides:
            hours = resource.date_overrides[day]
        else:
            hours = resource.weekly_hours.get(day.weekday(), ())
        minute = wall.hour * 60 + wall.minute
        if not any(a <= minute < b for a, b in hours):
            return False
        return not any(start <= wall < end for start, end in self.blocks[rid])

    def used(self, rid: str, x: datetime) -> int:
        return sum(
            b.seats for b in self.snapshot.busy if b.resource_id == rid and b.start <= x < b.end
        )

    def can_serve(self, rid: str, service: Service, start: datetime) -> bool:
        resource = self.snapshot.resources.get(rid)
        if resource is None:
            return False
        return all(
            self.is_open(rid, x) and self.used(rid, x) + service.seats <= resource.capacity
            for x in window(service, start)
        )


def window(service: Service, start: datetime) -> list[datetime]:
    """The minute instants of W(s) = [s - bb, s + d + ba)."""
    first = start - service.buffer_before_min * MINUTE
    count = service.buffer_before_min + service.duration_min + service.buffer_after_min
    return [first + k * MINUTE for k in range(count)]


def choices(
    oracle: Oracle, service: Service, start: datetime, provider: str | None
) -> Iterator[tuple[str, ...]]:
    """Every choice of distinct resources, one per pool, that can serve ``start``."""
    for combo in itertools.product(*service.requires):
        if (
            len(set(combo)) == len(combo)
            and (provider is None or provider in combo)
            and all(oracle.can_serve(rid, service, start) for rid in combo)
        ):
            yield combo


def within_policy(service: Service, start: datetime, now: datetime) -> bool:
    return (
        service.active
        and start >= now + service.min_notice_min * MINUTE
        and start <= now + timedelta(days=service.max_advance_days)
    )


def reference_slots(
    snapshot: Snapshot,
    service_id: str,
    first: date,
    last: date,
    now: datetime,
    provider: str | None = None,
) -> list[RefSlot]:
    """Every slot as ``(start, one valid choice of resources)``, in time order."""
    service = snapshot.services[service_id]
    starts = [
        s
        for s in candidates(snapshot.timezone, first, last, service.step_min)
        if within_policy(service, s, now)
    ]
    if not starts:
        return []
    oracle = Oracle(snapshot, starts[-1] + timedelta(days=1))
    found = []
    for start in starts:
        choice = next(choices(oracle, service, start, provider), None)
        if choice is not None:
            found.append((start, choice))
    return found


def is_valid_choice(
    snapshot: Snapshot,
    service_id: str,
    start: datetime,
    resources: tuple[str, ...],
    provider: str | None = None,
) -> bool:
    """Whether ``resources`` (one per pool, in pool order) can serve a booking at ``start``."""
    service = snapshot.services[service_id]
    if len(resources) != len(service.requires) or len(set(resources)) != len(resources):
        return False
    if any(rid not in pool for rid, pool in zip(resources, service.requires, strict=True)):
        return False
    if provider is not None and provider not in resources:
        return False
    oracle = Oracle(snapshot, start + timedelta(days=1))
    return all(oracle.can_serve(rid, service, start) for rid in resources)


def seats_free(
    snapshot: Snapshot, service_id: str, start: datetime, resources: tuple[str, ...]
) -> int:
    """The fewest seats free on ``resources`` at any instant of W(start), before the booking."""
    service = snapshot.services[service_id]
    oracle = Oracle(snapshot, start)
    return min(
        snapshot.resources[rid].capacity - max(oracle.used(rid, x) for x in window(service, start))
        for rid in resources
    )
