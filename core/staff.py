"""Staff as chat platforms know them: who a Slack user is, and what is on their calendar.

The door the staff side of a channel goes through (channels do not read the
database): :func:`staff_of_slack_user` finds the resource a person is (the
business file's ``resources[].slack_user``), and :func:`bookings_on` lists the
confirmed bookings that occupy a resource within a window, as
:class:`~core.bookings.BookingInfo` (their manage tokens are what the booking
service's changes take).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery

from core import models as m
from core.bookings import BookingInfo
from core.bookings.rows import infos

__all__ = ["StaffMember", "bookings_on", "staff_member", "staff_of_slack_user", "summary_time"]


@dataclass(frozen=True, slots=True)
class StaffMember:
    resource: str
    """The resource id (slug) in the business file."""
    name: str
    slack_user: str | None


async def staff_of_slack_user(user: str) -> StaffMember | None:
    """The active resource whose ``slack_user`` is ``user``; ``None`` for anyone else."""
    row = (
        await m.Resource.filter(slack_user=user, active=True)
        .first()
        .values_list("slug", "name", "slack_user")
    )
    return StaffMember(*row) if row else None


async def staff_member(resource: str) -> StaffMember | None:
    """The active resource ``resource`` (an admin names whose time to block)."""
    row = (
        await m.Resource.filter(slug=resource, active=True)
        .first()
        .values_list("slug", "name", "slack_user")
    )
    return StaffMember(*row) if row else None


async def summary_time(resource: str) -> int | None:
    """When ``resource`` gets its morning summary (minutes after its local midnight), or
    ``None`` when it asked for none (:mod:`core.notify.summary`)."""
    found = await m.Resource.filter(slug=resource).first().values_list("summary_at_min", flat=True)
    return int(found) if isinstance(found, int) else None


async def bookings_on(resource: str, start: datetime, end: datetime) -> list[BookingInfo]:
    """Confirmed bookings whose appointment on ``resource`` overlaps ``[start, end)``, in
    time order. Buffers are left out: a block over a buffer does not hit the customer."""
    return await infos(
        m.Booking.filter(
            status=m.BookingStatus.CONFIRMED,
            id__in=Subquery(
                m.BookingResource.filter(
                    resource__slug=resource,
                    active=True,
                    appointment_start__lt=end,
                    appointment_end__gt=start,
                ).values("booking_id")
            ),
        )
    )
