"""Finding bookings for people who manage them (the admin panel's list and its CSV):
by time window, resource, service, status, channel and customer (a part of the name,
phone or e-mail), or one by its id, with the customer's contact details.

The caller decides what a person may see: a staff member's list is this search
with their resource fixed (see ``admin/``). One read (:mod:`core.bookings.grid`).
"""

from __future__ import annotations

from datetime import datetime

from core import models as m
from core.bookings.grid import BookingLine, Grid, read_grid
from core.errors import InvalidRequest

__all__ = ["STATUSES", "BookingLine", "find_bookings"]

STATUSES = tuple(s.value for s in m.BookingStatus)


async def find_bookings(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    resource: str | None = None,
    service: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    customer: str | None = None,
    booking: int | None = None,
    limit: int = 500,
) -> list[BookingLine]:
    """Bookings whose appointment overlaps ``[start, end)`` (either end open), in time
    order, at most ``limit``; ``resource`` keeps those that occupy it, ``channel`` those
    made through it, ``customer`` those whose customer's name or e-mail holds the text
    (any case) or whose phone holds its digits, ``booking`` the one with that id."""
    if status and status not in STATUSES:
        raise InvalidRequest(
            f"{status!r} is not a status; use one of {', '.join(STATUSES)}", field="status"
        )
    return await read_grid(
        Grid(
            start=start,
            end=end,
            resource=resource or None,
            service=service or None,
            status=status or None,
            channel=channel or None,
            customer=customer.strip() if customer and customer.strip() else None,
            booking=booking,
            limit=limit,
        )
    )
