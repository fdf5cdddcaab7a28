"""The hold rate limiter: a burst, then one token per 60/rate seconds."""

from __future__ import annotations

from channels.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_wait_then_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock)  # one token every 10 s, burst of 6
    assert [limiter.check("a") for _ in range(6)] == [None] * 6
    assert limiter.check("a") == 10
    assert limiter.check("b") is None  # other clients are not affected
    clock.now = 10.0
    assert limiter.check("a") is None
    assert limiter.check("a") == 10


def test_memory_stays_bounded() -> None:
    limiter = RateLimiter(1, clock=Clock(), max_clients=10)
    for index in range(25):
        limiter.check(f"client-{index}")
    assert len(limiter._buckets) <= 10
