"""Finding bookings for people who manage them (the admin panel's list and its CSV):
by time window, resource, service, status, channel and customer (a part of the name,
phone or e-mail), or one by its id, with the customer's contact details.

The caller decides what a person may see: a staff member's list is this search
with their resource fixed (see ``admin/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery

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
    channel: str | None = None,
    customer: str | None = None,
    booking: int | None = None,
    limit: int = 500,
) -> list[BookingLine]:
    """Bookings whose appointment overlaps ``[start, end)`` (either end open), in time
    order, at most ``limit``; ``resource`` keeps those that occupy it, ``channel`` those
    made through it, ``customer`` those whose customer's name or e-mail holds the text
    (any case) or whose phone holds its digits, ``booking`` the one with that id."""
    query = m.Booking.all()
    if booking is not None:
        query = query.filter(id=booking)
    if channel:
        query = query.filter(source_channel=channel)
    if customer and customer.strip():
        query = query.filter(_customer_matches(customer.strip()))
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


def _customer_matches(text: str) -> Q:
    digits = "".join(ch for ch in text if ch.isdigit())
    found = Q(customer__name__icontains=text) | Q(customer__email_key__icontains=text.lower())
    if len(digits) >= 3:
        found |= Q(customer__phone__contains=digits)
    return found
