"""What the engine knows: the rules of a business and the busy time that matters.

A :class:`Snapshot` is plain, immutable data. The business file parser builds
one from YAML, the database layer builds one from a few queries, and tests
build them by hand; the engine never asks anybody for more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

ResourceKind = Literal["staff", "room", "equipment"]
RESOURCE_KINDS: tuple[ResourceKind, ...] = ("staff", "room", "equipment")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

DayHours = tuple[tuple[int, int], ...]
"""Open stretches of one local day as minutes after midnight, half-open, ``0..1440``."""


@dataclass(frozen=True, slots=True)
class Block:
    """Time a resource cannot be booked, in its local wall time.

    ``start``/``end`` are naive wall-clock datetimes. With an ``rrule`` (RFC 5545,
    ``start`` as DTSTART) every occurrence lasts ``end - start`` of wall time.
    """

    start: datetime
    end: datetime
    rrule: str | None = None
    reason: str = ""


AWAY_REF = "an event in their own calendar"
"""What an explanation names as the cause of :class:`Away` time (no title is kept)."""


class Away:
    """Instants a resource is busy elsewhere (a staff member's own calendar), as sorted,
    disjoint ``(start, end)`` seconds since the epoch.

    Unlike a :class:`Busy` item it takes the resource whole, whatever its capacity, so
    the engine subtracts it from the resource's open time, and that open time is
    remembered per version of the rules (:func:`core.engine.calendar.open_instants`).
    Thousands of spans would make a poor cache key to hash at every query, so the hash
    is computed once, when whoever reads them builds the value (the store keeps one per
    version of the calendar's busy time); equality still compares the spans.
    """

    __slots__ = ("_hash", "spans")

    def __init__(self, spans: tuple[tuple[int, int], ...]) -> None:
        self.spans = spans
        self._hash = hash(spans)

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, Away) and self._hash == other._hash and self.spans == other.spans
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Away({len(self.spans)} spans)"


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    name: str
    kind: ResourceKind = "staff"
    capacity: int = 1
    timezone: str | None = None
    """IANA zone of the resource's hours and blocks; ``None`` means the business's."""
    weekly_hours: Mapping[int, DayHours] = field(default_factory=dict)
    """Weekday (0 = Monday) to its open stretches; a missing day is closed."""
    date_overrides: Mapping[date, DayHours] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()
    active: bool = True
    away: Away | None = None
    """Busy time from the resource's own calendar, when one is connected."""


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    name: str
    duration_min: int
    requires: tuple[tuple[str, ...], ...]
    """Pools of resources: a booking takes one distinct resource from each."""
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    slot_step_min: int | None = None
    """Spacing of candidate starts on the local grid; ``None`` means the duration."""
    min_notice_min: int = 0
    max_advance_days: int = 60
    seats: int = 1
    active: bool = True

    @property
    def step_min(self) -> int:
        return self.slot_step_min or self.duration_min


@dataclass(frozen=True, slots=True)
class Busy:
    """Seats of a resource taken over ``[start, end)`` (aware datetimes, buffers included).

    ``ref`` names what takes them (``"booking 42"``, ``"hold"``) so that an
    explanation can point at it; ``appointment_start``/``appointment_end`` are the
    appointment itself without buffers, when known.
    """

    resource_id: str
    start: datetime
    end: datetime
    seats: int = 1
    ref: str | None = None
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    seconds: tuple[int, int] | None = field(default=None, compare=False, repr=False)
    """``start`` and ``end`` as seconds since the epoch (floor, ceiling), when whoever made
    the item already had them (the store computes them in its query): the slot search
    works in seconds, and converting tens of thousands of datetimes was a good part
    of its time. ``None``: computed from ``start`` and ``end`` when needed."""


Taken = tuple[int, int, int]
"""Seats of a resource taken over ``[start, end)``, as plain integers: ``(start, end,
seats)``, the instants in seconds since the epoch (start floored, end ceiled)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    timezone: str
    resources: Mapping[str, Resource]
    services: Mapping[str, Service]
    busy: tuple[Busy, ...] = ()
    locale: str = "en"
    """The business's language, for whoever presents the answers."""
    taken: Mapping[str, Sequence[Taken]] = field(default_factory=dict)
    """More busy time, by resource id, as bare integers: what a slot search needs of the
    bookings and nothing more. A :class:`Busy` per booking (its datetimes decoded by the
    driver, then converted back to seconds here) was half the CPU of a 14-day slot
    query with thousands of bookings. Counted exactly like ``busy``; an explanation
    names what takes time only from ``busy`` (these items have no ``ref``)."""


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    resources: tuple[str, ...]
    """One valid choice: a resource from each of the service's pools, in pool order."""
    seats_free: int
    """The fewest seats free on the chosen resources during the window, before this booking."""
