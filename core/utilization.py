"""How much of each resource's open time is booked: the Today page's figures (and a
report's, over any period).

For a resource and a stretch of time: *open* is its hours minus its blocks (as the
engine reads them, in seat-seconds: open time times capacity); *booked* is the seats
confirmed bookings take within that open time, buffers included (what stops others
from booking); *away* is what the staff member's own calendar takes of the rest.
*Free* is open minus booked minus away, never below zero. Each is given for the part
before ``now`` and the part from ``now`` on, so "utilization so far" and "free time
left" come from one read.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from core.engine import Busy, Intervals, Resource
from core.engine.calendar import open_instants
from core.engine.zones import instant_seconds
from core.store import EXTERNAL, Rules, load_busy, load_rules

__all__ = ["ResourceUse", "resource_use"]


@dataclass(frozen=True, slots=True)
class ResourceUse:
    """Seat-minutes of one resource over ``[start, end)``, split at ``now``."""

    resource: str
    name: str
    capacity: int
    open_before: int
    booked_before: int
    open_after: int
    booked_after: int
    away_after: int

    @property
    def utilization_so_far(self) -> float | None:
        """Booked share of the open time before ``now``; ``None`` when none was open."""
        return self.booked_before / self.open_before if self.open_before else None

    @property
    def free_after(self) -> int:
        return max(0, self.open_after - self.booked_after - self.away_after)


async def resource_use(
    start: datetime,
    end: datetime,
    now: datetime,
    resources: Collection[str] | None = None,
    *,
    rules: Rules | None = None,
) -> list[ResourceUse]:
    """Each active resource's use over ``[start, end)`` (file order); two queries, one
    given ``rules`` (those :func:`core.store.load_rules` gives for ``resources``)."""
    if rules is None:
        rules = await load_rules(resources=resources)
    snapshot = rules.snapshot
    busy = await load_busy(rules.resource_ids, start, end)
    lo, hi = instant_seconds(start), instant_seconds(end)
    cut = min(max(instant_seconds(now), lo), hi)
    found = []
    for resource in snapshot.resources.values():
        if not resource.active:
            continue
        mine = [b for b in busy if b.resource_id == resource.id]
        found.append(_use(resource, snapshot.timezone, mine, lo, cut, hi))
    return found


def _use(
    resource: Resource, zone: str, busy: list[Busy], lo: int, cut: int, hi: int
) -> ResourceUse:
    opened = open_instants(resource, zone, lo, hi)
    before, after = opened.clip(lo, cut), opened.clip(cut, hi)

    def seats_in(part: Intervals, external: bool) -> int:
        total = 0
        for item in busy:
            if (item.ref == EXTERNAL) != external:
                continue
            a, b = item.seconds or (instant_seconds(item.start), instant_seconds(item.end))
            seats = resource.capacity if external else item.seats
            total += (part & Intervals([(a, b)])).total() * seats
        return total

    cap = resource.capacity
    return ResourceUse(
        resource=resource.id,
        name=resource.name,
        capacity=cap,
        open_before=before.total() * cap // 60,
        booked_before=seats_in(before, False) // 60,
        open_after=after.total() * cap // 60,
        booked_after=seats_in(after, False) // 60,
        away_after=seats_in(after, True) // 60,
    )
