"""Bookings in the database: read as :class:`BookingInfo`, written as plain rows.

A booking is the ``booking`` row, one ``booking_resource`` occupancy row per
resource (carrying what the exclusion constraint and the slot queries need),
its ``booking_history`` rows and its ``outbox`` messages. The rows of a new
booking are built by :mod:`core.booking_rows`, the one writer the file import
uses too; on PostgreSQL a request's rows go in one statement (a ``WITH`` of
``INSERT`` steps, the same rows in its ``VALUES``), because on a small machine
the round trips were most of the commit. SQLite, in process, gets one ``INSERT``
per table. Cancellations and moves are written here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from core import models as m
from core.booking_rows import (
    BOOKING_COLUMNS,
    HISTORY_COLUMNS,
    OCCUPANCY_COLUMNS,
    NewBooking,
    Occupied,
    booking_row,
    history_row,
    insert_rows,
    occupancy_rows,
    to_json,
    write_new_bookings,
)
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
from core.store import Rules

__all__ = [
    "CANCELLED",
    "CONFIRMED",
    "customers_of",
    "infos",
    "insert_bookings",
    "occupies",
    "write_cancellations",
    "write_moves",
]

CONFIRMED = m.BookingStatus.CONFIRMED.value
CANCELLED = m.BookingStatus.CANCELLED.value

_json = to_json


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


def occupies(rules: Rules, placed: Placed) -> tuple[Occupied, ...]:
    """What ``placed`` occupies of each of its resources; ``exclusive`` is capacity one."""
    lo, hi = placed.occupied
    return tuple(
        Occupied(rules.resource_ids[r], lo, hi, rules.snapshot.resources[r].capacity == 1)
        for r in placed.resources
    )


def _new(
    rules: Rules,
    placed: Placed,
    token: str,
    *,
    customer_id: int | None,
    channel: str,
    actor: Actor,
    history: dict[str, Any],
    key: Idempotency | None,
    series_id: int | None,
) -> NewBooking:
    return NewBooking(
        business_id=rules.business_id,
        service_id=rules.service_ids[placed.service.id],
        customer_id=customer_id,
        start=placed.start,
        end=placed.end,
        seats=placed.seats,
        channel=channel,
        token=token,
        occupies=occupies(rules, placed),
        actor=actor.label,
        action="booked",
        data={
            "service": placed.service.id,
            "start": placed.start.isoformat(),
            "resources": list(placed.resources),
            "seats": placed.seats,
            "series_id": series_id,
            **history,
        },
        history_channel=actor.channel,
        key=None if key is None else key.key,
        fingerprint=None if key is None else key.fingerprint,
        series_id=series_id,
    )


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

    def new(customer_id: int | None, series_id: int | None) -> list[NewBooking]:
        return [
            _new(
                rules,
                p,
                token,
                customer_id=customer_id,
                channel=channel,
                actor=actor,
                history=history,
                key=key if i == 0 else None,
                series_id=series_id,
            )
            for i, (p, token) in enumerate(zip(placed, tokens, strict=True))
        ]

    if conn.capabilities.dialect == "postgres":
        return await _insert_in_one(
            conn,
            rules,
            placed,
            drafts,
            new(None, None),
            created,
            customer=customer,
            identity=identity,
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
    ids = await write_new_bookings(conn, new(customer_id, series_id), created)
    made = [replace(d, id=i, series_id=series_id) for d, i in zip(drafts, ids, strict=True)]
    await outbox.write(
        conn,
        [message for info in made for message in messages(info)],
        outbox.schedule_of(rules),
    )
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


class _Args(Params):
    """PostgreSQL arguments, numbered as they are added, with a type for ``VALUES``."""

    def __init__(self) -> None:
        super().__init__(postgres=True)

    def rows(self, rows: Sequence[Sequence[Any]], kinds: Sequence[str]) -> str:
        return ", ".join(
            "(" + ", ".join(self(v, k) for v, k in zip(row, kinds, strict=True)) + ")"
            for row in rows
        )


_TEXT, _INTEGER, _MOMENT = "text", "integer", "timestamptz"
_BOOKING_KINDS = {
    "business_id": _INTEGER,
    "service_id": _INTEGER,
    "start": _MOMENT,
    "end": _MOMENT,
    "status": _TEXT,
    "source_channel": _TEXT,
    "manage_token": _TEXT,
    "seats": _INTEGER,
    "idempotency_key": _TEXT,
    "idempotency_fingerprint": _TEXT,
    "reschedule_count": _INTEGER,
    "created_at": _MOMENT,
    "updated_at": _MOMENT,
}
"""The booking columns given as values; the customer and the series come from the steps."""
_OCCUPANCY_KINDS = [
    _INTEGER,
    "smallint",
    _MOMENT,
    _MOMENT,
    _MOMENT,
    _MOMENT,
    _INTEGER,
    "boolean",
    "boolean",
]
"""The occupancy columns after ``booking_id``."""
_HISTORY_KINDS = [_MOMENT, _TEXT, _TEXT, _TEXT, _TEXT]
"""The history columns after ``booking_id``."""


def _quoted(columns: Sequence[str], prefix: str = "") -> str:
    """Column names for SQL, quoted (``start`` and ``end`` are key words), each after
    ``prefix``."""
    return ", ".join(f'{prefix}"{c}"' for c in columns)


async def _insert_in_one(
    conn: BaseDBAsyncClient,
    rules: Rules,
    placed: Sequence[Placed],
    drafts: list[BookingInfo],
    new: list[NewBooking],
    created: datetime,
    *,
    customer: CustomerInput,
    identity: Identity | None,
    recurrence: Recurrence | None,
    messages: Callable[[BookingInfo], list[outbox.Message]],
) -> list[BookingInfo]:
    """:func:`insert_bookings` as one statement: each ``INSERT`` a step of a ``WITH``,
    the new ids flowing from one to the next (bookings matched to their rows by token,
    and put into the outbox keys and payloads by the database). The rows are those of
    :mod:`core.booking_rows`, with the customer's and the series' ids left to the steps."""
    arg = _Args()
    steps = cte_steps(arg, customer, identity, created)  # ends in c: the customer's id
    series = "CAST(NULL AS integer)"
    if recurrence is not None:
        values = _series_values(rules, placed, None, recurrence, created)
        kinds = [_INTEGER, _INTEGER, "", _TEXT, _INTEGER, _INTEGER, _MOMENT, _MOMENT]
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
    given = list(_BOOKING_KINDS)
    booking_rows = arg.rows(
        [
            [v for c, v in zip(BOOKING_COLUMNS, booking_row(b, created), strict=True) if c in given]
            for b in new
        ],
        [_BOOKING_KINDS[c] for c in BOOKING_COLUMNS if c in given],
    )
    names = [c for c in BOOKING_COLUMNS if c in given]
    steps.append(
        f'b AS (INSERT INTO "booking" ({_quoted(names)}, "customer_id", "series_id") '
        f'SELECT {_quoted(names, "v.")}, c."id", {series} '
        f"FROM c, (VALUES {booking_rows}) AS v({_quoted(names)}) "
        'RETURNING "id", "manage_token")'
    )
    occupancy = arg.rows(
        [[b.token, *row[1:]] for b in new for row in occupancy_rows(0, b)],
        [_TEXT, *_OCCUPANCY_KINDS],
    )
    rest = OCCUPANCY_COLUMNS[1:]
    steps.append(
        f'o AS (INSERT INTO "booking_resource" ({_quoted(OCCUPANCY_COLUMNS)}) '
        f'SELECT b."id", {_quoted(rest, "v.")} '
        f"FROM b JOIN (VALUES {occupancy}) AS v(token, {_quoted(rest)}) "
        'ON v.token = b."manage_token")'
    )
    history_rows = arg.rows(
        [[b.token, *history_row(0, b, created)[1:]] for b in new],
        [_TEXT, *_HISTORY_KINDS],
    )
    steps.append(
        'h AS (INSERT INTO "booking_history" ("booking_id", "at", "actor", "channel", '
        '"action", "data") SELECT b."id", v.at, v.actor, v.channel, v.action, '
        f"jsonb_set(v.data::jsonb, '{{series_id}}', {series_json}) "
        f"FROM b JOIN (VALUES {history_rows}) AS v(token, at, actor, channel, action, data) "
        'ON v.token = b."manage_token")'
    )
    batches = await outbox.settle_each(
        conn, [messages(d) for d in drafts], outbox.schedule_of(rules)
    )
    notes = [(d.manage_token, n) for d, batch in zip(drafts, batches, strict=True) for n in batch]
    if notes:
        outbox_rows = arg.rows(
            [[token, n.tail, n.kind, _json(n.payload), n.available_at] for token, n in notes],
            [_TEXT, _TEXT, _TEXT, _TEXT, _MOMENT],
        )
        steps.append(
            'x AS (INSERT INTO "outbox" ("dedup_key", "kind", "booking_id", "payload", '
            '"available_at", "attempts", "last_error", "created_at") '
            "SELECT 'booking:' || b.\"id\" || ':' || v.tail, v.kind, b.\"id\", "
            "jsonb_set(jsonb_set(v.payload::jsonb, '{booking_id}', to_jsonb(b.\"id\")), "
            f"'{{series_id}}', {series_json}), v.available_at, 0, '', "
            f"{arg(created, _MOMENT)} "
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
        HISTORY_COLUMNS,
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
    reason: str = "",
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
        rows = occupancy_rows(before.id, _moved(rules, p, before))
        for k, values in enumerate(rows):
            await (
                m.BookingResource.filter(booking_id=before.id, position=k)
                .using_db(conn)
                .update(
                    **{c: v for c, v in zip(OCCUPANCY_COLUMNS, values, strict=True) if c in _MOVED}
                )
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
                        **({"reason": reason} if reason else {}),
                    }
                ),
            ]
        )
        moved.append(after)
    await insert_rows(conn, "booking_history", HISTORY_COLUMNS, history)
    return moved


_MOVED = frozenset(OCCUPANCY_COLUMNS) - {"booking_id", "position"}
"""What a move rewrites of an occupancy row, in place."""


def _moved(rules: Rules, placed: Placed, before: BookingInfo) -> NewBooking:
    """The rows of a booking moved to ``placed``, for its occupancy rows."""
    return NewBooking(
        business_id=rules.business_id,
        service_id=rules.service_ids[placed.service.id],
        customer_id=None,
        start=placed.start,
        end=placed.end,
        seats=placed.seats,
        channel=before.source_channel,
        token=before.manage_token,
        occupies=occupies(rules, placed),
        actor="",
        action="rescheduled",
    )
