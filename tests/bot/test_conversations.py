"""The conversation stores: what one message leaves, the next finds; old ones are forgotten."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.conversations import (
    ConversationStore,
    MemoryConversations,
    RedisConversations,
    make_conversations,
)
from bot.dialog.state import State
from core.circuit import CircuitBreaker
from tests.redis_server import Ticks, private_redis, silent_server

STATE = State(lang="es", zone="Europe/Madrid", stage="when", service="haircut")
WHEN = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ConversationStore]:
    if request.param == "memory":
        made: ConversationStore = MemoryConversations(ttl_seconds=60)
    else:
        url: str = request.getfixturevalue("redis_url")
        made = RedisConversations(url, 60, prefix=f"test-{secrets.token_hex(4)}")
    yield made
    await made.close()


async def test_a_state_comes_back_as_it_was_put(store: ConversationStore) -> None:
    assert await store.get("web", "u1") is None
    await store.put("web", "u1", STATE)
    assert await store.get("web", "u1") == STATE
    assert await store.get("web", "u2") is None
    assert await store.get("telegram", "u1") is None, "keyed by channel and user"


async def test_memory_forgets_after_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryConversations(ttl_seconds=60)
    await store.put("web", "u1", STATE)
    later = time.monotonic() + 61
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert await store.get("web", "u1") is None


async def test_redis_sets_the_ttl(redis_url: str) -> None:
    prefix = f"test-{secrets.token_hex(4)}"
    store = RedisConversations(redis_url, 90, prefix=prefix)
    client = Redis.from_url(redis_url)
    try:
        await store.put("web", "u1", STATE)
        assert 0 < await client.ttl(f"{prefix}:chat:web:u1") <= 90
    finally:
        await client.aclose()
        await store.close()


async def test_a_state_from_an_incompatible_version_starts_over() -> None:
    store = MemoryConversations()
    await store.put("web", "u1", STATE)
    key = next(iter(store._items))
    expires, _raw = store._items[key]
    store._items[key] = (expires, '{"version": 99, "lang": "en"}')
    assert await store.get("web", "u1") is None


def test_settings_choose_the_store() -> None:
    assert isinstance(make_conversations(None), MemoryConversations)
    assert isinstance(make_conversations("redis://127.0.0.1:6379/15"), RedisConversations)


async def test_turns_of_one_conversation_take_turns(store: ConversationStore) -> None:
    order: list[str] = []

    async def turn(name: str, pause: float) -> None:
        async with store.turn("web", "u1"):
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            order.append(f"{name} out")

    await asyncio.gather(turn("first", 0.05), turn("second", 0))
    # One after the other; which goes first is the store's business (Redis: who asks first).
    first, second = order[0].split()[0], order[2].split()[0]
    assert order == [f"{first} in", f"{first} out", f"{second} in", f"{second} out"]
    assert {first, second} == {"first", "second"}


async def test_other_conversations_do_not_wait(store: ConversationStore) -> None:
    async with store.turn("web", "u1"):
        await asyncio.wait_for(_enter(store, "web", "u2"), timeout=1)


async def _enter(store: ConversationStore, channel: str, user: str) -> None:
    async with store.turn(channel, user):
        pass


# --- two processes on one Redis -------------------------------------------------------------


@pytest.fixture
async def two_processes(redis_url: str) -> AsyncIterator[tuple[RedisConversations, ...]]:
    prefix = f"test-{secrets.token_hex(4)}"
    stores = tuple(RedisConversations(redis_url, 60, prefix=prefix) for _ in range(2))
    yield stores
    for made in stores:
        await made.close()


async def test_a_turn_waiting_in_another_process_reads_what_the_first_wrote(
    two_processes: tuple[RedisConversations, ...],
) -> None:
    """The state read with the lock is never the one from before another turn's write."""
    one, two = two_processes
    await one.put("web", "u1", STATE)
    later = STATE.model_copy(update={"stage": "slots"})
    seen: list[State | None] = []

    async def second() -> None:
        async with two.turn("web", "u1"):
            seen.append(await two.get("web", "u1"))

    async with one.turn("web", "u1"):
        assert await one.get("web", "u1") == STATE
        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.2)
        assert not seen  # still waiting for the turn
        await one.put("web", "u1", later)
        await asyncio.wait_for(waiting, timeout=2)  # the write let the turn go
    assert seen == [later]


async def test_the_state_read_with_the_lock_is_handed_out_once(
    two_processes: tuple[RedisConversations, ...],
) -> None:
    one, two = two_processes
    await one.put("web", "u1", STATE)
    async with one.turn("web", "u1"):
        assert await one.get("web", "u1") == STATE
        changed = STATE.model_copy(update={"lang": "de"})
        await two.put("web", "u1", changed)  # outside any turn (as an operator's tool may)
        assert await one.get("web", "u1") == changed
        assert await one.get("web", "u2") is None  # another conversation: its own read


