"""The free slots of a service: the rules of ``spec/business-file.md`` as sweeps.

For every resource that a pool of the service can use we compute, once per
query, the set of instants where it is *free for this service*: open, not
blocked, and with the service's seats still unused. Shrinking that set by the
occupied window gives the set of starts the resource can serve; the union over
a pool says where the pool can serve. A candidate start on the local grid is a
slot when every pool can serve it with distinct resources, and its notice and
booking window hold. Nothing walks minute by minute.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.engine.calendar import open_instants
from core.engine.errors import UnknownProvider, UnknownService
from core.engine.intervals import Intervals
from core.engine.occupancy import Occupancy
from core.engine.snapshot import Busy, Resource, Service, Slot, Snapshot, Taken
from core.engine.zones import (
    segments,
    to_datetime,
    wall_of_date,
    wall_time_instants,
)

_DAY = 86400


def service_of(snapshot: Snapshot, service_id: str) -> Service:
    try:
        return snapshot.services[service_id]
    except KeyError:
        raise UnknownService(service_id, sorted(snapshot.services)) from None


def pool_variants(service: Service, provider: str | None) -> list[tuple[tuple[str, ...], ...]]:
    """The ways the service's pools can be read so that ``provider`` takes part.

    Without a provider that is the pools themselves. With one, each pool that holds
    it is narrowed to it in turn: the slot must use the provider, in any pool that
    lists it.
    """
    if provider is None:
        return [service.requires]
    variants = [
        (*service.requires[:index], (provider,), *service.requires[index + 1 :])
        for index, pool in enumerate(service.requires)
        if provider in pool
    ]
    if not variants:
        raise UnknownProvider(provider, service.id)
    return variants


def bookable_bounds(service: Service, now: datetime) -> tuple[int, int]:
    """The earliest and latest start (whole seconds) allowed by notice and the window.

    ``now`` may carry microseconds: the earliest start rounds up and the latest down,
    so half a second past 09:00 never lets 09:00 through.
    """
    exact = now.timestamp()
    earliest = math.ceil(exact + service.min_notice_min * 60)
    latest = math.floor(exact + service.max_advance_days * _DAY)
    return earliest, latest


@dataclass(frozen=True, slots=True)
class Window:
    """Seconds before and after a start that a booking of the service occupies."""

    before: int
    after: int

    @classmethod
    def of(cls, service: Service) -> Window:
        return cls(
            service.buffer_before_min * 60,
            (service.duration_min + service.buffer_after_min) * 60,
        )


def busy_by_resource(
    busy: Sequence[Busy],
    resources: set[str],
    start: int,
    end: int,
    taken: Mapping[str, Sequence[Taken]] | None = None,
) -> dict[str, list[Taken]]:
    """Busy items of the given resources that meet ``[start, end)``, in seconds: those of
    ``busy`` and those already in seconds, ``taken`` (:attr:`Snapshot.taken`)."""
    grouped: dict[str, list[Taken]] = defaultdict(list)
    for resource_id, items in (taken or {}).items():
        if resource_id in resources:
            grouped[resource_id].extend(t for t in items if t[0] < end and t[1] > start)
    for item in busy:
        if item.resource_id not in resources:
            continue
        seconds = item.seconds
        if seconds is None:
            seconds = (math.floor(item.start.timestamp()), math.ceil(item.end.timestamp()))
        if seconds[0] < end and seconds[1] > start:
            grouped[item.resource_id].append((seconds[0], seconds[1], item.seats))
    return grouped


class ResourceView:
    """One resource over one instant range: open time, use, and where it can serve."""

    __slots__ = ("free", "occupancy", "open", "resource", "starts")

    def __init__(
        self,
        resource: Resource,
        business_zone: str,
        start: int,
        end: int,
        busy: list[tuple[int, int, int]],
        service: Service,
    ) -> None:
        self.resource = resource
        self.open = open_instants(resource, business_zone, start, end)
        room = resource.capacity - service.seats
        # Most resources hold one booking at a time: then "full" is just the union of
        # the busy spans, and the step function of seats is never needed.
        self.occupancy = Occupancy(busy) if resource.capacity > 1 else None
        if room < 0:
            self.free = Intervals()
        elif self.occupancy is None:
            self.free = self.open.without((a, b) for a, b, seats in busy if seats > 0)
        else:
            self.free = self.open - self.occupancy.above(room)
        window = Window.of(service)
        self.starts = self.free.shrink(window.before, window.after)

    def can_serve(self, start: int) -> bool:
        return self.starts.contains_point(start)

    def peak(self, start: int, end: int) -> int:
        """The most seats in use during ``[start, end)``; a capacity-one resource that can
        serve a window has none in use."""
        return 0 if self.occupancy is None else self.occupancy.peak(start, end)

    def seats_free(self, start: int, window: Window) -> int:
        return self.resource.capacity - self.peak(start - window.before, start + window.after)


class ServicePlan:
    """Everything needed to decide, for one service over one range, which starts are slots."""

    def __init__(
        self,
        snapshot: Snapshot,
        service_id: str,
        start: int,
        end: int,
        provider: str | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.service = service_of(snapshot, service_id)
        self.variants = pool_variants(self.service, provider)
        self.pools = self.variants[0]
        """The pools as the first variant reads them (what explanations talk about)."""
        self.window = Window.of(self.service)
        lo, hi = start - self.window.before, end + self.window.after
        wanted = {r for pools in self.variants for pool in pools for r in pool}
        busy = busy_by_resource(snapshot.busy, wanted, lo, hi, snapshot.taken)
        self.views: dict[str, ResourceView] = {}
        for resource_id in sorted(wanted):
            resource = snapshot.resources.get(resource_id)
            if resource is not None:
                self.views[resource_id] = ResourceView(
                    resource, snapshot.timezone, lo, hi, busy.get(resource_id, []), self.service
                )
        self._variant_starts = [
            [
                Intervals.union_all(self.views[r].starts for r in pool if r in self.views)
                for pool in pools
            ]
            for pools in self.variants
        ]
        self.pool_starts = self._variant_starts[0]
        flat = [r for pool in self.service.requires for r in pool]
        self._pools_disjoint = len(flat) == len(set(flat))

    def choose(self, start: int) -> tuple[str, ...] | None:
        """One resource per pool, all distinct, each able to serve ``start``; pool order wins."""
        for pools, pool_starts in zip(self.variants, self._variant_starts, strict=True):
            if not all(starts.contains_point(start) for starts in pool_starts):
                continue
            if self._pools_disjoint:
                return tuple(next(r for r in pool if self._serves(r, start)) for pool in pools)
            chosen = distinct_choice(
                [[r for r in pool if self._serves(r, start)] for pool in pools]
            )
            if chosen is not None:
                return chosen
        return None

    def _serves(self, resource_id: str, start: int) -> bool:
        view = self.views.get(resource_id)
        return view is not None and view.can_serve(start)

    def slot(self, start: int, chosen: tuple[str, ...]) -> Slot:
        seats = min(self.views[r].seats_free(start, self.window) for r in chosen)
        return Slot(
            start=to_datetime(start),
            end=to_datetime(start + self.service.duration_min * 60),
            resources=chosen,
            seats_free=seats,
        )


def distinct_choice(able: Sequence[Sequence[str]]) -> tuple[str, ...] | None:
    """A system of distinct representatives (Kuhn's augmenting paths), preferring pool order."""
    owner: dict[str, int] = {}

    def place(pool: int, seen: set[str]) -> bool:
        for resource in able[pool]:
            if resource in seen:
                continue
            seen.add(resource)
            if resource not in owner or place(owner[resource], seen):
                owner[resource] = pool
                return True
        return False

    for pool in range(len(able)):
        if not place(pool, set()):
            return None
    by_pool = {pool: resource for resource, pool in owner.items()}
    return tuple(by_pool[pool] for pool in range(len(able)))


def candidates(zone: str, first: date, last: date, step_min: int) -> Iterator[int]:
    """Starts on the local grid of each date, in time order; skipped in gaps, twice in folds."""
    lo = wall_of_date(first) - 2 * _DAY
    hi = wall_of_date(last) + 3 * _DAY
    segs = segments(zone, lo, hi)
    step = step_min * 60
    found: list[int] = []
    day = first
    while day <= last:
        base = wall_of_date(day)
        for wall in range(base, base + _DAY, step):
            found.extend(wall_time_instants(wall, segs))
        day += timedelta(days=1)
    found.sort()
    return iter(found)


def find_slots(
    snapshot: Snapshot,
    service_id: str,
    first: date,
    last: date,
    now: datetime,
    provider: str | None = None,
) -> list[Slot]:
    """The slots of a service on the local dates ``first..last`` of the business, in time order."""
    service = service_of(snapshot, service_id)
    earliest, latest = bookable_bounds(service, now)
    starts = [
        s
        for s in candidates(snapshot.timezone, first, last, service.step_min)
        if earliest <= s <= latest
    ]
    pool_variants(service, provider)  # an unknown provider is an error even with no candidates
    if not starts or not service.active:
        return []
    plan = ServicePlan(snapshot, service_id, starts[0], starts[-1] + 1, provider)
    slots = []
    for start in starts:
        chosen = plan.choose(start)
        if chosen is not None:
            slots.append(plan.slot(start, chosen))
    return slots
