"""Step one of every booking: what the engine says about the wished start(s).

Plain data and pure functions over engine snapshots; the service loads the
data and decides what to do with the answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.engine import Busy, Explanation, Service, Snapshot, explain
from core.engine.occupancy import Occupancy
from core.store import Rules

__all__ = [
    "OVERRIDE_DAYS",
    "Failure",
    "Placed",
    "View",
    "Want",
    "adapt",
    "describe",
    "explain_want",
    "peak",
    "taken",
    "window",
    "with_service",
]


@dataclass(frozen=True, slots=True)
class Want:
    """One appointment to find room for."""

    service_id: str
    start: datetime
    seats: int | None
    """``None``: the service's seats."""
    provider: str | None = None
    fixed: tuple[str, ...] | None = None
    """Exactly these resources, one per pool (a hold being confirmed)."""
    prefer: tuple[str, ...] = ()
    """Resources tried first in their pools (a booking being moved keeps its staff)."""
    unlimited: bool = False
    """An admin's override: the service's minimum notice and booking window do not apply
    (the start must still be in the future and at most :data:`OVERRIDE_DAYS` ahead)."""


@dataclass(frozen=True, slots=True)
class Placed:
    """An appointment the engine found room for, on these resources."""

    service: Service
    """The engine's service as adapted to the request (seats, pools)."""
    start: datetime
    resources: tuple[str, ...]

    @property
    def seats(self) -> int:
        return self.service.seats

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.service.duration_min)

    @property
    def occupied(self) -> tuple[datetime, datetime]:
        return window(self.service, self.start)

    def busy(self, ref: str) -> list[Busy]:
        lo, hi = self.occupied
        return [Busy(r, lo, hi, self.seats, ref, self.start, self.end) for r in self.resources]


@dataclass(frozen=True, slots=True)
class View:
    """What was looked at: the rules, and a snapshot whose busy time covers ``[lo, hi)``
    (bookings and others' holds; ``holds`` are the latter alone)."""

    rules: Rules
    snapshot: Snapshot
    holds: tuple[Busy, ...]
    lo: datetime
    hi: datetime


@dataclass(frozen=True, slots=True)
class Failure:
    """A wished start that cannot be booked, with what the engine saw."""

    want: Want
    explanation: Explanation | None
    """``None`` when the local wall time does not exist that day."""
    snapshot: Snapshot
    """The snapshot it was judged on (bookings, holds and earlier occurrences)."""


def window(service: Service, start: datetime) -> tuple[datetime, datetime]:
    """The occupied window: the appointment with its buffers."""
    return (
        start - timedelta(minutes=service.buffer_before_min),
        start + timedelta(minutes=service.duration_min + service.buffer_after_min),
    )


OVERRIDE_DAYS = 730
"""How far ahead an admin's override may place a booking, whatever the service's window."""


def adapt(service: Service, want: Want) -> Service:
    """The service as the engine must read it for this request."""
    if want.unlimited:
        service = replace(
            service,
            min_notice_min=0,
            max_advance_days=max(service.max_advance_days, OVERRIDE_DAYS),
        )
    seats = service.seats if want.seats is None else want.seats
    requires = service.requires
    if want.fixed is not None:
        requires = tuple((resource,) for resource in want.fixed)
    elif want.prefer:
        rank = {resource: i for i, resource in enumerate(want.prefer)}
        requires = tuple(
            tuple(sorted(pool, key=lambda r: rank.get(r, len(rank)))) for pool in requires
        )
    return replace(service, seats=seats, requires=requires)


def with_service(snapshot: Snapshot, service: Service, busy: Sequence[Busy] = ()) -> Snapshot:
    return replace(
        snapshot,
        services={**snapshot.services, service.id: service},
        busy=snapshot.busy + tuple(busy),
    )


def explain_want(snapshot: Snapshot, want: Want, now: datetime) -> Explanation:
    provider = None if want.fixed is not None else want.provider
    return explain(snapshot, want.service_id, want.start, now, provider)


def peak(busy: Sequence[Busy], resource: str, lo: datetime, hi: datetime) -> int:
    """The most seats of ``resource`` in use at an instant of ``[lo, hi)``."""
    items = [
        (math.floor(b.start.timestamp()), math.ceil(b.end.timestamp()), b.seats)
        for b in busy
        if b.resource_id == resource
    ]
    return Occupancy(items).peak(math.floor(lo.timestamp()), math.ceil(hi.timestamp()))


_PHRASES = {
    "service_inactive": "the service is not bookable",
    "off_grid": "it is not one of the service's start times",
    "too_soon": "it is sooner than the service's minimum notice",
    "too_far": "it is further ahead than the service can be booked",
    "resource_inactive": "{name} is not available",
    "too_many_seats": "{name} has fewer seats than asked for",
    "closed": "{name} is not open then",
    "blocked": "{name} is blocked then",
    "busy": "{name} is taken then",
    "full": "{name} is full then",
    "no_distinct_choice": "no combination of different resources is free",
}


def _when(start: datetime) -> str:
    return start.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe(start: datetime, explanation: Explanation) -> str:
    """The engine's reasons as one sentence for a log or an admin."""
    phrases: list[str] = []
    for reason in explanation.reasons:
        phrase = _PHRASES[reason.code].format(name=reason.resource_name or reason.resource)
        if phrase not in phrases:
            phrases.append(phrase)
    return f"{_when(start)} is not a slot: " + "; ".join(phrases)


def taken(start: datetime) -> str:
    return f"{_when(start)} has just been taken"
