"""The worker's side of the outbox, on real databases: claim, lease, send, retry, dead."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from core import models as m
from core.bookings import BookingService
from core.db import database
from core.outbox import (
    MessageKind,
    RetryPolicy,
    claim,
    dead_messages,
    mark_dropped,
    mark_failed,
    mark_sent,
)
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, MONDAY, NOW, TUESDAY, Clock, at, load_clinic


async def queue(count: int, *, due: timedelta = timedelta(0)) -> list[int]:
    rows = [
        await m.Outbox.create(
            dedup_key=f"test:{due}:{n}",
            kind=MessageKind.STAFF_HANDOVER.value,
            payload={"n": n},
            available_at=NOW + due + timedelta(seconds=n),
        )
        for n in range(count)
    ]
    return [row.id for row in rows]


async def test_a_booking_queues_pending_messages_of_known_kinds(db: TestDatabase) -> None:
    await load_clinic()
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    claimed = await claim("w1", NOW)
    kinds = {c.kind for c in claimed}
    assert kinds == {MessageKind.CUSTOMER_CONFIRMATION, MessageKind.STAFF_NOTICE}
    assert all(c.booking_id == info.id for c in claimed)
    assert {c.dedup_key for c in claimed} == {
        f"booking:{info.id}:confirmation",
        f"booking:{info.id}:staff_notice",
    }
    assert all(c.payload["manage_token"] == info.manage_token for c in claimed)
    for c in claimed:
        await mark_sent(c.id, NOW)
    assert await claim("w1", at(MONDAY, 9)) == []
    reminders = await claim("w1", at(TUESDAY, 9))
    assert [(c.kind, c.payload["offset_min"], c.due) for c in reminders] == [
        (MessageKind.REMINDER, 1440, at(MONDAY, 10)),
        (MessageKind.REMINDER, 120, at(TUESDAY, 8)),
    ]
    assert (
        reminders[0].dedup_key == f"booking:{info.id}:reminder:1440:{at(TUESDAY, 10).isoformat()}"
    )


async def test_only_due_messages_are_claimed_oldest_first(db: TestDatabase) -> None:
    ids = await queue(3)
    later = await queue(1, due=timedelta(hours=1))
    claimed = await claim("w1", NOW + timedelta(seconds=1), limit=10)
    assert [c.id for c in claimed] == ids[:2]
    assert [c.attempts for c in claimed] == [1, 1]
    for c in claimed:
        await mark_sent(c.id, NOW)
    assert [c.id for c in await claim("w1", NOW + timedelta(hours=2))] == [ids[2], *later]


async def test_a_leased_message_is_not_claimed_again_until_the_lease_ends(
    db: TestDatabase,
) -> None:
    """A worker that dies between claim and send: another sends it, once, after the lease."""
    (message_id,) = await queue(1)
    await claim("w1", NOW, lease=timedelta(minutes=2))
    assert await claim("w2", NOW + timedelta(minutes=1)) == []
    (again,) = await claim("w2", NOW + timedelta(minutes=2))
    assert (again.id, again.attempts) == (message_id, 2)
    await mark_sent(again.id, NOW + timedelta(minutes=2), provider_id="SM123")
    assert await claim("w3", NOW + timedelta(days=1)) == []
    row = await m.Outbox.get(id=message_id)
    assert (row.status, row.provider_id, row.locked_until) == (m.OutboxStatus.SENT, "SM123", None)
    assert row.sent_at == NOW + timedelta(minutes=2)


async def test_a_failed_send_is_retried_with_backoff_then_dead(db: TestDatabase) -> None:
    (message_id,) = await queue(1)
    policy = RetryPolicy(base=timedelta(seconds=30), max_attempts=3)
    rng = random.Random(7)
    now = NOW
    delays = []
    for attempt in (1, 2):
        (message,) = await claim("w1", now)
        assert message.attempts == attempt
        assert not await mark_failed(message, "connection refused", now, policy=policy, rng=rng)
        row = await m.Outbox.get(id=message_id)
        delays.append(row.available_at - now)
        assert row.status == m.OutboxStatus.PENDING
        assert await claim("w1", now) == []  # not before its backoff
        now = row.available_at
    assert timedelta(seconds=15) <= delays[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= delays[1] <= timedelta(seconds=60)
    (message,) = await claim("w1", now)
    assert await mark_failed(message, "still refused", now, policy=policy)
    assert await claim("w1", now + timedelta(days=30)) == []
    (dead,) = await dead_messages()
    assert (dead.id, dead.attempts, dead.last_error) == (message_id, 3, "still refused")


async def test_a_dropped_message_is_never_sent(db: TestDatabase) -> None:
    (message_id,) = await queue(1)
    (message,) = await claim("w1", NOW)
    await mark_dropped(message.id, "the booking was cancelled")
    assert await claim("w1", NOW + timedelta(days=1)) == []
    assert (await m.Outbox.get(id=message_id)).status == m.OutboxStatus.DROPPED


async def test_bad_claims_are_refused(db: TestDatabase) -> None:
    with pytest.raises(ValueError, match="worker"):
        await claim("", NOW)
    with pytest.raises(ValueError, match="positive"):
        await claim("w1", NOW, limit=0)


async def test_two_workers_never_claim_one_message_twice(db: TestDatabase) -> None:
    """PostgreSQL: FOR UPDATE SKIP LOCKED; workers on their own connections, at once."""
    if not db.is_postgres:
        pytest.skip("SQLite has one writer, so one worker")
    ids = await queue(200)

    async def worker(name: str) -> list[int]:
        got: list[int] = []
        async with database(db.url):
            while batch := await claim(name, NOW + timedelta(hours=1), limit=7):
                got.extend(c.id for c in batch)
                for c in batch:
                    await mark_sent(c.id, NOW)
        return got

    results = await asyncio.gather(*(worker(f"w{n}") for n in range(4)))
    claimed = [i for got in results for i in got]
    assert sorted(claimed) == sorted(ids)  # every message once, none twice
    assert sum(1 for got in results if got) >= 2  # they really shared the work


async def test_a_rounds_sent_messages_are_marked_in_one_go(db: TestDatabase) -> None:
    from core.outbox import mark_sent_many

    ids = await queue(3)
    claimed = await claim("w1", NOW + timedelta(seconds=5), limit=10)
    assert [c.id for c in claimed] == ids
    await mark_sent_many([(ids[0], "SM1"), (ids[2], None)], NOW + timedelta(minutes=1))
    rows = {row.id: row for row in await m.Outbox.filter(id__in=ids)}
    assert (rows[ids[0]].status, rows[ids[0]].provider_id) == (m.OutboxStatus.SENT, "SM1")
    assert rows[ids[0]].sent_at == NOW + timedelta(minutes=1)
    assert rows[ids[0]].locked_until is None
    assert (rows[ids[2]].status, rows[ids[2]].provider_id) == (m.OutboxStatus.SENT, None)
    assert rows[ids[1]].status == m.OutboxStatus.PENDING  # still leased to w1
    assert rows[ids[1]].locked_until is not None
    await mark_sent_many([], NOW)
