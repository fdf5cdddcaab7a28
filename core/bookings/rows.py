"""Bookings in the database: read as :class:`BookingInfo`, written as plain rows.

A booking is the ``booking`` row, one ``booking_resource`` occupancy row per
resource (carrying what the exclusion constraint and the slot queries need),
its ``booking_history`` rows and its ``outbox`` messages. New bookings are
written as plain rows rather than model objects, which cost more Python time
than the database spent on the whole commit; on PostgreSQL all of them in one
statement (a ``WITH`` of ``INSERT`` steps), because on a small machine the
round trips were the rest of it. SQLite, in process, gets one ``INSERT`` per table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from core import models as m
from core.bookings import outbox
from core.bookings.inputs import Idempotency
from core.bookings.plan import Placed
from core.bookings.recurring import Recurrence
from core.bookings.types import Actor, BookingInfo
from core.customers import (
    CUSTOMER_FIELDS,
    CustomerInput,
    Identity,
    Params,
    cte_steps,
    customer_of,
    tie,
)
from core.errors import IdempotencyKeyReused
from core.store import OCCUPANCY_COLUMNS, Rules, insert_rows

__all__ = [
    "CANCELLED",
    "CONFIRMED",
    "customers_of",
    "infos",
    "insert_bookings",
    "occupancy_values",
    "write_cancellations",
    "write_moves",
]

CONFIRMED = m.BookingStatus.CONFIRMED.value
CANCELLED = m.BookingStatus.CANCELLED.value

_BOOKING_COLUMNS = (
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


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


async def infos(query: QuerySet[m.Booking]) -> list[BookingInfo]:
    """Bookings as :class:`BookingInfo`, in time order: two queries."""
    rows = await query.order_by("start", "id").values(
        "id",
        "manage_token",
        "service__slug",
        "start",
        "end",
        "status",
        "seats",
        "customer__name",
        "source_channel",
        "reschedule_count",
        "series_id",
    )
    if not rows:
        return []
    resources: dict[int, list[str]] = {row["id"]: [] for row in rows}
    for booking_id, slug in (
        await m.BookingResource.filter(booking_id__in=list(resources))
        .order_by("booking_id", "position", "id")
        .values_list("booking_id", "resource__slug")
    ):
        resources[booking_id].append(slug)
    return [
        BookingInfo(
            id=row["id"],
            manage_token=row["manage_token"],
            service_id=row["service__slug"],
            start=row["start"].astimezone(UTC),
            end=row["end"].astimezone(UTC),
            status=m.BookingStatus(row["status"]).value,
            resources=tuple(resources[row["id"]]),
            seats=row["seats"],
            customer_name=row["customer__name"],
            source_channel=row["source_channel"],
            reschedule_count=row["reschedule_count"],
            series_id=row["series_id"],
        )
        for row in rows
    ]


async def replay(key: Idempotency) -> list[BookingInfo]:
    """The booking made earlier with this idempotency key, or its whole series; ``[]``
    when the key is new. :class:`IdempotencyKeyReused` when the earlier request with the
    key asked for something else: its booking (and manage token) is not handed out."""
    earlier = await m.Booking.filter(idempotency_key=key.key).values_list(
        "idempotency_fingerprint", flat=True
    )
    if not earlier:
        return []
    recorded: object = earlier[0]
    if key.fingerprint is not None and recorded != key.fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; "
            "use a new key for a new request",
            field="Idempotency-Key",
        )
    first = await infos(m.Booking.filter(idempotency_key=key.key))
    if not first or first[0].series_id is None:
        return first
    return await infos(m.Booking.filter(series_id=first[0].series_id))


async def customers_of(bookings: Sequence[BookingInfo]) -> dict[int, CustomerInput]:
    """The customer of each booking (by booking id), for the messages of a change."""
    rows = await m.Booking.filter(
        id__in=[b.id for b in bookings], customer_id__isnull=False
    ).values_list("id", *(f"customer__{f}" for f in CUSTOMER_FIELDS))
    return {booking_id: customer_of(fields) for booking_id, *fields in rows}


def occupancy_values(
    booking_id: int, position: int, rules: Rules, placed: Placed, resource: str
) -> list[Any]:
    """One occupancy row, in the order of its columns; ``exclusive`` is capacity one."""
    lo, hi = placed.occupied
    return [
        booking_id,
        rules.resource_ids[resource],
        position,
        lo,
        hi,
        placed.start,
        placed.end,
        placed.seats,
        True,
        rules.snapshot.resources[resource].capacity == 1,
    ]


async def insert_bookings(
    conn: BaseDBAsyncClient,
    rules: Rules,
    placed: Sequence[Placed],
    *,
    customer: CustomerInput,
    identity: Identity | None = None,
    channel: str,
    actor: Actor,
    key: Idempotency | None,
    history: dict[str, Any],
    recurrence: Recurrence | None,
    messages: Callable[[BookingInfo], list[outbox.Message]],
) -> list[BookingInfo]:
    """The customer (found or made, and tied to ``identity``: :mod:`core.customers`), the
    series (if any), the bookings, their occupancy, history and outbox rows (``messages``
    of each booking).

    The idempotency key goes on the first booking, whose unique index is what makes
    a racing duplicate fail rather than book twice. On PostgreSQL everything is one
    statement (data-modifying ``WITH``): the commit's round trips were most of its cost.
    """
    created = datetime.now(UTC)  # audit columns: the real time, whatever the service's clock
    tokens = [m.new_manage_token() for _ in placed]
    drafts = [
        BookingInfo(
            id=0,  # known once written
            manage_token=token,
            service_id=p.service.id,
            start=p.start,
            end=p.end,
            status=CONFIRMED,
            resources=p.resources,
            seats=p.seats,
            customer_name=customer.name,
            source_channel=channel,
            reschedule_count=0,
            series_id=None,
        )
        for p, token in zip(placed, tokens, strict=True)
    ]
    if conn.capabilities.dialect == "postgres":
        return await _insert_in_one(
            conn,
            rules,
            placed,
            drafts,
            created,
            customer=customer,
            identity=identity,
            channel=channel,
            actor=actor,
            key=key,
            history=history,
            recurrence=recurrence,
            messages=messages,
        )
    customer_id = await tie(conn, customer, identity, created)
    series_id: int | None = None
    if recurrence is not None:
        (series_id,), *_ = await insert_rows(
            conn,
            "booking_series",
            _SERIES_COLUMNS,
            [_series_values(rules, placed, customer_id, recurrence, created)],
            returning=("id",),
        )
    ids: dict[str, int] = {
        token: booking_id
        for booking_id, token in await insert_rows(
            conn,
            "booking",
            _BOOKING_COLUMNS,
            [
                [
                    *_booking_values(
                        rules, p, customer_id, channel, token, key if i == 0 else None, series_id
                    ),
                    created,
                    created,
                ]
                for i, (p, token) in enumerate(zip(placed, tokens, strict=True))
            ],
            returning=("id", "manage_token"),
        )
    }
    made = [replace(d, id=ids[d.manage_token], series_id=series_id) for d in drafts]
    await insert_rows(
        conn,
        "booking_resource",
        OCCUPANCY_COLUMNS,
        [
            occupancy_values(info.id, k, rules, p, r)
            for info, p in zip(made, placed, strict=True)
            for k, r in enumerate(p.resources)
        ],
    )
    await insert_rows(
        conn,
        "booking_history",
        _HISTORY_COLUMNS,
        [[info.id, *_history_values(info, actor, created, history)] for info in made],
    )
    await outbox.write(conn, [message for info in made for message in messages(info)])
    return made


_SERIES_COLUMNS = (
    "business_id",
    "service_id",
    "customer_id",
    "frequency",
    "interval_days",
    "count",
    "first_start",
    "created_at",
)
_HISTORY_COLUMNS = ("booking_id", "at", "actor", "channel", "action", "data")


def _series_values(
    rules: Rules,
    placed: Sequence[Placed],
    customer_id: int | None,
    recurrence: Recurrence,
    created: datetime,
) -> list[Any]:
    return [
        rules.business_id,
        rules.service_ids[placed[0].service.id],
        customer_id,
        recurrence.frequency,
        recurrence.interval_days,
        recurrence.count,
        placed[0].start,
        created,
    ]


def _booking_values(
    rules: Rules,
    p: Placed,
    customer_id: int | None,
    channel: str,
    token: str,
    key: Idempotency | None,
    series_id: int | None,
) -> list[Any]:
    """A booking row without its two audit times, in the order of ``_BOOKING_COLUMNS``."""
    return [
        rules.business_id,
        rules.service_ids[p.service.id],
        customer_id,
        p.start,
        p.end,
        CONFIRMED,
        channel,
        token,
        p.seats,
        None if key is None else key.key,
        None if key is None else key.fingerprint,
        0,
        series_id,
    ]


def _history_values(
    info: BookingInfo, actor: Actor, created: datetime, history: dict[str, Any]
) -> list[Any]:
    return [
        created,
        actor.label,
        actor.channel,
        "booked",
        _json(
            {
                "service": info.service_id,
                "start": info.start.isoformat(),
                "resources": list(info.resources),
                "seats": info.seats,
                "series_id": info.series_id,
                **history,
            }
        ),
    ]


class _Args(Params):
    """PostgreSQL arguments, numbered as they are added, with a type for ``VALUES``."""

    def __init__(self) -> None:
        super().__init__(postgres=True)

    def rows(self, rows: Sequence[Sequence[Any]], kinds: Sequence[str]) -> str:
        return ", ".join(
            "(" + ", ".join(self(v, k) for v, k in zip(row, kinds, strict=True)) + ")"
            for row in rows
        )


async def _insert_in_one(
    conn: BaseDBAsyncClient,
    rules: Rules,
    placed: Sequence[Placed],
    drafts: list[BookingInfo],
    created: datetime,
    *,
    customer: CustomerInput,
    identity: Identity | None,
    channel: str,
    actor: Actor,
    key: Idempotency | None,
    history: dict[str, Any],
    recurrence: Recurrence | None,
    messages: Callable[[BookingInfo], list[outbox.Message]],
) -> list[BookingInfo]:
    """:func:`insert_bookings` as one statement: each ``INSERT`` a step of a ``WITH``,
    the new ids flowing from one to the next (bookings matched to their rows by token,
    and put into the outbox keys and payloads by the database)."""
    arg = _Args()
    text, integer, moment = "text", "integer", "timestamptz"
    steps = cte_steps(arg, customer, identity, created)  # ends in c: the customer's id
    series = "CAST(NULL AS integer)"
    if recurrence is not None:
        values = _series_values(rules, placed, None, recurrence, created)
        kinds = [integer, integer, "", text, integer, integer, moment, moment]
        fields = ", ".join(
            'c."id"' if column == "customer_id" else arg(value, kind)
            for column, value, kind in zip(_SERIES_COLUMNS, values, kinds, strict=True)
        )
        columns = ", ".join(f'"{column}"' for column in _SERIES_COLUMNS)
        steps.append(
            f's AS (INSERT INTO "booking_series" ({columns}) SELECT {fields} FROM c RETURNING "id")'
        )
        series = '(SELECT "id" FROM s)'
    series_json = f"COALESCE(to_jsonb({series}), 'null'::jsonb)"  # jsonb_set(..., NULL) is NULL
    booking_kinds = [integer, integer, moment, moment, text, text, text, integer, text, text]
    booking_rows = arg.rows(
        [
            [
                rules.business_id,
                rules.service_ids[p.service.id],
                p.start,
                p.end,
                CONFIRMED,
                channel,
                d.manage_token,
                p.seats,
                key.key if key is not None and i == 0 else None,
                key.fingerprint if key is not None and i == 0 else None,
            ]
            for i, (p, d) in enumerate(zip(placed, drafts, strict=True))
        ],
        booking_kinds,
    )
    steps.append(
        'b AS (INSERT INTO "booking" ("business_id", "service_id", "customer_id", "start", '
        '"end", "status", "source_channel", "manage_token", "seats", "idempotency_key", '
        '"idempotency_fingerprint", "reschedule_count", "series_id", "created_at", "updated_at") '
        f'SELECT v.business_id, v.service_id, c."id", v.start, v.finish, v.status, v.channel, '
        f"v.token, v.seats, v.key, v.fingerprint, 0, {series}, {arg(created, moment)}, "
        f"{arg(created, moment)} FROM c, (VALUES {booking_rows}) AS v(business_id, service_id, "
        "start, finish, status, channel, token, seats, key, fingerprint) "
        'RETURNING "id", "manage_token")'
    )
    occupancy = arg.rows(
        [
            [d.manage_token, *occupancy_values(0, k, rules, p, r)[1:]]
            for d, p in zip(drafts, placed, strict=True)
            for k, r in enumerate(p.resources)
        ],
        [text, integer, "smallint", moment, moment, moment, moment, integer, "boolean", "boolean"],
    )
    steps.append(
        'o AS (INSERT INTO "booking_resource" ("booking_id", "resource_id", "position", '
        '"occupied_start", "occupied_end", "appointment_start", "appointment_end", "seats", '
        '"active", "exclusive") SELECT b."id", v.resource_id, v.position, v.occupied_start, '
        "v.occupied_end, v.appointment_start, v.appointment_end, v.seats, v.active, v.exclusive "
        f"FROM b JOIN (VALUES {occupancy}) AS v(token, resource_id, position, occupied_start, "
        "occupied_end, appointment_start, appointment_end, seats, active, exclusive) "
        'ON v.token = b."manage_token")'
    )
    history_rows = arg.rows(
        [[d.manage_token, *_history_values(d, actor, created, history)] for d in drafts],
        [text, moment, text, text, text, text],
    )
    steps.append(
        'h AS (INSERT INTO "booking_history" ("booking_id", "at", "actor", "channel", '
        '"action", "data") SELECT b."id", v.at, v.actor, v.channel, v.action, '
        f"jsonb_set(v.data::jsonb, '{{series_id}}', {series_json}) "
        f"FROM b JOIN (VALUES {history_rows}) AS v(token, at, actor, channel, action, data) "
        'ON v.token = b."manage_token")'
    )
    notes = [(d.manage_token, message) for d in drafts for message in messages(d)]
    if notes:
        outbox_rows = arg.rows(
            [[token, n.tail, n.kind, _json(n.payload), n.available_at] for token, n in notes],
            [text, text, text, text, moment],
        )
        steps.append(
            'x AS (INSERT INTO "outbox" ("dedup_key", "kind", "booking_id", "payload", '
            '"available_at", "attempts", "last_error", "created_at") '
            "SELECT 'booking:' || b.\"id\" || ':' || v.tail, v.kind, b.\"id\", "
            "jsonb_set(jsonb_set(v.payload::jsonb, '{booking_id}', to_jsonb(b.\"id\")), "
            f"'{{series_id}}', {series_json}), v.available_at, 0, '', "
            f"{arg(created, moment)} "
            f"FROM b JOIN (VALUES {outbox_rows}) AS v(token, tail, kind, payload, available_at) "
            'ON v.token = b."manage_token")'
        )
    sql = f'WITH {", ".join(steps)} SELECT "id", "manage_token", {series} AS series FROM b'
    rows = await conn.execute_query_dict(sql, arg.values)
    ids = {row["manage_token"]: row["id"] for row in rows}
    series_id = rows[0]["series"]
    return [replace(d, id=ids[d.manage_token], series_id=series_id) for d in drafts]


async def write_cancellations(
    conn: BaseDBAsyncClient,
    bookings: Sequence[BookingInfo],
    *,
    actor: Actor,
    reason: str,
    override: bool,
) -> None:
    """Confirmed bookings cancelled: status, occupancy let go, a history row each."""
    ids = [i.id for i in bookings]
    at = datetime.now(UTC)
    await (
        m.Booking.filter(id__in=ids)
        .using_db(conn)
        .update(status=m.BookingStatus.CANCELLED, updated_at=at)
    )
    await m.BookingResource.filter(booking_id__in=ids).using_db(conn).update(active=False)
    await insert_rows(
        conn,
        "booking_history",
        _HISTORY_COLUMNS,
        [
            [
                i.id,
                at,
                actor.label,
                actor.channel,
                "cancelled",
                _json({"reason": reason, "override": override, "start": i.start.isoformat()}),
            ]
            for i in bookings
        ],
    )


async def write_moves(
    conn: BaseDBAsyncClient,
    rules: Rules,
    bookings: Sequence[BookingInfo],
    placed: Sequence[Placed],
    *,
    actor: Actor,
    override: bool,
) -> list[BookingInfo]:
    """Each booking moved to its placed time and resources (its occupancy rows rewritten
    in place), with a history row each; the bookings as they are afterwards."""
    ids = [i.id for i in bookings]
    at = datetime.now(UTC)
    # Let every old time go first, so that moving one booking of a series into another's
    # old time never meets that old row.
    await m.BookingResource.filter(booking_id__in=ids).using_db(conn).update(active=False)
    moved: list[BookingInfo] = []
    history: list[list[Any]] = []
    for before, p in zip(bookings, placed, strict=True):
        after = replace(
            before,
            start=p.start,
            end=p.end,
            resources=p.resources,
            reschedule_count=before.reschedule_count + 1,
        )
        await (
            m.Booking.filter(id=before.id)
            .using_db(conn)
            .update(
                start=after.start,
                end=after.end,
                reschedule_count=after.reschedule_count,
                updated_at=at,
            )
        )
        for k, r in enumerate(p.resources):
            values = occupancy_values(before.id, k, rules, p, r)
            await (
                m.BookingResource.filter(booking_id=before.id, position=k)
                .using_db(conn)
                .update(**dict(zip(OCCUPANCY_COLUMNS[1:], values[1:], strict=True)))
            )
        history.append(
            [
                before.id,
                at,
                actor.label,
                actor.channel,
                "rescheduled",
                _json(
                    {
                        "from": before.start.isoformat(),
                        "to": after.start.isoformat(),
                        "resources_from": list(before.resources),
                        "resources_to": list(after.resources),
                        "override": override,
                    }
                ),
            ]
        )
        moved.append(after)
    await insert_rows(conn, "booking_history", _HISTORY_COLUMNS, history)
    return moved
