"""Slot holds: short leases that keep a chosen slot out of everyone else's hands.

One :class:`HoldStore` interface, two stores: in memory (one process) and Redis
(several processes). Holds improve the experience; the database is what
guarantees that capacity is never exceeded.
"""

from core.circuit import CircuitBreaker
from core.holds.base import Hold, HoldStore, HoldStoreUnavailable, new_hold_token
from core.holds.memory import MemoryHoldStore
from core.holds.redis import RedisHoldStore
from core.redis_client import DEFAULT_TIMEOUT_SECONDS

__all__ = [
    "Hold",
    "HoldStore",
    "HoldStoreUnavailable",
    "MemoryHoldStore",
    "RedisHoldStore",
    "make_hold_store",
    "new_hold_token",
]


def make_hold_store(
    redis_url: str | None,
    *,
    prefix: str = "slotwise",
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    breaker: CircuitBreaker | None = None,
) -> HoldStore:
    """The store the settings ask for: Redis when a URL is given, else memory.

    An empty URL counts as none, because an unset variable in ``.env`` often
    arrives as an empty string. ``timeout`` (seconds) and ``breaker`` are Redis's
    (see :mod:`core.holds.redis`).
    """
    if not redis_url:
        return MemoryHoldStore()
    return RedisHoldStore.from_url(redis_url, prefix=prefix, timeout=timeout, breaker=breaker)
