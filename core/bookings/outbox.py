"""The messages a booking change causes, as outbox rows written in the change's transaction.

Writing them with the change (not after it) is what makes "nothing is lost"
hold: the booking and its messages commit together or not at all, and the
worker sends what is committed, at least once. Every row has a dedup key made
of the booking and what happened, so a retried cause cannot queue a message
twice and a receiver can drop a second delivery.

The kinds are :class:`core.outbox.MessageKind`. The payload holds what a
message needs to be written without reading the booking again (the booking
may have changed by the time it is sent; reminders are dropped when it is
cancelled or moved).

When a message goes is decided here, when it is queued (:class:`Timing`):

- what answers the customer's own action (their booking, move or cancellation),
  and every notice to the staff, goes at once;
- what staff or the system did to a booking (a cancellation by staff or by a
  block, a move) is held back past the business's quiet hours, read in the
  customer's zone (:func:`core.quiet.after_quiet`);
- the reminders are the service's own (``services[].reminders``, minutes before the
  start), each moved before quiet hours (:func:`core.quiet.reminder_times`); one
  whose time has passed is not written.

The builders (:func:`booked`, :func:`rescheduled`, :func:`cancelled`) are pure and
know neither the service's offsets nor the quiet hours: they mark what needs them,
and :func:`write` (or the booking writer, through :func:`settle_each`) reads the
business's :class:`Schedule` in the same transaction and settles the times.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from core import models as m
from core.bookings.types import BookingInfo, CustomerInput
from core.business import DEFAULT_REMINDERS
from core.customers import CUSTOMER_FIELDS, customer_values
from core.outbox.kinds import REMINDER_KINDS, MessageKind, booking_key
from core.quiet import DEFAULT_QUIET, QuietHours, after_quiet, reminder_times
from core.requestid import current_request_id
from core.store import Rules, insert_rows

__all__ = [
    "Message",
    "Schedule",
    "Timing",
    "booked",
    "cancelled",
    "customer_zone",
    "drop_reminders",
    "freed",
    "load_schedule",
    "rescheduled",
    "schedule_of",
    "settle",
    "settle_each",
    "write",
]


class Timing(StrEnum):
    AT_ONCE = "at_once"
    """Now: it answers the customer's own action, or it goes to the staff."""
    HELD = "held"
    """Now, unless that is in the customer's quiet hours: then when they end."""
    REMINDERS = "reminders"
    """Not a message itself: where the service's reminders go (see :func:`settle`)."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """What the times of a business's messages depend on, read with the change."""

    zone: str
    """The business's zone: the customer's when they have none."""
    quiet: QuietHours = DEFAULT_QUIET
    reminders: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """By service id; a service not listed has :data:`DEFAULT_REMINDERS`."""

    def reminders_of(self, service_id: str) -> tuple[int, ...]:
        return self.reminders.get(service_id, DEFAULT_REMINDERS)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _payload(info: BookingInfo, customer: CustomerInput | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "booking_id": info.id,
        "manage_token": info.manage_token,
        "service": info.service_id,
        "start": _iso(info.start),
        "end": _iso(info.end),
        "resources": list(info.resources),
        "seats": info.seats,
        "channel": info.source_channel,
        "series_id": info.series_id,
    }
    if customer is not None:
        data["customer"] = dict(zip(CUSTOMER_FIELDS, customer_values(customer), strict=True))
    if (request_id := current_request_id()) is not None:
        data["request_id"] = request_id  # the worker's log lines name the request (logs)
    return data


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row to write; its dedup key is ``booking:{booking_id}:{tail}``."""

    tail: str
    kind: MessageKind
    booking_id: int
    payload: dict[str, Any]
    available_at: datetime
    timing: Timing = Timing.AT_ONCE
    """How ``available_at`` is still to be settled (:func:`settle`)."""

    @property
    def dedup_key(self) -> str:
        return booking_key(self.booking_id, self.tail)


def _row(
    info: BookingInfo,
    kind: MessageKind,
    key: str,
    payload: dict[str, Any],
    at: datetime,
    timing: Timing = Timing.AT_ONCE,
) -> Message:
    return Message(key, kind, info.id, {**payload, "kind": kind}, at, timing)


def _reminders(info: BookingInfo, payload: dict[str, Any], now: datetime) -> Message:
    """The place of the service's reminders, settled by :func:`settle` (``now`` is when
    they were asked for: a reminder not after it is not written)."""
    return _row(
        info, MessageKind.REMINDER, f"reminders:{_iso(info.start)}", payload, now, Timing.REMINDERS
    )


def _by_customer(actor: str) -> bool:
    """Whether the change answers the customer's own action (``customer:...``)."""
    return actor.startswith("customer:")


