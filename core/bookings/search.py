"""Finding bookings for people who manage them (the admin panel's list, later its CSV):
by time window, resource, service and status, with the customer's contact details.

The caller decides what a person may see: a staff member's list is this search
with their resource fixed (see ``admin/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery

from core import models as m
from core.bookings.rows import customers_of, infos
from core.bookings.types import BookingInfo
from core.customers import CustomerInput
from core.errors import InvalidRequest

__all__ = ["STATUSES", "BookingLine", "find_bookings"]

STATUSES = tuple(s.value for s in m.BookingStatus)


@dataclass(frozen=True, slots=True)
class BookingLine:
    booking: BookingInfo
    customer: CustomerInput | None


async def find_bookings(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    resource: str | None = None,
    service: str | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[BookingLine]:
    """Bookings whose appointment overlaps ``[start, end)`` (either end open), in time
    order, at most ``limit``; ``resource`` keeps those that occupy it."""
    query = m.Booking.all()
    if start is not None:
        query = query.filter(end__gt=start)
    if end is not None:
        query = query.filter(start__lt=end)
    if status:
        if status not in STATUSES:
            raise InvalidRequest(
                f"{status!r} is not a status; use one of {', '.join(STATUSES)}", field="status"
            )
        query = query.filter(status=status)
    if service:
        query = query.filter(service__slug=service)
    if resource:
        query = query.filter(
            id__in=Subquery(m.BookingResource.filter(resource__slug=resource).values("booking_id"))
        )
    bookings = await infos(query.order_by("start", "id").limit(limit))
    customers = await customers_of(bookings)
    return [BookingLine(b, customers.get(b.id)) for b in bookings]
