"""Bookings with a stalled or dead Redis: no waiting in a transaction, one try per window.

The hold store is real: a private ``redis-server`` that is killed, or a server
that accepts connections and never answers (a stalled Redis whose attempts can
be counted). The circuit breaker's clock is moved by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core import models as m
from core.bookings import BookingService, CustomerInput
from core.bookings.tokens import UNSTORED
from core.businessfile import load_business_file
from core.circuit import CircuitBreaker
from core.holds import HoldStore, make_hold_store
from core.store import replace_business
from slotwise.cli import DEMO_FILE
from tests.conftest import TestDatabase
from tests.redis_server import SilentServer, Ticks, private_redis, silent_server

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""Monday; the demo salon's Ana works Tuesday from 09:00 Berlin."""
TUESDAY_NOON = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


@pytest.fixture
async def demo(db: TestDatabase) -> TestDatabase:
    await replace_business(load_business_file(DEMO_FILE))
    return db


@pytest.fixture
async def silent() -> AsyncIterator[SilentServer]:
    async with silent_server() as server:
        yield server


def service(store: HoldStore) -> BookingService:
    return BookingService(store, clock=lambda: NOW)


def hold(bookings: BookingService, owner: str = "alice") -> Awaitable[object]:
    return bookings.hold("haircut", TUESDAY_NOON, owner=owner)


def offer(bookings: BookingService, owner: str = "alice") -> Awaitable[object]:
    return bookings.offer("haircut", date(2026, 12, 1), date(2026, 12, 1), owner=owner)


def book(bookings: BookingService, owner: str = "alice") -> Awaitable[object]:
    return bookings.book("haircut", TUESDAY_NOON, CustomerInput("Ada", email="ada@example.com"))


@pytest.mark.parametrize("ask", [hold, offer, book], ids=["hold", "slot query", "booking"])
async def test_a_stalled_hold_store_does_not_keep_the_database_waiting(
    demo: TestDatabase,
    silent: SilentServer,
    ask: Callable[[BookingService], Awaitable[object]],
) -> None:
    # A long timeout, so that the order of events below shows where the wait is.
    store = make_hold_store(silent.url, timeout=1.5, breaker=CircuitBreaker("Redis"))
    try:
        asking = asyncio.ensure_future(ask(service(store)))
        await asyncio.wait_for(silent.received.wait(), timeout=10)  # waiting for Redis now
        # SQLite: one connection, locked from BEGIN to COMMIT. A transaction left open
        # across the Redis call would keep this read waiting until the timeout.
        assert await m.Service.all().count() > 0
        assert not asking.done(), "the read finished while the request still waited for Redis"
        await asking  # answers anyway: holds are off, not the booking
    finally:
        await store.close()


async def test_with_redis_stalled_holds_and_slot_queries_ask_it_once_per_breaker_window(
    demo: TestDatabase, silent: SilentServer
) -> None:
    ticks = Ticks()
    store = make_hold_store(
        silent.url, timeout=0.2, breaker=CircuitBreaker("Redis", cooldown=5, clock=ticks)
    )
    bookings = service(store)
    try:
        for index in range(3):
            taken = await bookings.hold("haircut", TUESDAY_NOON, owner=f"customer-{index}")
            assert taken.token.startswith(UNSTORED), "holds are off, the answer is not"
            assert await offer(bookings)
        assert silent.connections == 1
        ticks.now += 5
        for index in range(3):
            await bookings.hold("haircut", TUESDAY_NOON, owner=f"later-{index}")
            await offer(bookings)
        assert silent.connections == 2
    finally:
        await store.close()


async def test_holds_are_stored_in_redis_again_once_it_answers(
    demo: TestDatabase, tmp_path: Path
) -> None:
    ticks = Ticks()
    with private_redis(tmp_path) as server:
        store = make_hold_store(
            server.url, timeout=0.2, breaker=CircuitBreaker("Redis", cooldown=5, clock=ticks)
        )
        bookings = service(store)
        try:
            server.kill()
            unstored = await bookings.hold("haircut", TUESDAY_NOON, owner="alice")
            assert unstored.token.startswith(UNSTORED)
            server.start()
            ticks.now += 5
            again = await bookings.hold("haircut", TUESDAY_NOON, owner="bob")
            assert not again.token.startswith(UNSTORED)
            assert await store.get(again.token, NOW) == again
            await bookings.hold("haircut", TUESDAY_NOON, owner="carol")  # Ana and Ben: full
            slots = await bookings.offer("haircut", date(2026, 12, 1), date(2026, 12, 1))
            assert TUESDAY_NOON not in {s.start for s in slots}, "stored holds count again"
        finally:
            await store.close()
