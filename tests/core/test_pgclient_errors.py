"""Which errors let the PostgreSQL client send a statement again on another connection
(core.pgclient): only those that say the connection is gone. A timeout or a value the
driver refused says nothing of it: sending again would double a slow statement's load on a
busy database, or fail the same way twice."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest

from core.pgclient import connection_lost


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (ConnectionResetError(), True),
        (asyncpg.ConnectionDoesNotExistError(), True),
        (asyncpg.AdminShutdownError(), True),
        (asyncpg.InterfaceError("connection is closed"), True),
        (TimeoutError(), False),
        (asyncpg.exceptions.DataError("invalid input for query argument $1"), False),
        (asyncpg.exceptions._base.DataError("invalid input for query argument $1"), False),
        (asyncpg.UniqueViolationError(), False),
        (ValueError(), False),
    ],
)
def test_only_a_lost_connection_lets_a_statement_go_again(error: Exception, lost: bool) -> None:
    assert connection_lost(error) is lost
