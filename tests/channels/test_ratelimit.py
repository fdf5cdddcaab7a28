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


def test_a_full_limiter_forgets_the_least_recently_used_client_not_everyone() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock, max_clients=3)  # refills in 60 s
    for _ in range(6):
        limiter.check("hoarder")
    assert limiter.check("hoarder") == 10
    limiter.check("b")
    limiter.check("c")
    limiter.check("hoarder")  # used last now
    limiter.check("d")  # a fourth client: "b", the least recently used, goes
    assert list(limiter._buckets) == ["c", "hoarder", "d"]
    assert limiter.check("hoarder") == 10, "the hoarder's empty bucket was kept"
    for index in range(100):  # a flood of new clients
        limiter.check(f"flood-{index}")
        assert len(limiter._buckets) <= 3


def test_an_idle_client_is_forgotten_once_its_bucket_would_be_full_again() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock=clock)  # burst 6, refills in 60 s
    for index in range(5):
        limiter.check(f"idle-{index}")
    clock.now = 30.0
    limiter.check("recent")
    clock.now = 60.0
    limiter.check("now")
    assert list(limiter._buckets) == ["recent", "now"]
    # Forgetting changed nothing: a new bucket starts as full as the old one would be.
    assert [limiter.check("idle-0") for _ in range(6)] == [None] * 6
    assert limiter.check("idle-0") == 10
