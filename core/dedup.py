"""Deliveries already seen: so a platform's resend (Telegram's ``update_id``, Twilio's
``MessageSid``, Slack's ``event_id``) has one effect, in every process.

The protocol has two steps, so that a resend is dropped but a delivery whose
handling failed is not lost:

- :meth:`DeliveryLog.first` claims a key atomically: ``True`` for the first
  claim (handle the delivery), ``False`` for every later one within ``ttl``
  (answer 2xx, do nothing);
- :meth:`DeliveryLog.forget` gives a claim back when handling failed, so the
  platform's next resend is handled.

Channels claim a key only after the request's signature verified, so a forgery
never uses up the id of the genuine delivery that follows it.

Redis (``SET NX EX``) when configured, through the process's circuit breaker;
while Redis is away, the memory log of the process stands in (a resend reaching
another process meanwhile may be handled twice: the rare case, said once in the log).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

from core.circuit import CircuitBreaker, CircuitOpen
from core.redis_client import DEFAULT_TIMEOUT_SECONDS, UNREACHABLE, redis_client

__all__ = ["DeliveryLog", "MemoryDeliveryLog", "RedisDeliveryLog", "make_delivery_log"]

log = logging.getLogger(__name__)

_AWAY: tuple[type[Exception], ...] = (CircuitOpen, *UNREACHABLE)

DEFAULT_TTL = 24 * 3600
"""Telegram resends for up to a day; Twilio and Slack within minutes."""


class DeliveryLog(Protocol):
    async def first(self, key: str, ttl: int = DEFAULT_TTL) -> bool:
        """Claim ``key``: ``True`` the first time within ``ttl`` seconds, else ``False``.
        Atomic across every process that shares the log."""
        ...

    async def forget(self, key: str) -> None:
        """Give the claim back (handling failed): the next delivery is handled."""
        ...

    async def close(self) -> None: ...


class MemoryDeliveryLog:
    """One process's log, bounded: the oldest claims go first when it is full."""

    def __init__(
        self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    async def first(self, key: str, ttl: int = DEFAULT_TTL) -> bool:
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) <= now:
            self._seen.popitem(last=False)  # expired (claims are kept in expiry order)
        expires = self._seen.get(key)
        if expires is not None and expires > now:
            return False
        self._seen[key] = now + ttl
        self._seen.move_to_end(key)
        while len(self._seen) > self._max_keys:
            self._seen.popitem(last=False)
        return True

    async def forget(self, key: str) -> None:
        self._seen.pop(key, None)

    async def close(self) -> None:
        self._seen.clear()


class RedisDeliveryLog:
    """The log in Redis, shared by every process; the memory log while Redis is away."""

    def __init__(
        self, client: Redis, *, prefix: str = "slotwise", breaker: CircuitBreaker | None = None
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:seen:"
        self._breaker = breaker or CircuitBreaker("Redis (deliveries)")
        self._fallback = MemoryDeliveryLog()
        self._owns_client = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "slotwise",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        breaker: CircuitBreaker | None = None,
    ) -> RedisDeliveryLog:
        found = cls(redis_client(url, timeout=timeout), prefix=prefix, breaker=breaker)
        found._owns_client = True
        return found

    async def first(self, key: str, ttl: int = DEFAULT_TTL) -> bool:
        try:
            with self._breaker.guard(UNREACHABLE):
                claimed = await self._client.set(self._prefix + key, b"1", nx=True, ex=ttl)
        except _AWAY:
            return await self._fallback.first(key, ttl)
        return bool(claimed)

    async def forget(self, key: str) -> None:
        await self._fallback.forget(key)
        try:
            with self._breaker.guard(UNREACHABLE):
                await self._client.delete(self._prefix + key)
        except _AWAY:
            pass  # it expires by itself; the memory claim is gone already

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def make_delivery_log(
    redis_url: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    breaker: CircuitBreaker | None = None,
) -> DeliveryLog:
    if not redis_url:
        return MemoryDeliveryLog()
    return RedisDeliveryLog.from_url(redis_url, timeout=timeout, breaker=breaker)
