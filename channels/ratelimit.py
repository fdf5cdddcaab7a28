"""A token bucket per client, in memory: enough to stop one client hoarding holds.

Each process keeps its own buckets; behind several processes a client gets at
most that many times the rate, which still stops hoarding.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else per_minute)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def check(self, client: str) -> int | None:
        """Take one token for ``client``; ``None`` if allowed, else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._buckets.clear()  # a crude bound on memory; buckets refill anyway
            bucket = self._buckets[client] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / self.rate)) if self.rate > 0 else 60

    @classmethod
    def per_hour(cls, per_hour: int, **options: Any) -> RateLimiter:
        """``per_hour`` tokens an hour, all of them usable at once."""
        limiter = cls(per_hour, **options)
        limiter.rate = per_hour / 3600.0
        return limiter
