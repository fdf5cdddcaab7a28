"""The write transaction of every booking change, and the locks taken first in it.

Capacity is checked in Python against rows read inside the transaction, so the
check must see every booking that could conflict, and nothing that conflicts
may be written between the check and our own write. Each database gets that
differently:

PostgreSQL (many processes, many connections): the rows of the resources about
to be used are locked with ``SELECT ... FOR UPDATE`` in id order (one order for
everybody, so two writers can never wait on each other in a cycle) before the
check; every writer of occupancy takes the same locks, so writers of one
resource run one at a time while readers never wait. ``READ COMMITTED`` gives
each statement a fresh snapshot, so the check, run after the lock is granted,
sees what the previous holder committed. ``SET LOCAL lock_timeout`` bounds the
wait: contention becomes a quick, clean refusal instead of a queue. Behind all
this the exclusion constraint (``migrations/0002``) refuses overlapping rows on
capacity-one resources even if some writer forgot the lock.

SQLite (one process; the file's single writer): Tortoise opens transactions
with a deferred ``BEGIN`` and, in one process, runs them one at a time on its
one connection (an ``asyncio.Lock`` held from ``BEGIN`` to ``COMMIT``). The
first statement of every write transaction here is a write (a no-op ``UPDATE``
of the business row), which takes the database's write lock at once, so
another process waits (``busy_timeout``) before it reads anything it will
check, rather than finding out at its first write that it read a stale
snapshot. With the whole file locked there are no row locks to take.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Literal

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionContext
from tortoise.transactions import in_transaction

from core.db import connection
from core.pgclient import CheckedAsyncpgClient, DeferredTransaction

__all__ = ["LockBusy", "Transaction", "is_exclusion_violation", "write_transaction"]

LockedTable = Literal["resource", "booking"]

_CONTENTION = {"55P03", "40P01", "40001"}
"""lock_not_available (lock_timeout), deadlock_detected, serialization_failure."""


class LockBusy(Exception):
    """Someone else holds the locks longer than we wait: the caller answers "taken"."""


def _states(exc: BaseException) -> set[str]:
    """SQLSTATEs and SQLite messages along an exception's cause chain."""
    found: set[str] = set()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            found.add(state)
        if isinstance(current, sqlite3.OperationalError) and "locked" in str(current):
            found.add("sqlite_locked")
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                found |= _states(arg)
        current = current.__cause__ or current.__context__
    return found


def is_contention(exc: BaseException) -> bool:
    return bool(_states(exc) & (_CONTENTION | {"sqlite_locked"}))


def is_exclusion_violation(exc: BaseException) -> bool:
    """The exclusion constraint refused an overlapping occupancy row (SQLSTATE 23P01)."""
    return "23P01" in _states(exc)


class Transaction:
    """A write transaction of the booking service: its connection, and its locks."""

    def __init__(self, conn: BaseDBAsyncClient, lock_timeout: timedelta) -> None:
        self.conn = conn
        self.postgres = conn.capabilities.dialect == "postgres"
        self._timeout_ms = max(1, int(lock_timeout / timedelta(milliseconds=1)))

    async def lock(self, table: LockedTable, ids: Sequence[int]) -> None:
        """Lock these rows for the rest of the transaction, always in id order.

        On PostgreSQL one round trip sets the transaction's ``lock_timeout`` and takes
        the locks (the ids are integers from our own rows, written into the text).
        On SQLite, nothing to do: the transaction holds the whole file's write lock.
        """
        ordered = sorted({int(i) for i in ids})
        if ordered and self.postgres:
            await self._script(
                f"SET LOCAL lock_timeout = '{self._timeout_ms}ms'; "
                f'SELECT "id" FROM "{table}" WHERE "id" IN ({", ".join(map(str, ordered))}) '
                'ORDER BY "id" FOR UPDATE'
            )

    async def lock_resources(self, business_id: int, slugs: Collection[str]) -> None:
        """:meth:`lock` for resources named by slug: before their rows are even read.

        The slugs come from our own service definitions; they are quoted as SQL
        literals (``standard_conforming_strings``: a doubled quote is the only escape).
        """
        if slugs and self.postgres:
            names = ", ".join("'" + slug.replace("'", "''") + "'" for slug in sorted(slugs))
            await self._script(
                f"SET LOCAL lock_timeout = '{self._timeout_ms}ms'; "
                f'SELECT "id" FROM "resource" WHERE "business_id" = {int(business_id)} '
                f'AND "slug" IN ({names}) ORDER BY "id" FOR UPDATE'
            )

    async def _script(self, sql: str) -> None:
        if isinstance(self.conn, DeferredTransaction):
            await self.conn.script(sql)  # with the BEGIN, when it is the first lock
        else:
            await self.conn.execute_script(sql)

    async def begin(self) -> None:
        """Make sure the transaction has begun (a deferred one begins with its first lock):
        before the first write."""
        if isinstance(self.conn, DeferredTransaction):
            await self.conn.ensure_begun()


@asynccontextmanager
async def write_transaction(
    lock_timeout: timedelta, *, deferred: bool = False
) -> AsyncIterator[Transaction]:
    """One transaction, with SQLite's write lock already taken; lock waits longer than
    ``lock_timeout`` (PostgreSQL) raise :class:`LockBusy`.

    ``deferred``: on PostgreSQL, ``BEGIN`` goes with the first lock (one round trip less,
    :class:`~core.pgclient.DeferredTransaction`), so what runs before it are reads on their
    own; the caller calls :meth:`Transaction.begin` before writing. Other errors pass
    unchanged (the transaction is rolled back either way).
    """
    client = connection()
    context: TransactionContext = (
        client.deferred_transaction()
        if deferred
        and isinstance(client, CheckedAsyncpgClient)
        and not isinstance(client, DeferredTransaction)
        else in_transaction()
    )
    try:
        async with context as conn:
            if conn.capabilities.dialect != "postgres":
                await conn.execute_query('UPDATE "business" SET "locale" = "locale"')
            yield Transaction(conn, lock_timeout)
    except LockBusy:
        raise
    except Exception as exc:
        if is_contention(exc):
            raise LockBusy(str(exc)) from exc
        raise
