"""The chat with Redis dead or stalled: it answers as usual, from memory, and comes back.

Both Redis users share one circuit breaker, as in ``slotwise serve``: whichever
finds Redis away spares the other the wait.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.conversations import RedisConversations
from bot.runner import Chat
from core.bookings import BookingService
from core.circuit import CircuitBreaker
from core.holds import make_hold_store
from tests.bot.conftest import Clock, Talk
from tests.bot.test_conversation import book_haircut
from tests.conftest import TestDatabase
from tests.redis_server import Ticks, private_redis, silent_server

SORRY = "something went wrong"


@asynccontextmanager
async def redis_chat(url: str, clock: Clock, breaker: CircuitBreaker) -> AsyncIterator[Chat]:
    holds = make_hold_store(url, timeout=0.2, breaker=breaker)
    conversations = RedisConversations(url, timeout=0.2, breaker=breaker)
    try:
        bookings = BookingService(holds, clock=clock)
        yield Chat(bookings, conversations, public_url="https://book.example", clock=clock)
    finally:
        await conversations.close()
        await holds.close()


async def test_the_chat_books_as_usual_with_redis_down(
    demo: TestDatabase, clock: Clock, tmp_path: Path
) -> None:
    with private_redis(tmp_path) as server:
        server.kill()
        async with redis_chat(server.url, clock, CircuitBreaker("Redis")) as chat:
            talk = Talk(chat)
            await book_haircut(talk)
            assert talk.text().startswith("Booked! Haircut with Ana")


async def test_with_redis_stalled_a_chat_message_asks_it_once_per_breaker_window(
    demo: TestDatabase, clock: Clock
) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    async with silent_server() as silent, redis_chat(silent.url, clock, breaker) as chat:
        talk = Talk(chat)
        await talk.say("haircut tomorrow afternoon")
        assert "Free times for Haircut" in talk.text()
        await talk.press_first_slot()
        assert "I'm holding" in talk.text(), "held, unstored: the answer does not change"
        await talk.say("Ada Lovelace")
        assert SORRY not in talk.text()
        assert silent.connections == 1
        ticks.now += 5
        await talk.say("my mail is ada@example.com")
        assert "Shall I book it?" in talk.text(), "the conversation went on in memory"
        assert silent.connections == 2


async def test_the_chat_uses_redis_again_when_it_returns(
    demo: TestDatabase, clock: Clock, tmp_path: Path
) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    with private_redis(tmp_path) as server:
        async with redis_chat(server.url, clock, breaker) as chat:
            server.stall()
            talk = Talk(chat)
            await talk.say("haircut tomorrow afternoon")
            assert "Free times for Haircut" in talk.text()
            server.wake()
            ticks.now += 5
            await talk.press_first_slot()
            assert "I'm holding" in talk.text()
            # A second process, Redis only: it finds the conversation and the hold there.
            async with redis_chat(server.url, clock, CircuitBreaker("Redis")) as other:
                again = Talk(other)
                await again.say("Ada Lovelace")
                assert "phone number or e-mail" in again.text()
                await again.say("my mail is ada@example.com")
                await again.press("Confirm")
                assert again.text().startswith("Booked! Haircut with Ana")
