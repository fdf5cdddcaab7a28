"""A token bucket per client, in memory: enough to stop one client hoarding holds.

Each process keeps its own buckets; behind several processes a client gets at
most that many times the rate, which still stops hoarding.

Memory stays bounded under a flood of clients. Buckets are kept in the order
they were last used; a bucket idle long enough to have refilled is the same as
no bucket (a new one starts full), so it is dropped; past ``max_clients`` the
least recently used go first. Both only ever look at the front, one bucket at
a time: the clients in the middle of a burst keep theirs.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
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
        tokens: int,
        *,
        period: float = 60.0,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.rate = tokens / period
        """Tokens per second: ``tokens`` of them every ``period`` seconds (a minute)."""
        self.burst = float(burst if burst is not None else tokens)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._refill = self.burst / self.rate if self.rate > 0 else math.inf
        """Seconds after which an idle bucket is full again, as good as none."""

    def check(self, client: str) -> int | None:
        """Take one token for ``client``; ``None`` if allowed, else seconds to wait."""
        now = self.clock()
        self._drop_refilled(now)
        bucket = self._buckets.get(client)
        if bucket is None:
            while self._buckets and len(self._buckets) >= self.max_clients:
                self._buckets.popitem(last=False)  # the least recently used
            bucket = self._buckets[client] = _Bucket(self.burst, now)
        else:
            self._buckets.move_to_end(client)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / self.rate)) if self.rate > 0 else 60

    def _drop_refilled(self, now: float) -> None:
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.updated < self._refill:
                return
            self._buckets.popitem(last=False)

    @classmethod
    def per_hour(cls, per_hour: int, **options: Any) -> RateLimiter:
        """``per_hour`` tokens an hour, all of them usable at once."""
        return cls(per_hour, period=3600.0, **options)
