"""Where conversations wait between two messages: in memory, or in Redis with a TTL.

Keyed by channel and user. Redis lets a restarted or second process continue
a dialog; memory is the embedded default. A conversation untouched for the TTL
is forgotten (its hold has long expired by then too). Memory is bounded as
well: past ``max_items`` conversations the least recently stored are forgotten
first, one at a time, so a flood of new sessions cannot grow the process.

Each store also serialises the turns of one conversation (:meth:`turn`): two
messages sent at once ("2" and "yes") are answered one after the other, each
seeing the state the other left, also when two server processes receive them.

When Redis cannot be reached (its circuit breaker, :mod:`core.circuit`, is open
or a call fails), :class:`RedisConversations` keeps going in this process's
memory: the chat still answers, a conversation continues where this process
left it, and other processes may not see it until Redis is back. The fall-back
is logged once (WARNING), and so is the return (INFO). Turns of one conversation
are serialised in this process first and across processes with a Redis lock on
top, so the order within the process holds whichever way Redis goes mid-turn.
After Redis returns, a conversation kept in memory during the outage goes on
from the newer of the two copies (``updated_at``) and moves back to Redis at
its next turn.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError
from redis.asyncio import Redis

from bot.dialog.state import State
from core.circuit import CircuitBreaker, CircuitOpen
from core.errors import ConversationStoreUnavailable
from core.redis_client import DEFAULT_TIMEOUT_SECONDS, UNREACHABLE, redis_client

__all__ = ["ConversationStore", "MemoryConversations", "RedisConversations", "make_conversations"]

log = logging.getLogger("bot.conversations")

_T = TypeVar("_T")

DEFAULT_TTL_SECONDS = 24 * 3600
DEFAULT_MAX_ITEMS = 20_000
"""Conversations one process keeps in memory (a stored state is a few kB)."""
TURN_SECONDS = 30.0
"""Longest one turn may keep its conversation locked (a crashed process's lock expires)."""
TURN_WAIT_SECONDS = 10.0
"""Longest a message waits for the turn before it is answered anyway."""
TURN_POLL_SECONDS = 0.05
"""How often a waiting turn asks whether the conversation's lock is free."""
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
"""Let the lock go only if it is still ours (a turn past TURN_SECONDS lost it)."""


@dataclass(slots=True)
class _Turn:
    """One turn of one conversation in :class:`RedisConversations`, as its task sees it."""

    key: str
    token: str | None
    """The lock's value while this turn holds it; ``None`` once let go (or never taken)."""
    read: bool = False
    """Whether ``raw`` is the state as read with the lock, not yet handed to ``get``."""
    raw: bytes | str | None = None


_TURN: ContextVar[_Turn | None] = ContextVar("conversation_turn", default=None)


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


def _monotonic() -> float:
    return time.monotonic()  # looked up at each call, so tests may replace it


class MemoryConversations:
    """Conversations in a dict ordered by when each was last stored: the oldest, and
    so the first to expire, come first, and eviction only ever looks at the front."""

    def __init__(
        self,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        clock: Callable[[], float] = _monotonic,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._ttl = ttl_seconds
        self._max = max_items
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        """key -> (expires at, state JSON)"""
        self._turns: dict[str, asyncio.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

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
        now = self._clock()
        self._evict(now)
        item = self._items.get(_key(channel, user))
        if item is None or item[0] < now:
            return None
        return _load(item[1])

    async def put(self, channel: str, user: str, state: State) -> None:
        now = self._clock()
        key = _key(channel, user)
        self._items.pop(key, None)  # to the back: stored last
        self._items[key] = (now + self._ttl, state.model_dump_json())
        self._evict(now)

    def forget(self, channel: str, user: str) -> None:
        self._items.pop(_key(channel, user), None)

    async def close(self) -> None:
        self._items.clear()

    def _evict(self, now: float) -> None:
        """Drop expired conversations and the oldest beyond ``max_items``, from the front."""
        while self._items:
            expires, _ = next(iter(self._items.values()))
            if expires >= now and len(self._items) <= self._max:
                return
            self._items.popitem(last=False)


class RedisConversations:
    def __init__(
        self,
        url: str,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        *,
        prefix: str = "slotwise",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        breaker: CircuitBreaker | None = None,
        max_items: int = DEFAULT_MAX_ITEMS,
    ) -> None:
        """``breaker`` is shared with the other Redis users of the process (the hold
        store); without one the store has its own. ``max_items`` bounds the memory
        used while Redis is away."""
        self._redis: Redis = redis_client(url, timeout=timeout)
        self._ttl = ttl_seconds
        self._prefix = prefix
        self._breaker = breaker or CircuitBreaker("Redis (conversations)")
        self._memory = MemoryConversations(ttl_seconds, max_items=max_items)
        self._in_memory = False
        """Whether the last call found Redis away (so the change is logged once)."""

    @asynccontextmanager
    async def turn(self, channel: str, user: str) -> AsyncIterator[None]:
        """The conversation's lock, taken in the same round trip as the read of its state
        (which :meth:`get` then answers from); :meth:`put` writes the state and lets the
        lock go in one more. Two round trips a turn, not four."""
        async with self._memory.turn(channel, user):
            key = _key(channel, user, self._prefix)
            token = secrets.token_hex(16)
            current = _Turn(key, token)
            try:
                await self._take(current, token)
            except ConversationStoreUnavailable:
                current.token = None  # this process's order is all there is now
            reset = _TURN.set(current)
            try:
                yield  # not acquired in time: answer anyway rather than leave the customer waiting
            finally:
                _TURN.reset(reset)
                if current.token is not None:  # not let go by a put
                    with suppress(ConversationStoreUnavailable):
                        await self._call(lambda: self._release(current))

    async def _take(self, current: _Turn, token: str) -> None:
        """Take the turn's lock and read the state while at it; when another turn holds
        the lock, wait for it (at most :data:`TURN_WAIT_SECONDS`) and leave the read to
        :meth:`get`, after the other turn's write."""
        lock, ms = f"{current.key}:turn", int(TURN_SECONDS * 1000)

        async def take_and_read() -> list[Any]:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(lock, token, nx=True, px=ms)
                pipe.get(current.key)
                answers: list[Any] = await pipe.execute()
                return answers

        taken, raw = await self._call(take_and_read)
        if taken:
            current.read, current.raw = True, raw
            return
        deadline = time.monotonic() + TURN_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(TURN_POLL_SECONDS)
            if await self._call(lambda: self._redis.set(lock, token, nx=True, px=ms)):
                return
        current.token = None

    async def _release(self, current: _Turn) -> None:
        await self._redis.eval(_RELEASE, 1, f"{current.key}:turn", current.token or "")

    async def get(self, channel: str, user: str) -> State | None:
        kept = await self._memory.get(channel, user)  # only ever there from an outage
        key = _key(channel, user, self._prefix)
        current = _TURN.get()
        try:
            if current is not None and current.key == key and current.read:
                current.read = False  # read with the lock, under it: nobody wrote since
                raw = current.raw
            else:
                raw = await self._call(lambda: self._redis.get(key))
        except ConversationStoreUnavailable:
            return kept
        stored = _load(raw)
        if kept is None or stored is None:
            return stored if kept is None else kept
        return stored if _at(stored) > _at(kept) else kept

    async def put(self, channel: str, user: str, state: State) -> None:
        key = _key(channel, user, self._prefix)
        current = _TURN.get()
        ours = current is not None and current.key == key and current.token is not None

        async def write() -> None:
            if not ours or current is None:
                await self._redis.set(key, state.model_dump_json(), ex=self._ttl)
                return
            # The write ends the turn for the other processes: they read what it wrote.
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(key, state.model_dump_json(), ex=self._ttl)
                pipe.eval(_RELEASE, 1, f"{key}:turn", current.token or "")
                await pipe.execute()
            current.token = None

        try:
            await self._call(write)
        except ConversationStoreUnavailable:
            await self._memory.put(channel, user, state)
        else:
            self._memory.forget(channel, user)

    async def close(self) -> None:
        await self._memory.close()
        await self._redis.aclose()

    async def _call(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """One Redis call through the breaker. Redis errors are translated here, at the
        boundary: :class:`~core.errors.ConversationStoreUnavailable` when Redis did not serve
        the call (its callers then use memory), never a raw redis exception."""
        try:
            with self._breaker.guard(UNREACHABLE):
                result = await call()
        except CircuitOpen as exc:
            self._away(exc.__cause__)
            raise ConversationStoreUnavailable(
                f"the conversation store (Redis) was unreachable moments ago: {exc.__cause__}"
            ) from exc
        except UNREACHABLE as exc:
            self._away(exc)
            raise ConversationStoreUnavailable(
                f"the conversation store (Redis) cannot be reached: {exc}"
            ) from exc
        if self._in_memory:
            self._in_memory = False
            log.info("Redis answers again: conversations are stored in Redis again")
        return result

    def _away(self, why: BaseException | None) -> None:
        if not self._in_memory:
            self._in_memory = True
            log.warning(
                "Redis unreachable (%s): conversations are kept in this process's memory "
                "until it answers again",
                why,
            )


def _at(state: State) -> float:
    return state.updated_at.timestamp() if state.updated_at is not None else float("-inf")


def make_conversations(
    redis_url: str | None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    *,
    prefix: str = "slotwise",
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    breaker: CircuitBreaker | None = None,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> ConversationStore:
    if redis_url:
        return RedisConversations(
            redis_url,
            ttl_seconds,
            prefix=prefix,
            timeout=timeout,
            breaker=breaker,
            max_items=max_items,
        )
    return MemoryConversations(ttl_seconds, max_items=max_items)
