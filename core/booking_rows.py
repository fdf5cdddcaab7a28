"""The one writer of booking, occupancy and history rows, and the plain multi-row insert.

New bookings come from three places: a business file (tens of thousands at once,
:func:`core.store.write_bookings`), the booking service on SQLite, and the booking
service on PostgreSQL, where one request's rows go in one statement
(:mod:`core.bookings.rows`). A new booking is one plain value, :class:`NewBooking`;
each table's row is built from it by one function here, in the column order of
one tuple, whichever caller writes it. :func:`write_new_bookings` writes them as
multi-row inserts; the PostgreSQL statement puts the same rows in its ``VALUES``.

Rows, not Tortoise model objects: building three model objects per booking cost
more Python time than the database spent on the whole commit. Values are encoded
as the models would encode them (instants in UTC; JSON columns take text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from core import models as m

__all__ = [
    "BOOKING_COLUMNS",
    "CONFIRMED",
    "HISTORY_COLUMNS",
    "OCCUPANCY_COLUMNS",
    "NewBooking",
    "Occupied",
    "booking_row",
    "history_row",
    "insert_rows",
    "occupancy_rows",
    "sqlite_text",
    "to_json",
    "write_new_bookings",
]

CONFIRMED = m.BookingStatus.CONFIRMED.value

BOOKING_COLUMNS = (
    "business_id",
    "service_id",
    "customer_id",
    "start",
    "end",
    "status",
    "source_channel",
    "manage_token",
    "seats",
    "idempotency_key",
    "idempotency_fingerprint",
    "reschedule_count",
    "series_id",
    "created_at",
    "updated_at",
)
OCCUPANCY_COLUMNS = (
    "booking_id",
    "resource_id",
    "position",
    "occupied_start",
    "occupied_end",
    "appointment_start",
    "appointment_end",
    "seats",
    "active",
    "exclusive",
)
HISTORY_COLUMNS = ("booking_id", "at", "actor", "channel", "action", "data")


@dataclass(frozen=True, slots=True)
class Occupied:
    """What a booking occupies of one resource (its position is its place in the tuple)."""

    resource_id: int
    start: datetime
    """Buffers included."""
    end: datetime
    exclusive: bool
    """Capacity one: what PostgreSQL's exclusion constraint checks."""


@dataclass(frozen=True, slots=True)
class NewBooking:
    """A confirmed booking to write, with its occupancy and its first history row."""

    business_id: int
    service_id: int
    customer_id: int | None
    start: datetime
    end: datetime
    seats: int
    channel: str
    """Where it was made (``source_channel``)."""
    token: str
    occupies: tuple[Occupied, ...]
    actor: str
    action: str
    """The history row's: ``booked``, ``imported``."""
    data: dict[str, Any] = field(default_factory=dict)
    """The history row's."""
    history_channel: str | None = None
    """The history row's channel when not ``channel`` (an actor of another channel)."""
    key: str | None = None
    fingerprint: str | None = None
    series_id: int | None = None


def booking_row(b: NewBooking, created: datetime) -> list[Any]:
    """In the order of :data:`BOOKING_COLUMNS`."""
    return [
        b.business_id,
        b.service_id,
        b.customer_id,
        b.start,
        b.end,
        CONFIRMED,
        b.channel,
        b.token,
        b.seats,
        b.key,
        b.fingerprint,
        0,
        b.series_id,
        created,
        created,
    ]


def occupancy_rows(booking_id: Any, b: NewBooking) -> list[list[Any]]:
    """In the order of :data:`OCCUPANCY_COLUMNS`, one per resource."""
    return [
        [booking_id, o.resource_id, k, o.start, o.end, b.start, b.end, b.seats, True, o.exclusive]
        for k, o in enumerate(b.occupies)
    ]


def history_row(booking_id: Any, b: NewBooking, at: datetime) -> list[Any]:
    """In the order of :data:`HISTORY_COLUMNS`."""
    channel = b.channel if b.history_channel is None else b.history_channel
    return [booking_id, at, b.actor, channel, b.action, to_json(b.data)]


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


async def write_new_bookings(
    conn: BaseDBAsyncClient, bookings: Sequence[NewBooking], created: datetime
) -> list[int]:
    """The bookings, their occupancy and history rows, as multi-row inserts: a round trip
    per few hundred rows. Their ids, in order."""
    if not bookings:
        return []
    ids: dict[str, int] = {
        token: booking_id
        for booking_id, token in await insert_rows(
            conn,
            "booking",
            BOOKING_COLUMNS,
            [booking_row(b, created) for b in bookings],
            returning=("id", "manage_token"),
        )
    }
    made = [ids[b.token] for b in bookings]
    await insert_rows(
        conn,
        "booking_resource",
        OCCUPANCY_COLUMNS,
        [row for i, b in zip(made, bookings, strict=True) for row in occupancy_rows(i, b)],
    )
    await insert_rows(
        conn,
        "booking_history",
        HISTORY_COLUMNS,
        [history_row(i, b, created) for i, b in zip(made, bookings, strict=True)],
    )
    return made


_ROWS_PER_INSERT = 500


async def insert_rows(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
) -> list[Sequence[Any]]:
    """``INSERT ... VALUES (...), (...)`` in chunks: one round trip per few hundred rows.

    Values are written as the models would write them (instants in UTC, see
    :func:`sqlite_text`; JSON columns take text). With ``returning``, those columns
    of the new rows, in no promised order.
    """
    postgres = conn.capabilities.dialect == "postgres"
    names = ", ".join(f'"{c}"' for c in columns)
    back = f" RETURNING {', '.join(chr(34) + c + chr(34) for c in returning)}" if returning else ""
    width = len(columns)
    found: list[Sequence[Any]] = []
    for first in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[first : first + _ROWS_PER_INSERT]
        if postgres:
            groups = (
                "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")"
                for i in range(len(chunk))
            )
        else:
            one = "(" + ", ".join("?" * width) + ")"
            groups = (one for _ in chunk)
        values = [v for row in chunk for v in _db_values(row, postgres)]
        sql = f'INSERT INTO "{table}" ({names}) VALUES {", ".join(groups)}{back}'
        if returning:
            # execute_query drops what an INSERT returns on PostgreSQL; this one fetches.
            result = await conn.execute_query_dict(sql, values)
            found.extend([row[c] for c in returning] for row in result)
        else:
            await conn.execute_query(sql, values)
    return found


def _db_values(row: Sequence[Any], postgres: bool) -> list[Any]:
    """What :class:`core.models.UTCDatetimeField` would write for each value."""
    if postgres:
        return list(row)
    return [sqlite_text(v) if isinstance(v, datetime) else v for v in row]


def sqlite_text(instant: datetime) -> str:
    """An instant as SQLite holds it (see ``core.models.UTCDatetimeField``)."""
    return instant.astimezone(UTC).isoformat(" ")