def booked(info: BookingInfo, customer: CustomerInput | None, now: datetime) -> list[Message]:
    """Confirmation to the customer, a notice to the staff, and the reminders."""
    payload = _payload(info, customer)
    return [
        _row(info, MessageKind.CUSTOMER_CONFIRMATION, "confirmation", payload, now),
        _row(info, MessageKind.STAFF_NOTICE, "staff_notice", payload, now),
        _reminders(info, payload, now),
    ]


def freed(info: BookingInfo, tail: str, start: datetime, end: datetime, now: datetime) -> Message:
    """The row that runs the waitlist cascade for the appointment time ``start..end``
    that a booking let go (:mod:`core.bookings.cascade`); written with the change."""
    payload = {"service": info.service_id, "start": _iso(start), "end": _iso(end)}
    return _row(info, MessageKind.CAPACITY_FREED, f"freed:{tail}", payload, now)


def cancelled(
    info: BookingInfo, customer: CustomerInput | None, now: datetime, *, reason: str, actor: str
) -> list[Message]:
    payload = {**_payload(info, customer), "reason": reason, "actor": actor}
    timing = Timing.AT_ONCE if _by_customer(actor) else Timing.HELD
    return [
        _row(info, MessageKind.CUSTOMER_CANCELLATION, "cancellation", payload, now, timing),
        _row(info, MessageKind.STAFF_CANCELLATION, "staff_cancellation", payload, now),
        freed(info, "cancelled", info.start, info.end, now),
    ]


def rescheduled(
    info: BookingInfo,
    customer: CustomerInput | None,
    now: datetime,
    *,
    previous_start: datetime,
    actor: str,
) -> list[Message]:
    """The move's notices (keyed by the move's number) and the reminders of the new time."""
    payload = {**_payload(info, customer), "previous_start": _iso(previous_start), "actor": actor}
    move = info.reschedule_count
    timing = Timing.AT_ONCE if _by_customer(actor) else Timing.HELD
    return [
        _row(info, MessageKind.CUSTOMER_RESCHEDULED, f"rescheduled:{move}", payload, now, timing),
        _row(info, MessageKind.STAFF_RESCHEDULED, f"staff_rescheduled:{move}", payload, now),
        _reminders(info, _payload(info, customer), now),
        freed(info, f"moved:{move}", previous_start, previous_start + (info.end - info.start), now),
    ]


def customer_zone(payload: Mapping[str, Any], default: str) -> str:
    """The zone the customer lives in as the payload has it, else ``default``."""
    written = payload.get("customer")
    zone = written.get("timezone") if isinstance(written, Mapping) else None
    if isinstance(zone, str) and zone:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return default
        return zone
    return default


