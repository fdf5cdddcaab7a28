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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from core import models as m
from core.bookings.types import BookingInfo, CustomerInput
from core.customers import CUSTOMER_FIELDS, customer_values
from core.outbox.kinds import MessageKind, booking_key
from core.requestid import current_request_id
from core.store import insert_rows

__all__ = [
    "REMINDERS",
    "Message",
    "booked",
    "cancelled",
    "drop_reminders",
    "rescheduled",
    "write",
]

REMINDERS: tuple[tuple[MessageKind, timedelta], ...] = (
    (MessageKind.REMINDER_24H, timedelta(hours=24)),
    (MessageKind.REMINDER_2H, timedelta(hours=2)),
)
"""Reminders before the start; one whose time has already passed is not written."""


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

    @property
    def dedup_key(self) -> str:
        return booking_key(self.booking_id, self.tail)


def _row(
    info: BookingInfo, kind: MessageKind, key: str, payload: dict[str, Any], at: datetime
) -> Message:
    return Message(key, kind, info.id, {**payload, "kind": kind}, at)


def _reminders(info: BookingInfo, payload: dict[str, Any], now: datetime) -> list[Message]:
    return [
        _row(info, kind, f"{kind}:{_iso(info.start)}", payload, info.start - before)
        for kind, before in REMINDERS
        if info.start - before > now
    ]


def booked(info: BookingInfo, customer: CustomerInput | None, now: datetime) -> list[Message]:
    """Confirmation to the customer, a notice to the staff, and the reminders."""
    payload = _payload(info, customer)
    return [
        _row(info, MessageKind.CUSTOMER_CONFIRMATION, "confirmation", payload, now),
        _row(info, MessageKind.STAFF_NOTICE, "staff_notice", payload, now),
        *_reminders(info, payload, now),
    ]


def cancelled(
    info: BookingInfo, customer: CustomerInput | None, now: datetime, *, reason: str, actor: str
) -> list[Message]:
    payload = {**_payload(info, customer), "reason": reason, "actor": actor}
    return [
        _row(info, MessageKind.CUSTOMER_CANCELLATION, "cancellation", payload, now),
        _row(info, MessageKind.STAFF_CANCELLATION, "staff_cancellation", payload, now),
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
    return [
        _row(info, MessageKind.CUSTOMER_RESCHEDULED, f"rescheduled:{move}", payload, now),
        _row(info, MessageKind.STAFF_RESCHEDULED, f"staff_rescheduled:{move}", payload, now),
        *_reminders(info, _payload(info, customer), now),
    ]


async def drop_reminders(conn: BaseDBAsyncClient, booking_ids: Iterable[int]) -> None:
    """Unsent reminders of bookings that were cancelled or moved: they would be wrong."""
    ids = list(booking_ids)
    if ids:
        await (
            m.Outbox.filter(
                booking_id__in=ids, sent_at__isnull=True, kind__in=[k for k, _ in REMINDERS]
            )
            .using_db(conn)
            .delete()
        )


async def write(conn: BaseDBAsyncClient, messages: Sequence[Message]) -> None:
    """All the messages in one statement (a unique dedup key already there fails it)."""
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
