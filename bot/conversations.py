"""Where conversations wait between two messages: in memory, or in Redis with a TTL.

Keyed by channel and user. Redis lets a restarted or second process continue
a dialog; memory is the embedded default. A conversation untouched for the TTL
is forgotten (its hold has long expired by then too).

Each store also serialises the turns of one conversation (:meth:`turn`): two
messages sent at once ("2" and "yes") are answered one after the other, each
seeing the state the other left, also when two server processes receive them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import LockError

from bot.dialog.state import State

__all__ = ["ConversationStore", "MemoryConversations", "RedisConversations", "make_conversations"]

DEFAULT_TTL_SECONDS = 24 * 3600
TURN_SECONDS = 30.0
"""Longest one turn may keep its conversation locked (a crashed process's lock expires)."""
TURN_WAIT_SECONDS = 10.0
"""Longest a message waits for the turn before it is answered anyway."""


class ConversationStore(Protocol):
    async def get(self, channel: str, user: str) -> State | None: ...

    async def put(self, channel: str, user: str, state: State) -> None: ...

    def turn(self, channel: str, user: str) -> AbstractAsyncContextManager[None]:
        """Hold the conversation for one turn (load, step, store)."""
        ...

    async def close(self) -> None: ...


def _key(channel: str, user: str, prefix: str = "slotwise") -> str:
    return f"{prefix}:chat:{channel}:{user}"


def _load(raw: str | bytes | None) -> State | None:
    """A stored state, or ``None`` for one written by an incompatible version."""
    if raw is None:
        return None
    try:
        return State.model_validate_json(raw)
    except ValidationError:
        return None


class MemoryConversations:
    def __init__(self, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._ttl = ttl_seconds
        self._items: dict[str, tuple[float, str]] = {}
        self._turns: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, channel: str, user: str) -> AsyncIterator[None]:
        key = _key(channel, user)
        lock = self._turns.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked():
                self._turns.pop(key, None)

    async def get(self, channel: str, user: str) -> State | None:
        item = self._items.get(_key(channel, user))
        if item is None or item[0] < time.monotonic():
            return None
        return _load(item[1])

    async def put(self, channel: str, user: str, state: State) -> None:
        now = time.monotonic()
        if len(self._items) > 10_000:  # forget the expired ones now and then
            self._items = {k: v for k, v in self._items.items() if v[0] >= now}
        self._items[_key(channel, user)] = (now + self._ttl, state.model_dump_json())

    async def close(self) -> None:
        self._items.clear()


class RedisConversations:
    def __init__(
        self, url: str, ttl_seconds: int = DEFAULT_TTL_SECONDS, *, prefix: str = "slotwise"
    ) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._ttl = ttl_seconds
        self._prefix = prefix

    @asynccontextmanager
    async def turn(self, channel: str, user: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            f"{_key(channel, user, self._prefix)}:turn",
            timeout=TURN_SECONDS,
            blocking_timeout=TURN_WAIT_SECONDS,
        )
        acquired = await lock.acquire()
        try:
            yield  # not acquired in time: answer anyway rather than leave the customer waiting
        finally:
            if acquired:
                with suppress(LockError):  # the turn outlived TURN_SECONDS; the lock expired
                    await lock.release()

    async def get(self, channel: str, user: str) -> State | None:
        raw: bytes | str | None = await self._redis.get(_key(channel, user, self._prefix))
        return _load(raw)

    async def put(self, channel: str, user: str, state: State) -> None:
        key = _key(channel, user, self._prefix)
        await self._redis.set(key, state.model_dump_json(), ex=self._ttl)

    async def close(self) -> None:
        await self._redis.aclose()


def make_conversations(
    redis_url: str | None, ttl_seconds: int = DEFAULT_TTL_SECONDS, *, prefix: str = "slotwise"
) -> ConversationStore:
    if redis_url:
        return RedisConversations(redis_url, ttl_seconds, prefix=prefix)
    return MemoryConversations(ttl_seconds)
