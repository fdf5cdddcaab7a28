"""Reading bookings back: by manage token, and the series one belongs to."""

from __future__ import annotations

from datetime import datetime

from core import models as m
from core.bookings.rows import CONFIRMED, infos
from core.bookings.types import BookingInfo, SeriesInfo
from core.errors import InvalidRequest, NotFound
from core.text import first_control

__all__ = ["by_token", "future_of_series", "series_info", "series_of"]

_TOKEN_LENGTH = 64
"""What ``booking.manage_token`` and ``waitlist_entry.token`` hold."""


async def by_token(manage_token: str) -> BookingInfo:
    """The booking with this manage token; :class:`NotFound` when there is none."""
    # A token that cannot be one of ours (the column holds 64) is simply not found.
    found = (
        await infos(m.Booking.filter(manage_token=manage_token))
        if isinstance(manage_token, str)
        and 0 < len(manage_token) <= _TOKEN_LENGTH
        and first_control(manage_token) is None
        else []
    )
    if not found:
        raise NotFound("no booking with this token", field="manage_token")
    return found[0]


async def series_info(bookings: list[BookingInfo]) -> SeriesInfo:
    series_id = bookings[0].series_id
    if series_id is None:
        raise NotFound("this booking is not part of a series", field="idempotency_key")
    row = await m.BookingSeries.get(id=series_id)
    return SeriesInfo(
        id=series_id,
        service_id=bookings[0].service_id,
        frequency=row.frequency,
        interval_days=row.interval_days,
        count=row.count,
        bookings=tuple(sorted(bookings, key=lambda i: (i.start, i.id))),
    )


async def series_of(info: BookingInfo) -> SeriesInfo:
    """The series ``info`` belongs to; :class:`NotFound` if none."""
    if info.series_id is None:
        raise NotFound("this booking is not part of a series", field="manage_token")
    return await series_info(await infos(m.Booking.filter(series_id=info.series_id)))


async def future_of_series(info: BookingInfo, now: datetime) -> list[BookingInfo]:
    """The confirmed bookings of ``info``'s series that start after ``now``."""
    if info.series_id is None:
        raise InvalidRequest("this booking is not part of a series", field="manage_token")
    return [
        i
        for i in await infos(m.Booking.filter(series_id=info.series_id))
        if i.status == CONFIRMED and i.start > now
    ]
