"""The bookings a page of the admin panel lists, in one read: each with its resources and
its customer's contact details.

The calendar's week shows a couple of thousand bookings. Read through the ORM that was
three queries, two of them with every booking's id in an ``IN`` list, and most of the
time went to building those lists and parsing the instants, not to the database. Here
it is one statement (:mod:`core.rawsql`): the bookings chosen in an inner query (the
filters, the order, the limit), joined to their service, customer and occupancy rows,
one row per booking and resource. The filters mean what the ORM's did, down to the
case-insensitive ``LIKE`` of a customer search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.filters import escape_like

from core import models as m
from core.bookings.types import BookingInfo
from core.businessfile import MAX_WINDOW_MIN
from core.customers import CustomerInput, customer_of
from core.rawsql import fetch, instant

__all__ = ["BookingLine", "Grid", "read_grid"]


@dataclass(frozen=True, slots=True)
class BookingLine:
    booking: BookingInfo
    customer: CustomerInput | None


@dataclass(frozen=True, slots=True)
class Grid:
    """Which bookings: those overlapping ``[start, end)`` (either end open), of the
    ``service``, in the ``status``, made through the ``channel``, occupying the
    ``resource`` (any occupancy row, as the booking lists it), whose customer's name or
    e-mail holds ``customer`` (any case) or whose phone holds its digits, the one with
    id ``booking``; in time order, at most ``limit``."""

    start: datetime | None = None
    end: datetime | None = None
    resource: str | None = None
    service: str | None = None
    status: str | None = None
    channel: str | None = None
    customer: str | None = None
    booking: int | None = None
    limit: int = 500


_COLUMNS = (
    'b."id", b."manage_token", s."slug", b."start", b."end", b."status", b."seats", '
    'b."source_channel", b."reschedule_count", b."series_id", b."customer_id", '
    'c."name", c."phone", c."email", c."locale", c."timezone", r."slug"'
)


_BOOKING_COLUMNS = ", ".join(
    f'b0."{name}"'
    for name in (
        "id",
        "manage_token",
        "service_id",
        "start",
        "end",
        "status",
        "seats",
        "source_channel",
        "reschedule_count",
        "series_id",
        "customer_id",
    )
)
MAX_LENGTH = timedelta(minutes=MAX_WINDOW_MIN)
"""The longest a booking occupies (:data:`core.businessfile.MAX_WINDOW_MIN`)."""


def _where(grid: Grid) -> tuple[str, list[Any]]:
    """The inner query's conditions and their parameters."""
    found: list[str] = []
    params: list[Any] = []
    if grid.booking is not None:
        found.append('b0."id" = ?')
        params.append(grid.booking)
    if grid.channel:
        found.append('b0."source_channel" = ?')
        params.append(grid.channel)
    if grid.customer and grid.customer.strip():
        text = grid.customer.strip()
        digits = "".join(ch for ch in text if ch.isdigit())
        like = [
            "UPPER(CAST(c0.\"name\" AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'",
            "UPPER(CAST(c0.\"email_key\" AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'",
        ]
        params += [f"%{escape_like(text)}%", f"%{escape_like(text.lower())}%"]
        if len(digits) >= 3:
            like.append("CAST(c0.\"phone\" AS VARCHAR) LIKE ? ESCAPE '\\'")
            params.append(f"%{escape_like(digits)}%")
        found.append("(" + " OR ".join(like) + ")")
    if grid.start is not None:
        # The second bound follows from the first (a booking lasts at most a day, buffers
        # included: the business file's rule) and lets the (business, start) index answer.
        found.append('b0."end" > ? AND b0."start" > ?')
        params += [grid.start, grid.start - MAX_LENGTH]
        found.append('b0."business_id" = (SELECT MIN("id") FROM "business")')
    if grid.end is not None:
        found.append('b0."start" < ?')
        params.append(grid.end)
    if grid.status:
        found.append('b0."status" = ?')
        params.append(grid.status)
    if grid.service:
        found.append('b0."service_id" IN (SELECT "id" FROM "service" WHERE "slug" = ?)')
        params.append(grid.service)
    if grid.resource:
        found.append(
            'b0."id" IN (SELECT o."booking_id" FROM "booking_resource" o '
            'JOIN "resource" ro ON ro."id" = o."resource_id" WHERE ro."slug" = ?)'
        )
        params.append(grid.resource)
    return (" WHERE " + " AND ".join(found)) if found else "", params


async def read_grid(grid: Grid) -> list[BookingLine]:
    """The bookings ``grid`` chooses, with their resources (in pool order) and customers."""
    where, params = _where(grid)
    customer_join = (
        ' LEFT JOIN "customer" c0 ON c0."id" = b0."customer_id"' if grid.customer else ""
    )
    # The chosen bookings' own columns come from the inner query: joining the booking
    # table again made PostgreSQL read all of it.
    sql = (
        f'SELECT {_COLUMNS} FROM (SELECT {_BOOKING_COLUMNS} FROM "booking" b0{customer_join}'
        f'{where} ORDER BY b0."start", b0."id" LIMIT ?) b '
        'JOIN "service" s ON s."id" = b."service_id" '
        'LEFT JOIN "customer" c ON c."id" = b."customer_id" '
        'LEFT JOIN "booking_resource" br ON br."booking_id" = b."id" '
        'LEFT JOIN "resource" r ON r."id" = br."resource_id" '
        'ORDER BY b."start", b."id", br."position", br."id"'
    )
    rows = await fetch(sql, [*params, grid.limit])
    instants: dict[Any, datetime] = {}  # bookings share their times: each read once

    def moment(read: Any) -> datetime:
        found = instants.get(read)
        if found is None:
            found = instants[read] = instant(read)
        return found

    lines: list[BookingLine] = []
    current: list[Any] | None = None
    resources: list[str] = []
    for row in rows:
        if current is None or row[0] != current[0]:
            if current is not None:
                lines.append(_line(current, resources, moment))
            current, resources = list(row), []
        if row[16] is not None:
            resources.append(row[16])
    if current is not None:
        lines.append(_line(current, resources, moment))
    return lines


def _line(row: list[Any], resources: list[str], moment: Callable[[Any], datetime]) -> BookingLine:
    (booking_id, token, service, start, end, status, seats, channel, moves, series) = row[:10]
    customer_id, name = row[10], row[11]
    info = BookingInfo(
        id=booking_id,
        manage_token=token,
        service_id=service,
        start=moment(start),
        end=moment(end),
        status=m.BookingStatus(status).value,
        resources=tuple(resources),
        seats=seats,
        customer_name=name,
        source_channel=channel,
        reschedule_count=moves,
        series_id=series,
    )
    return BookingLine(info, None if customer_id is None else customer_of(row[11:16]))
