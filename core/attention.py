"""What needs a person's attention: the admin panel's Today page reads it here.

- messages the worker gave up on (``dead`` in the outbox: a reminder or a notice that
  never reached anyone);
- upcoming bookings the rules in force would refuse (a rule edit keeps them and lists
  them once; they stay listed here until someone moves or cancels them): outside their
  resource's hours, in one of its blocks, on a resource or of a service switched off.
  Read from the occupancy rows the slot search reads (one raw query of four columns),
  each checked against the resource's hours and open time as the engine remembers them
  per version of the rules, so a busy business's next weeks are checked quickly; a
  booking left outside a service's pools by an edit is listed by that edit
  (:attr:`core.rules.RuleEdit.misfits`), not here;
- upcoming bookings an event in the staff member's own calendar lands on (the
  ``staff_calendar_conflict`` notices of :mod:`core.calendars`), while the booking is
  still confirmed.

Reads only. A staff member's view is the same questions with their resource fixed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from core import models as m
from core.engine import Intervals
from core.engine.calendar import hours_instants, open_instants
from core.outbox import DeadMessage, MessageKind, dead_messages
from core.rawsql import fetch, instant, is_postgres
from core.store import Rules, load_rules

__all__ = [
    "CalendarConflict",
    "DeadMessage",
    "Unfit",
    "UnfitReason",
    "calendar_conflicts",
    "dead_messages",
    "unfit_bookings",
]

UnfitReason = Literal["closed", "blocked", "resource_off", "service_off"]


@dataclass(frozen=True, slots=True)
class Unfit:
    """An upcoming confirmed booking the rules in force would refuse, and why: each
    reason with what it is about (a resource id, or for ``service_off`` the service id)."""

    booking_id: int
    service: str
    start: datetime
    reasons: tuple[tuple[UnfitReason, str], ...]


async def unfit_bookings(
    now: datetime,
    until: datetime,
    *,
    resource: str | None = None,
    limit: int = 100,
    rules: Rules | None = None,
) -> list[Unfit]:
    """Confirmed bookings occupying time in ``[now, until)`` that the rules in force would
    refuse (in time order, at most ``limit``); with ``resource``, those on it. Three
    queries (a fourth when a service is switched off), another for the ones found;
    ``rules`` (those :func:`core.store.load_rules` gives for ``resource``) saves the first
    to a page that has read them already."""
    if rules is None:
        rules = await load_rules(resources=None if resource is None else [resource])
    snapshot = rules.snapshot
    slugs = {rid: slug for slug, rid in rules.resource_ids.items()}
    occupied = await _occupancy(list(slugs), now, until)
    found: dict[int, list[tuple[UnfitReason, str]]] = {}
    spans: dict[int, tuple[int, int]] = {}
    for rid, _, a, b in occupied:
        known = spans.get(rid)
        spans[rid] = (a, b) if known is None else (min(known[0], a), max(known[1], b))
    times: dict[int, tuple[Intervals, Intervals]] = {}
    for rid, (a, b) in spans.items():
        res = snapshot.resources.get(slugs[rid])
        if res is not None and res.active:
            # Whole UTC days: the engine remembers hours and open time per rules and
            # window, and a window that moved with the clock would never be found again.
            lo, hi = a - a % DAY, b + (-b % DAY)
            zone = snapshot.timezone
            times[rid] = (hours_instants(res, zone, lo, hi), open_instants(res, zone, lo, hi))
    for rid, booking_id, a, b in occupied:
        reason: UnfitReason
        known_times = times.get(rid)
        if known_times is None:
            reason = "resource_off"
        elif known_times[1].contains(a, b):
            continue
        elif not known_times[0].contains(a, b):
            reason = "closed"
        else:
            reason = "blocked"
        found.setdefault(booking_id, []).append((reason, slugs[rid]))
    if any(not service.active for service in snapshot.services.values()):
        # (The rules hold every service, switched off or not: with none off, no query.)
        switched_off = m.Booking.filter(
            status=m.BookingStatus.CONFIRMED, end__gt=now, start__lt=until, service__active=False
        )
        if resource is not None:
            switched_off = switched_off.filter(occupancy__resource__slug=resource)
        for booking_id, service in await switched_off.values_list("id", "service__slug"):
            found.setdefault(booking_id, []).insert(0, ("service_off", service))
    if not found:
        return []
    rows = await (
        m.Booking.filter(id__in=list(found), status=m.BookingStatus.CONFIRMED, end__gt=now)
        .order_by("start", "id")
        .limit(limit)
        .values_list("id", "service__slug", "start")
    )
    return [
        Unfit(booking_id, service, start.astimezone(UTC), tuple(dict.fromkeys(found[booking_id])))
        for booking_id, service, start in rows
    ]


DAY = 86_400

_OCCUPANCY = (
    'SELECT "resource_id", "booking_id", {start}, {end} FROM "booking_resource" '
    'WHERE "active" AND "occupied_end" > ? AND "occupied_start" < ? AND "resource_id" IN ({ids})'
)
_PG_SECONDS = {
    "start": 'FLOOR(EXTRACT(EPOCH FROM "occupied_start"))::bigint',
    "end": 'CEIL(EXTRACT(EPOCH FROM "occupied_end"))::bigint',
}
"""PostgreSQL's answer in whole seconds: integers cost less to send and to read than
instants (two fifths of the query's time at a month of a busy business)."""


async def _occupancy(
    resource_ids: list[int], now: datetime, until: datetime
) -> list[tuple[int, int, int, int]]:
    """``(resource id, booking id, start, end)`` of what confirmed bookings occupy of these
    resources over ``[now, until)``, in whole seconds (the window widened to them, as the
    slot search reads it). Four columns, not the slot search's :class:`Busy`: the next
    month of a busy business is thousands of rows, and building those was most of the
    time Today took."""
    if not resource_ids:
        return []
    ids = ", ".join("?" * len(resource_ids))
    if is_postgres():
        sql = _OCCUPANCY.format(ids=ids, **_PG_SECONDS)
        rows = await fetch(sql, [now, until, *resource_ids])
        return [(rid, booking_id, a, b) for rid, booking_id, a, b in rows]
    sql = _OCCUPANCY.format(ids=ids, start='"occupied_start"', end='"occupied_end"')
    rows = await fetch(sql, [now, until, *resource_ids])
    # SQLite answers in text; bookings share their times, so each text is read once.
    seconds: dict[object, tuple[int, int]] = {}
    found = []
    for rid, booking_id, start, end in rows:
        a = seconds.get(start)
        if a is None:
            moment = instant(start).timestamp()
            a = seconds[start] = (math.floor(moment), math.ceil(moment))
        b = seconds.get(end)
        if b is None:
            moment = instant(end).timestamp()
            b = seconds[end] = (math.floor(moment), math.ceil(moment))
        found.append((rid, booking_id, a[0], b[1]))
    return found


@dataclass(frozen=True, slots=True)
class CalendarConflict:
    booking_id: int
    service: str
    start: datetime
    end: datetime
    resource: str


async def calendar_conflicts(
    now: datetime, *, resource: str | None = None, limit: int = 100
) -> Sequence[CalendarConflict]:
    """Confirmed bookings that have not ended, with a calendar clash noticed on them (once
    per booking and resource, in time order); with ``resource``, those of its own."""
    query = m.Outbox.filter(
        kind=MessageKind.STAFF_CALENDAR_CONFLICT,
        booking__status=m.BookingStatus.CONFIRMED,
        booking__end__gt=now,
    )
    rows = await query.order_by("booking__start", "id").values_list(
        "booking_id", "booking__service__slug", "booking__start", "booking__end", "payload"
    )
    found: dict[tuple[int, str], CalendarConflict] = {}
    for booking_id, service, start, end, payload in rows:
        for slug in (payload or {}).get("resources", []):
            if resource is not None and slug != resource:
                continue
            found.setdefault(
                (booking_id, slug),
                CalendarConflict(
                    booking_id, service, start.astimezone(UTC), end.astimezone(UTC), slug
                ),
            )
    return list(found.values())[:limit]
