"""Raw SQL written once for SQLite and PostgreSQL, run on the models' connection.

For reads where building model objects or Tortoise's query terms costs more than the
database does (the admin panel's lists of thousands of bookings). A statement is
written with ``?`` placeholders (none inside string literals); on PostgreSQL they
become ``$1``, ``$2``... Instants are compared as the models store them: ``timestamptz``
on PostgreSQL, UTC ISO text on SQLite (:func:`core.booking_rows.sqlite_text`), so a
parameter goes through :func:`value` and an instant read back through :func:`instant`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from core.booking_rows import sqlite_text
from core.db import connection

__all__ = ["fetch", "instant", "is_postgres", "numbered", "value"]

_PLACEHOLDER = re.compile(r"\?")


def is_postgres() -> bool:
    return bool(connection().capabilities.dialect == "postgres")


def numbered(sql: str, postgres: bool) -> str:
    """``?`` placeholders as PostgreSQL's ``$n``; unchanged for SQLite."""
    if not postgres:
        return sql
    count = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _: f"${next(count)}", sql)


def value(item: Any, postgres: bool) -> Any:
    """A parameter as the models would write it (an instant as UTC text on SQLite)."""
    if isinstance(item, datetime) and not postgres:
        return sqlite_text(item)
    return item


async def fetch(sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """The rows of a ``SELECT``, each indexable by column position."""
    postgres = is_postgres()
    _, rows = await connection().execute_query(
        numbered(sql, postgres), [value(p, postgres) for p in params]
    )
    # Typed as dicts; sqlite3.Row and asyncpg's Record are indexable by position too.
    return cast(list[Sequence[Any]], list(rows))


def instant(read: Any) -> datetime:
    """An instant column as an aware UTC datetime, whichever database returned it (text
    without an offset is UTC, as the models read it)."""
    if isinstance(read, str):
        read = datetime.fromisoformat(read)
    if not isinstance(read, datetime):
        raise TypeError(f"not an instant: {read!r}")
    return read.replace(tzinfo=UTC) if read.tzinfo is None else read.astimezone(UTC)