def settle(messages: Sequence[Message], schedule: Schedule) -> list[Message]:
    """The messages with their times decided (pure): held ones moved past quiet hours,
    the place of the reminders replaced by the service's reminders (none, one or more)."""
    out: list[Message] = []
    for message in messages:
        if message.timing is Timing.AT_ONCE:
            out.append(message)
            continue
        payload = message.payload
        zone = customer_zone(payload, schedule.zone)
        if message.timing is Timing.HELD:
            at = after_quiet(message.available_at, schedule.quiet, zone)
            out.append(
                replace(
                    message,
                    available_at=at,
                    timing=Timing.AT_ONCE,
                    payload={**payload, "held": True},
                )
            )
            continue
        start = datetime.fromisoformat(payload["start"])
        for offset, at in reminder_times(
            start,
            schedule.reminders_of(str(payload["service"])),
            message.available_at,
            schedule.quiet,
            zone,
        ):
            out.append(
                replace(
                    message,
                    tail=f"reminder:{offset}:{_iso(start)}",
                    kind=MessageKind.REMINDER,
                    payload={**payload, "kind": MessageKind.REMINDER, "offset_min": offset},
                    available_at=at,
                    timing=Timing.AT_ONCE,
                )
            )
    return out


async def load_schedule(conn: BaseDBAsyncClient) -> Schedule:
    """The business's zone, quiet hours and reminders, read with ``conn`` in one query (it
    runs in every booking's transaction)."""
    rows = await conn.execute_query_dict(
        'SELECT b."timezone", b."quiet_start_min", b."quiet_end_min", s."slug", s."reminders" '
        'FROM "business" b LEFT JOIN "service" s ON s."business_id" = b."id" '
        'WHERE b."id" = (SELECT MIN("id") FROM "business")'
    )
    if not rows:
        return Schedule("UTC")
    first = rows[0]
    reminders: dict[str, tuple[int, ...]] = {}
    for row in rows:
        values = row["reminders"]
        if isinstance(values, str | bytes):
            values = json.loads(values)
        if row["slug"] is not None and isinstance(values, list):
            reminders[str(row["slug"])] = tuple(int(v) for v in values)
    quiet = QuietHours(int(first["quiet_start_min"]), int(first["quiet_end_min"]))
    return Schedule(str(first["timezone"]), quiet, reminders)


def schedule_of(rules: Rules) -> Schedule:
    """The schedule as the booking's rules already have it (read with its services, in its
    transaction): what :func:`load_schedule` would read, for the services loaded."""
    reminders = {slug: values for slug, values in rules.reminders.items() if values is not None}
    return Schedule(rules.snapshot.timezone, rules.quiet, reminders)


async def settle_each(
    conn: BaseDBAsyncClient,
    batches: Sequence[Sequence[Message]],
    schedule: Schedule | None = None,
) -> list[list[Message]]:
    """:func:`settle` of each batch, reading the schedule (unless given) only when one
    needs it."""
    if all(message.timing is Timing.AT_ONCE for batch in batches for message in batch):
        return [list(batch) for batch in batches]
    if schedule is None:
        schedule = await load_schedule(conn)
    return [settle(batch, schedule) for batch in batches]


async def drop_reminders(conn: BaseDBAsyncClient, booking_ids: Iterable[int]) -> None:
    """Unsent reminders of bookings that were cancelled or moved: they would be wrong."""
    ids = list(booking_ids)
    if ids:
        await (
            m.Outbox.filter(booking_id__in=ids, sent_at__isnull=True, kind__in=REMINDER_KINDS)
            .using_db(conn)
            .delete()
        )


async def write(
    conn: BaseDBAsyncClient, messages: Sequence[Message], schedule: Schedule | None = None
) -> None:
    """All the messages in one statement (a unique dedup key already there fails it),
    their times settled first (:func:`settle_each`)."""
    (messages,) = await settle_each(conn, [messages], schedule)
    if not messages:
        return
    created = datetime.now(UTC)
    await insert_rows(
        conn,
        "outbox",
        (
            "dedup_key",
            "kind",
            "booking_id",
            "payload",
            "available_at",
            "attempts",
            "last_error",
            "created_at",
        ),
        [
            [
                message.dedup_key,
                message.kind,
                message.booking_id,
                json.dumps(message.payload, separators=(",", ":")),
                message.available_at,
                0,
                "",
                created,
            ]
            for message in messages
        ],
    )
