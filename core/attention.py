"""What needs a person's attention: the admin panel's Today page reads it here.

- messages the worker gave up on (``dead`` in the outbox: a reminder or a notice that
  never reached anyone);
- upcoming bookings the rules in force would refuse (a rule edit keeps them and lists
  them once; they stay listed here until someone moves or cancels them);
- upcoming bookings an event in the staff member's own calendar lands on (the
  ``staff_calendar_conflict`` notices of :mod:`core.calendars`), while the booking is
  still confirmed.

Reads only. A staff member's view is the same questions with their resource fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from core import models as m
from core.importing import Misfit, misfits
from core.outbox import DeadMessage, MessageKind, dead_messages

__all__ = [
    "CalendarConflict",
    "DeadMessage",
    "Misfit",
    "calendar_conflicts",
    "dead_messages",
    "misfits",
]


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
