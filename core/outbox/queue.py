"""The worker's side of the outbox: claim what is due, then mark it sent or failed.

At least once, never lost:

1. :func:`claim` takes due ``pending`` rows whose lease is free and leases them
   to one worker until ``now + lease`` (PostgreSQL: ``FOR UPDATE SKIP LOCKED``,
   so any number of workers share the queue without waiting on each other or
   taking one row twice; SQLite: one writer, so one worker). Claiming counts an
   attempt.
2. The worker sends, outside any transaction.
3. :func:`mark_sent` records it (with the provider's message id); or
   :func:`mark_failed` puts it back for later with exponential backoff and
   jitter, or makes it ``dead`` after ``max_attempts``; or :func:`mark_dropped`
   says it was stale and not sent on purpose.

A worker that dies between 1 and 3 leaves the row leased; when the lease ends
another claims it and sends again: that is the "at least once", and the dedup
key travels with every send so that receivers can tell.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import models as m
from core.db import connection

__all__ = [
    "Claimed",
    "DeadMessage",
    "RetryPolicy",
    "claim",
    "dead_messages",
    "defer",
    "mark_dead",
    "mark_dropped",
    "mark_failed",
    "mark_sent",
    "mark_sent_many",
]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message leased to one worker until ``locked_until``."""

    id: int
    kind: str
    dedup_key: str
    booking_id: int | None
    payload: dict[str, Any]
    due: datetime
    attempts: int
    """Including this one."""
    locked_until: datetime


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff after a failed send: ``base * 2**(attempts-1)``, capped, with full jitter
    over its upper half (so workers that failed together do not retry together)."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 8

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        ceiling = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        share: float = (rng or random).uniform(0.5, 1.0)
        return timedelta(seconds=ceiling.total_seconds() * share)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return dict(value) if isinstance(value, dict) else {}


async def claim(
    worker: str, now: datetime, *, limit: int = 100, lease: timedelta = timedelta(minutes=2)
) -> list[Claimed]:
    """Lease up to ``limit`` due messages (``available_at <= now``) to ``worker``, oldest
    due first; each is this worker's alone until ``now + lease``."""
    if not worker or len(worker) > 100:
        raise ValueError("worker must be a name of 1 to 100 characters")
    if limit < 1 or lease <= timedelta(0):
        raise ValueError("limit and lease must be positive")
    conn = connection()
    until = now + lease
    postgres = conn.capabilities.dialect == "postgres"

    def p(i: int) -> str:
        return f"${i}" if postgres else "?"

    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    sql = (
        f'UPDATE "outbox" SET "locked_until" = {p(1)}, "locked_by" = {p(2)}, '
        '"attempts" = "attempts" + 1 '
        f'WHERE "id" IN (SELECT "id" FROM "outbox" WHERE "status" = {p(3)} '
        f'AND "available_at" <= {p(4)} AND ("locked_until" IS NULL OR "locked_until" <= {p(5)}) '
        f'ORDER BY "available_at", "id" LIMIT {p(6)}{lock}) '
        'RETURNING "id", "kind", "dedup_key", "booking_id", "payload", "available_at", '
        '"attempts", "locked_until"'
    )
    values: list[Any] = [until, worker, m.OutboxStatus.PENDING.value, now, now, limit]
    if not postgres:
        # As SQLite holds instants (see core.models.UTCDatetimeField): UTC text.
        values = [
            v.astimezone(UTC).isoformat(" ") if isinstance(v, datetime) else v for v in values
        ]
    rows = await conn.execute_query_dict(sql, values)
    claimed = [
        Claimed(
            id=row["id"],
            kind=row["kind"],
            dedup_key=row["dedup_key"],
            booking_id=row["booking_id"],
            payload=_payload(row["payload"]),
            due=_aware(row["available_at"]),
            attempts=row["attempts"],
            locked_until=_aware(row["locked_until"]),
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda c: (c.due, c.id))


async def mark_sent(message_id: int, now: datetime, *, provider_id: str | None = None) -> None:
    await m.Outbox.filter(id=message_id).update(
        status=m.OutboxStatus.SENT,
        sent_at=now,
        provider_id=None if provider_id is None else provider_id[:200],
        locked_until=None,
        last_error="",
    )


async def mark_sent_many(sent: Sequence[tuple[int, str | None]], now: datetime) -> None:
    """:func:`mark_sent` of many messages (``(id, provider id)``) in one statement: what a
    worker's round sent. Until it runs they stay leased: a worker that dies first leaves
    them to be sent again when their leases end (at least once, as for one message)."""
    if not sent:
        return
    conn = connection()
    ids = [message_id for message_id, _ in sent]
    providers = [None if p is None else p[:200] for _, p in sent]
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            'UPDATE "outbox" SET "status" = $1, "sent_at" = $2, "provider_id" = v.provider, '
            '"locked_until" = NULL, "last_error" = \'\' '
            "FROM (SELECT unnest($3::integer[]) AS id, unnest($4::text[]) AS provider) AS v "
            'WHERE "outbox"."id" = v.id',
            [m.OutboxStatus.SENT.value, now, ids, providers],
        )
        return
    for message_id, provider_id in zip(ids, providers, strict=True):
        await mark_sent(message_id, now, provider_id=provider_id)


async def mark_dropped(message_id: int, reason: str) -> None:
    """Not sent on purpose (the booking was cancelled or moved since it was queued)."""
    await m.Outbox.filter(id=message_id).update(
        status=m.OutboxStatus.DROPPED, locked_until=None, last_error=reason[:2000]
    )


async def defer(message: Claimed, until: datetime, reason: str) -> None:
    """Put the message back, due at ``until``, without counting this claim as an attempt
    (nothing was tried: it was not its time, e.g. quiet hours in the customer's zone)."""
    await m.Outbox.filter(id=message.id).update(
        available_at=until,
        locked_until=None,
        attempts=max(0, message.attempts - 1),
        last_error=reason[:2000],
    )


async def mark_dead(message_id: int, error: str) -> None:
    """Failed for good (every route refused it for good): not retried, listed by
    :func:`dead_messages` for the operator."""
    await m.Outbox.filter(id=message_id).update(
        status=m.OutboxStatus.DEAD, locked_until=None, last_error=error[:2000]
    )


async def mark_failed(
    message: Claimed,
    error: str,
    now: datetime,
    *,
    policy: RetryPolicy = RetryPolicy(),
    rng: random.Random | None = None,
) -> bool:
    """Put the message back for a later attempt, or make it dead when it has had
    ``policy.max_attempts``; returns whether it is dead."""
    dead = message.attempts >= policy.max_attempts
    changes: dict[str, Any] = {"locked_until": None, "last_error": error[:2000]}
    if dead:
        changes["status"] = m.OutboxStatus.DEAD
    else:
        changes["available_at"] = now + policy.delay(message.attempts, rng)
    await m.Outbox.filter(id=message.id).update(**changes)
    return dead


@dataclass(frozen=True, slots=True)
class DeadMessage:
    id: int
    kind: str
    dedup_key: str
    attempts: int
    last_error: str
    due: datetime


async def dead_messages(limit: int = 1000) -> Sequence[DeadMessage]:
    rows = (
        await m.Outbox.filter(status=m.OutboxStatus.DEAD)
        .order_by("available_at", "id")
        .limit(limit)
        .values_list("id", "kind", "dedup_key", "attempts", "last_error", "available_at")
    )
    return [DeadMessage(row[0], row[1], row[2], row[3], row[4], _aware(row[5])) for row in rows]
