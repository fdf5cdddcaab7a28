"""Tortoise's asyncpg client, with a pool that never hands out a dead connection.

After a PostgreSQL restart (or ``pg_terminate_backend``) every pooled connection is dead,
and asyncpg notices only when it next reads from one: the first requests would fail. Here
a connection is pinged (``SELECT 1``, one local round trip) when it is taken from the pool,
and a dead one is replaced once, before any statement of the caller's ran on it (so nothing
is ever sent twice). Pinging only connections idle for a while was tried: a restart right
after a burst of requests then still failed them. Named in
:func:`core.db.tortoise_config` as the PostgreSQL engine.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.asyncpg.client import AsyncpgDBClient

__all__ = ["client_class"]

_DEAD = (asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.PostgresConnectionError,
         asyncpg.AdminShutdownError,
         OSError)  # fmt: skip


class _CheckedPool(asyncpg.Pool):  # type: ignore[misc]
    __slots__ = ()  # the same layout as asyncpg's Pool, so an instance can take this class

    async def _acquire(self, timeout: float | None) -> Any:
        for attempt in (1, 2):
            connection = await super()._acquire(timeout)
            try:
                await connection.execute("SELECT 1")
            except _DEAD:
                await super().release(connection)  # its holder reconnects next time
                if attempt == 2:
                    raise
                continue
            return connection
        raise AssertionError("unreachable")


class CheckedAsyncpgClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> Any:
        pool = await super().create_pool(**kwargs)
        pool.__class__ = _CheckedPool  # asyncpg builds its Pool itself; only _acquire changes
        return pool


client_class = CheckedAsyncpgClient
