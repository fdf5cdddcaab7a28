"""Tortoise's asyncpg client, with a pool that never hands out a dead connection, and spends
no round trip on checking or resetting one that is alive.

After a PostgreSQL restart (or ``pg_terminate_backend``) every pooled connection is dead,
and asyncpg notices only when it next reads from one: the first requests would fail. So
the first statement sent on a connection taken from the pool is one that may be sent
again: a dead connection is replaced once, before any statement of the caller's ran on it
(so nothing is ever sent twice). For a transaction that statement is its ``BEGIN``; for a
lone ``SELECT`` it is the ``SELECT`` itself (reading twice changes nothing); for any other
statement outside a transaction it is a ping (``SELECT 1``, one local round trip). Pinging
only connections idle for a while was tried: a restart right after a burst of requests then
still failed them.

A connection given back is not reset (``RESET ALL``, ``UNLISTEN *``... one more round trip
per checkout): nothing here changes the session (settings are ``SET LOCAL``, no ``LISTEN``,
no advisory locks); a transaction left open is still rolled back by asyncpg. Named in
:func:`core.db.tortoise_config` as the PostgreSQL engine.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections

__all__ = ["CheckedAsyncpgClient", "DeferredTransaction", "client_class", "connection_lost"]

_DEAD = (asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.PostgresConnectionError,
         asyncpg.AdminShutdownError,
         OSError)  # fmt: skip
_ALIVE = (TimeoutError, ValueError)
"""Errors among :data:`_DEAD`'s kinds that say nothing of the connection: a timeout (an
``OSError``: a slow statement sent again would double the load of a busy database) and a
value the driver refused (asyncpg's ``DataError`` is an ``InterfaceError``)."""


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection is gone, so the statement may go again on
    another one."""
    return isinstance(exc, _DEAD) and not isinstance(exc, _ALIVE)


_READ = ContextVar("_READ", default=False)
"""Set while a lone ``SELECT`` takes its connection: the ``SELECT`` is the check."""


class _CheckedPool(asyncpg.Pool):  # type: ignore[misc]
    __slots__ = ()  # the same layout as asyncpg's Pool, so an instance can take this class

    async def _acquire(self, timeout: float | None) -> Any:
        if _READ.get():
            return await super()._acquire(timeout)
        for attempt in (1, 2):
            connection = await super()._acquire(timeout)
            try:
                await connection.execute("SELECT 1")
            except _DEAD as exc:
                if not connection_lost(exc):
                    await super().release(connection)
                    raise
                await super().release(connection)  # its holder reconnects next time
                if attempt == 2:
                    raise
                continue
            return connection
        raise AssertionError("unreachable")

    async def unchecked(self) -> Any:
        """A connection as the pool has it, for a caller whose first statement is its check."""
        return await super()._acquire(None)


async def _keep(connection: Any) -> None:
    """The pool's reset: nothing to undo (see the module docstring)."""


class _Transaction(TransactionContextPooled):
    """Tortoise's pooled transaction, whose ``BEGIN`` is the liveness check."""

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool: _CheckedPool = self.client._parent._pool
        for attempt in (1, 2):
            self.client._connection = await pool.unchecked()
            try:
                await self.client.begin()
            except BaseException as exc:
                await pool.release(self.client._connection)  # not kept by a failed BEGIN
                if attempt == 2 or not connection_lost(exc):
                    raise
                continue
            break
        self.token = get_connections().set(self.connection_name, self.client)
        return self.client


class DeferredTransaction(TransactionWrapper):
    """A transaction whose ``BEGIN`` goes with its first lock (:meth:`script`), for the
    booking path: what it reads before locking needs no transaction (each statement of a
    ``READ COMMITTED`` transaction sees a fresh snapshot anyway), and the ``BEGIN`` then
    costs no round trip of its own.

    Until then statements run on their own; the first one is the liveness check (sent once
    more, on a new connection, if the pooled one is dead: only reads are sent before the
    lock, see :func:`core.bookings.locking.write_transaction`).
    """

    begun = False
    _sent = False

    async def begin(self) -> None:
        """Deferred to :meth:`script` or :meth:`ensure_begun`."""

    async def script(self, sql: str) -> None:
        """``sql`` (statements without arguments), after ``BEGIN`` in the same message if
        the transaction has not begun yet."""
        if self.begun:
            await self.execute_script(sql)
            return
        self.begun = True  # even if it fails: the ROLLBACK is then due
        await self._first(self.execute_script, f"BEGIN; {sql}")

    async def ensure_begun(self) -> None:
        if not self.begun:
            await self.script("SELECT 1")

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        return await self._first(super().execute_query, query, values)

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        return await self._first(super().execute_query_dict, query, values)

    async def _first(self, send: Any, *args: Any) -> Any:
        if self._sent:
            return await send(*args)
        try:
            result = await send(*args)
        except _DEAD as exc:
            if not connection_lost(exc):
                raise
            pool = self._parent._pool
            assert isinstance(pool, _CheckedPool)
            await pool.release(self._connection)  # its holder reconnects
            self._connection = await pool.unchecked()
            result = await send(*args)
        self._sent = True
        return result

    async def commit(self) -> None:
        if self.begun:
            await self.execute_script("COMMIT")
        self._finalized = True

    async def rollback(self) -> None:
        if self.begun:
            await self.execute_script("ROLLBACK")
        self._finalized = True


class _Deferred(TransactionContextPooled):
    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        self.client._connection = await self.client._parent._pool.unchecked()
        self.token = get_connections().set(self.connection_name, self.client)
        return self.client


class CheckedAsyncpgClient(AsyncpgDBClient):
    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        if not _reads(query):
            return await super().execute_query(query, values)
        return await _read(super().execute_query, query, values)

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        if not _reads(query):
            return await super().execute_query_dict(query, values)
        return await _read(super().execute_query_dict, query, values)

    async def create_pool(self, **kwargs: Any) -> Any:
        kwargs.setdefault("reset", _keep)
        pool = await super().create_pool(**kwargs)
        pool.__class__ = _CheckedPool  # asyncpg builds its Pool itself; only _acquire changes
        return pool

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(TransactionWrapper(self), self._pool_init_lock)

    def deferred_transaction(self) -> TransactionContext:
        """A transaction that begins with its first lock (:class:`DeferredTransaction`)."""
        return _Deferred(DeferredTransaction(self), self._pool_init_lock)


def _reads(query: str) -> bool:
    return query.lstrip()[:7].upper() == "SELECT "


async def _read(send: Any, query: str, values: list[Any] | None) -> Any:
    """A lone ``SELECT`` on a connection taken unchecked, sent once more (on a checked one)
    if that connection was dead: reading twice changes nothing."""
    token = _READ.set(True)
    try:
        return await send(query, values)
    except _DEAD as exc:
        if not connection_lost(exc):
            raise
        _READ.reset(token)
        token = _READ.set(False)
        return await send(query, values)
    finally:
        _READ.reset(token)


client_class = CheckedAsyncpgClient