async def test_a_turn_is_two_round_trips_and_lets_the_lock_go_without_a_write(
    two_processes: tuple[RedisConversations, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = two_processes
    calls = 0
    call = one._call

    async def counted(work: Any) -> Any:
        nonlocal calls
        calls += 1
        return await call(work)

    monkeypatch.setattr(one, "_call", counted)
    async with one.turn("web", "u1"):
        assert await one.get("web", "u1") is None
        await one.put("web", "u1", STATE)
    assert calls == 2
    async with one.turn("web", "u1"):
        pass  # no write: the lock is let go on the way out
    await asyncio.wait_for(_enter(two, "web", "u1"), timeout=1)
    async with two.turn("web", "u1"):
        assert await two.get("web", "u1") == STATE


# --- bounded memory ------------------------------------------------------------------------


async def test_memory_forgets_the_oldest_beyond_its_size_one_at_a_time() -> None:
    ticks = Ticks()
    store = MemoryConversations(ttl_seconds=60, max_items=3, clock=ticks)
    for user in ("u1", "u2", "u3"):
        await store.put("web", user, STATE)
        ticks.now += 1
    await store.put("web", "u1", STATE)  # stored again: now the newest
    await store.put("web", "u4", STATE)
    assert len(store) == 3
    assert await store.get("web", "u2") is None, "the oldest went"
    for user in ("u1", "u3", "u4"):
        assert await store.get("web", user) == STATE
    for index in range(100):  # a flood of sessions
        await store.put("web", f"flood-{index}", STATE)
        assert len(store) <= 3
    assert await store.get("web", "flood-99") == STATE
    assert await store.get("web", "flood-97") == STATE


async def test_memory_drops_expired_conversations_without_being_asked_about_them() -> None:
    ticks = Ticks()
    store = MemoryConversations(ttl_seconds=60, max_items=1000, clock=ticks)
    for index in range(10):
        await store.put("web", f"old-{index}", STATE)
    ticks.now += 30
    await store.put("web", "young", STATE)
    ticks.now += 31
    await store.put("web", "new", STATE)
    assert len(store) == 2
    assert await store.get("web", "young") == STATE


# --- Redis stalled or down -----------------------------------------------------------------


def later(state: State, seconds: int) -> State:
    return state.model_copy(update={"updated_at": WHEN + timedelta(seconds=seconds)})


async def test_conversations_continue_in_memory_while_redis_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    with private_redis(tmp_path) as server:
        store = RedisConversations(server.url, 60, timeout=0.2, breaker=breaker)
        try:
            await store.put("web", "u1", later(STATE, 0))
            server.kill()
            with caplog.at_level(logging.INFO, logger="bot.conversations"):
                assert await store.get("web", "u1") is None  # Redis had it; memory has not
                for second in range(1, 50):
                    async with store.turn("web", "u1"):
                        await store.put("web", "u1", later(STATE, second))
                        assert await store.get("web", "u1") == later(STATE, second)
                    ticks.now += 0.5  # ten breaker windows: a failed probe in each
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            fallbacks = [r for r in warnings if r.name == "bot.conversations"]
            assert len(fallbacks) == 1, "said once, not once per message"
            assert "kept in this process's memory" in fallbacks[0].getMessage()
            assert [r.name for r in warnings] == ["core.circuit", "bot.conversations"]
        finally:
            await store.close()


async def test_conversations_go_back_to_redis_when_it_answers_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    with private_redis(tmp_path) as server:
        store = RedisConversations(server.url, 60, prefix="back", timeout=0.2, breaker=breaker)
        client = Redis.from_url(server.url)
        try:
            await store.put("web", "u1", later(STATE, 0))
            server.stall()
            await store.put("web", "u1", later(STATE, 1))  # times out: kept in memory
            server.wake()
            assert await store.get("web", "u1") == later(STATE, 1), "memory, the newer"
            ticks.now += 5
            with caplog.at_level(logging.INFO, logger="bot.conversations"):
                assert await store.get("web", "u1") == later(STATE, 1), "still the newer one"
                await store.put("web", "u1", later(STATE, 2))
                await store.put("web", "u1", later(STATE, 3))
            stored = State.model_validate_json(await client.get("back:chat:web:u1"))
            assert stored == later(STATE, 3), "written to Redis again"
            assert await store.get("web", "u1") == later(STATE, 3)
            (recovered,) = [
                r
                for r in caplog.records
                if r.name == "bot.conversations" and r.levelno == logging.INFO
            ]
            assert "stored in Redis again" in recovered.getMessage()
        finally:
            await client.aclose()
            await store.close()


async def test_a_stalled_redis_is_asked_once_per_breaker_window_by_the_chat_store() -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    async with silent_server() as silent:
        store = RedisConversations(silent.url, 60, timeout=0.2, breaker=breaker)
        try:
            for second in range(5):
                async with store.turn("web", "u1"):
                    assert await store.get("web", "u1") == (
                        later(STATE, second - 1) if second else None
                    )
                    await store.put("web", "u1", later(STATE, second))
            assert silent.connections == 1
            ticks.now += 5
            async with store.turn("web", "u1"):
                assert await store.get("web", "u1") == later(STATE, 4)
            assert silent.connections == 2
        finally:
            await store.close()


async def test_turns_keep_their_order_in_memory_while_redis_is_down(tmp_path: Path) -> None:
    with private_redis(tmp_path) as server:
        store = RedisConversations(server.url, 60, timeout=0.2)
        server.kill()
        try:
            order: list[str] = []

            async def turn(name: str) -> None:
                async with store.turn("web", "u1"):
                    order.append(f"{name} in")
                    await asyncio.sleep(0.01)
                    order.append(f"{name} out")

            await asyncio.gather(*(turn(str(n)) for n in range(5)))
            ins = [entry for entry in order if entry.endswith(" in")]
            assert order == [e for name in ins for e in (name, name.replace(" in", " out"))]
            assert ins == [f"{n} in" for n in range(5)], "in the order they came"
        finally:
            await store.close()
