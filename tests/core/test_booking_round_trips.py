"""How many round trips a booking costs on PostgreSQL: counted on the wire, never timed.

On a small machine the waits for the server, not the work, were most of a booking's time
(and, under lock, the time others wait), so the count is part of the contract: a change
that adds a round trip to the booking path fails here and has to say why. The relay of
:mod:`tests.core.wire` counts the server's ``ReadyForQuery`` messages, whatever sent them
(Tortoise, raw asyncpg, the pool's checks). Statements are warm (prepared on the one pooled
connection by a first booking), as they are in a server that has been up a while.

The booking with a provider named (what ``python -m bench.booking`` measures), five:

1. the service with its pools, the business's quiet hours and the service's reminders
   (before the transaction; also what finds a connection killed since it was pooled,
   :mod:`core.pgclient`)
2. ``BEGIN``, ``SET LOCAL lock_timeout`` and the lock of the provider's row, one message
3. under the lock: the provider's rules and busy time over the window, one query
4. the customer, booking, occupancy, history and outbox rows: one statement
5. ``COMMIT``
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from core.bookings import BookingService
from core.customers import Identity
from core.db import database
from core.holds.memory import MemoryHoldStore
from tests.conftest import POSTGRES_URL
from tests.core.test_booking import ALICE, TUESDAY, Clock, at, count, customer, load_clinic
from tests.core.wire import Wire, relay

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="SLOTWISE_TEST_DATABASE_URL is not set")


@pytest.fixture
async def wire(_postgres_emptying_sql: str) -> AsyncIterator[Wire]:
    """The emptied test database, open through the counting relay with one pooled
    connection (so that every statement is prepared once, and then warm)."""
    async with relay(POSTGRES_URL) as counted, database(f"{counted.url}?maxsize=1") as context:
        await context.db().execute_script(_postgres_emptying_sql)
        await load_clinic()
        yield counted


async def _trips(wire: Wire, book: object) -> int:
    wire.reset()
    await book  # type: ignore[misc]
    return wire.trips


def _slots(first_hour: int) -> list[object]:
    return [at(TUESDAY, first_hour) + timedelta(minutes=30 * i) for i in range(3)]


async def test_a_booking_with_its_provider_named_is_five_round_trips(wire: Wire) -> None:
    service = BookingService(clock=Clock())
    counts = [
        await _trips(wire, service.book("cut", start, customer(i), provider="ana"))  # type: ignore[arg-type]
        for i, start in enumerate(_slots(9))
    ]
    assert counts[1:] == [5, 5], wire.statements


async def test_a_booking_with_a_choice_of_staff_is_six(wire: Wire) -> None:
    """Look at every candidate, lock the chosen one, re-check it under the lock: one more
    query than with the provider named."""
    service = BookingService(clock=Clock())
    counts = [
        await _trips(wire, service.book("cut", start, customer(i)))  # type: ignore[arg-type]
        for i, start in enumerate(_slots(9))
    ]
    assert counts[1:] == [6, 6], wire.statements


async def test_a_chat_customer_with_an_idempotency_key_adds_only_the_key_check(
    wire: Wire,
) -> None:
    """The customer's tie to their chat identity is in the write statement; the key is
    looked up before the transaction (an earlier booking answers at once: one query, which
    is its connection's check too), and not again inside it (a request racing in between
    fails the key's unique index, and is answered with the earlier booking)."""
    service = BookingService(clock=Clock())
    counts = [
        await _trips(
            wire,
            service.book(
                "cut",
                start,  # type: ignore[arg-type]
                ALICE,
                provider="ben",
                idempotency_key=f"key-{i}",
                identity=Identity("telegram", "42"),
            ),
        )
        for i, start in enumerate(_slots(13))
    ]
    assert counts[1:] == [6, 6], wire.statements


async def test_confirming_a_hold_is_eight(wire: Wire) -> None:
    """With a hold store, the rules are read before the transaction (to ask the store for
    others' holds without a transaction open: ``BEGIN``, the service, its resources,
    ``COMMIT``), then the booking has the service already: four."""
    service = BookingService(MemoryHoldStore(), clock=Clock())
    counts = []
    for i, start in enumerate(_slots(9)):
        hold = await service.hold("cut", start, owner=f"o{i}")  # type: ignore[arg-type]
        counts.append(await _trips(wire, service.confirm(hold.token, customer(i), owner=f"o{i}")))
    assert counts[1:] == [8, 8], wire.statements


async def test_bookings_go_on_after_the_server_killed_every_pooled_connection(
    wire: Wire,
) -> None:
    """No check on checkout: the first statement is the check, sent again on a new
    connection when the pooled one is dead (nothing of the booking ran on it)."""
    service = BookingService(clock=Clock())  # the booking's own transaction reads first
    held = BookingService(MemoryHoldStore(), clock=Clock())
    await service.book("cut", at(TUESDAY, 9), customer(0), provider="ana")
    for i, start in enumerate(_slots(10), start=1):
        killer = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
        await killer.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await killer.close()
        if i == 3:
            hold = await held.hold("cut", start, owner="o")  # type: ignore[arg-type]
            await held.confirm(hold.token, customer(i), owner="o")
        else:
            await service.book("cut", start, customer(i), provider="ana" if i == 1 else None)  # type: ignore[arg-type]
    assert await count("booking") == 4


async def test_the_no_show_check_before_a_chat_booking_is_one_round_trip(wire: Wire) -> None:
    """The service's policy and the person's no-shows under every name they are known by
    (chat identity, phone, e-mail) in one query; a lone ``SELECT`` is its connection's
    check, so the pool sends no ping first."""
    service = BookingService(clock=Clock())
    counts = []
    for _ in range(3):
        wire.reset()
        await service.check_no_shows(
            "cut", ALICE, channel="telegram", identity=Identity("telegram", "42")
        )
        counts.append(wire.trips)
    assert counts[1:] == [1, 1], wire.statements
