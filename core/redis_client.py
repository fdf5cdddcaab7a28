"""How Slotwise talks to Redis: short timeouts, and what counts as "unreachable".

Redis is asked while a customer waits (holds, the chat's conversation), so a
dead or stalled server must cost a fraction of a second, not redis-py's
defaults (no socket timeout; three retries with backoff). Together with the
circuit breaker (:mod:`core.circuit`) a stalled Redis costs one ``timeout`` per
cooldown, for the whole process.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "UNREACHABLE", "redis_client"]

DEFAULT_TIMEOUT_SECONDS = 0.5
"""Connect and socket timeout: a healthy Redis nearby answers in well under a millisecond."""

UNREACHABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
"""What redis-py raises when the server cannot be reached or does not answer in time."""


def redis_client(url: str, *, timeout: float, decode_responses: bool = False) -> Redis:
    """A client that gives up on an unreachable server within ``timeout`` seconds.

    A dropped connection (Redis restarted) is retried once, at once; a timeout is
    not: a server that did not answer in time will not answer the second time
    either, and the circuit breaker decides when to ask again.
    """
    if timeout <= 0:
        raise ValueError("the Redis timeout must be positive")
    return Redis.from_url(
        url,
        decode_responses=decode_responses,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
    )
