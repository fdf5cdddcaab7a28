"""The conversation stores: what one message leaves, the next finds; old ones are forgotten."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.conversations import (
    ConversationStore,
    MemoryConversations,
    RedisConversations,
    make_conversations,
)
from bot.dialog.state import State

STATE = State(lang="es", zone="Europe/Madrid", stage="when", service="haircut")


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
