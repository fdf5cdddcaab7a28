"""Fixtures for tests that need the real services: the database and Redis.

``db`` runs a test once per database backend: SQLite always, PostgreSQL too
when ``SLOTWISE_TEST_DATABASE_URL`` names one (its ``public`` schema is
dropped and rebuilt by the migrations at the start of the session, so point
it at a throwaway database). Migrations run once per session per backend,
never ``generate_schemas``: the exclusion constraint exists only in a
migration. Each test then starts from empty tables and fresh ids: a copy of
the migrated SQLite file, or the PostgreSQL tables emptied.

``redis_url`` is ``SLOTWISE_TEST_REDIS_URL``; tests that take it skip without it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

import pytest

from core.db import close_db, migrate, open_db

POSTGRES_URL = os.environ.get("SLOTWISE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("SLOTWISE_TEST_REDIS_URL", "")
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]

_NOT_EMPTIED = ("tortoise_migrations",)


@dataclass(frozen=True)
class TestDatabase:
    """The database a test runs on, already open (Tortoise models work) and empty."""

    __test__ = False  # not a test class, despite the name

    url: str
    backend: str
    """``"sqlite"`` or ``"postgres"``."""

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgres"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


async def _reset_postgres_schema(url: str) -> str:
    """Rebuild the test database from the migrations; return the SQL that empties it.

    ``TRUNCATE`` of every table takes ~200 ms on PostgreSQL (new files for each
    table); deleting the few rows a test made, children before parents, and
    restarting the sequences takes ~4 ms, so that is what runs before each test.
    """
    import asyncpg

    dsn = url.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    await migrate(url)
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r[0]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        links = await conn.fetch(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        )
        sequences = [
            r[0]
            for r in await conn.fetch(
                "SELECT relname FROM pg_class WHERE relkind = 'S' "
                "AND relnamespace = 'public'::regnamespace"
            )
        ]
    finally:
        await conn.close()
    referenced_by: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in links:
        if child != parent:
            referenced_by[parent].add(child)
    order = [t for t in TopologicalSorter(referenced_by).static_order() if t not in _NOT_EMPTIED]
    statements = [f'DELETE FROM "{t}"' for t in order]
    statements += [
        f"SELECT setval('\"{s}\"', 1, false)" for s in sequences if not s.startswith(_NOT_EMPTIED)
    ]
    return "; ".join(statements)


@pytest.fixture(scope="session")
def _postgres_emptying_sql() -> str:
    return asyncio.run(_reset_postgres_schema(POSTGRES_URL))


@pytest.fixture(params=BACKENDS)
def _backend(request: pytest.FixtureRequest) -> str:
    """Sync on purpose: the session fixtures it pulls in run their own event loop."""
    backend: str = request.param
    request.getfixturevalue("_sqlite_template" if backend == "sqlite" else "_postgres_emptying_sql")
    return backend


@pytest.fixture
async def db(
    request: pytest.FixtureRequest, _backend: str, tmp_path: Path
) -> AsyncIterator[TestDatabase]:
    if _backend == "sqlite":
        path = tmp_path / "slotwise.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        database = TestDatabase(f"sqlite://{path}", _backend)
        await open_db(database.url)
    else:
        emptying: str = request.getfixturevalue("_postgres_emptying_sql")
        database = TestDatabase(POSTGRES_URL, _backend)
        ctx = await open_db(database.url)
        await ctx.db().execute_script(emptying)
    try:
        yield database
    finally:
        await close_db()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("SLOTWISE_TEST_REDIS_URL is not set")
    return REDIS_URL


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, _backend: str, tmp_path: Path) -> str:
    """The URL of an empty, migrated database that the test opens itself (e.g. through
    the ``slotwise`` command), once per backend."""
    if _backend == "sqlite":
        path = tmp_path / "slotwise.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite://{path}"
    emptying: str = request.getfixturevalue("_postgres_emptying_sql")

    async def empty() -> None:
        ctx = await open_db(POSTGRES_URL)
        try:
            await ctx.db().execute_script(emptying)
        finally:
            await close_db()

    asyncio.run(empty())
    return POSTGRES_URL
