"""How Slotwise talks to Redis: short timeouts, a capped pool, and what counts as "unreachable".

Redis is asked while a customer waits (holds, the chat's conversation), so a
dead or stalled server must cost a fraction of a second, not redis-py's
defaults (no socket timeout; three retries with backoff). Together with the
circuit breaker (:mod:`core.circuit`) a stalled Redis costs one ``timeout`` per
cooldown, for the whole process.

redis-py's default pool opens a new connection whenever every open one is busy,
with no upper bound: a burst of 100 concurrent holds opened 100 connections, and
a process per worker times that can reach Redis's ``maxclients``. The pool here
is a blocking one of at most :data:`MAX_CONNECTIONS` per client: a request that
finds them all busy waits for one to come back, which for commands of well under
a millisecond is a short queue, not a failure. Waiting for one of our own
connections is not Redis being away, so the wait is allowed longer than a command
(:func:`pool_wait`); one that still runs out raises redis-py's ``ConnectionError``,
i.e. "unreachable", as during an outage, when the queue stops moving.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_CONNECTIONS",
    "UNREACHABLE",
    "pool_wait",
    "redis_client",
]

DEFAULT_TIMEOUT_SECONDS = 0.5
"""Connect and socket timeout: a healthy Redis nearby answers in well under a millisecond."""

MAX_CONNECTIONS = 16
"""Connections one client (one hold store, one conversation store) opens at most."""

UNREACHABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)
"""What redis-py raises when the server cannot be reached or does not answer in time."""


def pool_wait(timeout: float) -> float:
    """How long a command waits for a free connection of the pool: four command
    timeouts, and never under two seconds (a burst on a busy machine queues that long)."""
    return max(2.0, 4 * timeout)


def redis_client(
    url: str,
    *,
    timeout: float,
    decode_responses: bool = False,
    max_connections: int = MAX_CONNECTIONS,
) -> Redis:
    """A client that gives up on an unreachable server within ``timeout`` seconds, over
    a pool of at most ``max_connections`` connections (waiting :func:`pool_wait` for one).

    A dropped connection (Redis restarted) is retried once, at once; a timeout is
    not: a server that did not answer in time will not answer the second time
    either, and the circuit breaker decides when to ask again.
    """
    if timeout <= 0:
        raise ValueError("the Redis timeout must be positive")
    if max_connections < 1:
        raise ValueError("the Redis pool needs at least one connection")
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_wait(timeout),
        decode_responses=decode_responses,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)  # closing the client closes its pool
