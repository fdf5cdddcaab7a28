"""An upgrade keeps the bookings: a database at the previous schema (every migration but
the newest), with bookings in it, is brought to this release by ``slotwise migrate``.

The previous schema is made by rolling the newest migration back on a database this
release filled (no older release is installed here to make one), so the test always
covers the newest migration's way up, with data in every table it may touch."""

from __future__ import annotations

import asyncio
from typing import Any

from click.testing import CliRunner
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from core.db import _prepare, connection, database
from slotwise.cli import main
from slotwise.health import expected_migrations
from tests.slotwise.test_backup import populate, still_works, tables


async def row_counts(url: str) -> dict[str, int]:
    async with database(url):
        counts = {}
        for table in await tables(url):
            _, rows = await connection().execute_query(f'SELECT COUNT(*) AS n FROM "{table}"')
            counts[table] = int(next(iter(rows[0])))
    return counts


async def roll_back_to(url: str, name: str) -> None:
    config: dict[str, Any] = _prepare(url)
    for settings in config["connections"].values():
        # SQLite rebuilds a table to drop a column; its children must not stop it.
        credentials = settings.get("credentials", {}) if isinstance(settings, dict) else {}
        if "foreign_keys" in credentials:
            credentials["foreign_keys"] = "OFF"
    async with TortoiseContext():
        await tortoise_migrate(config=config, target=f"models.{name}")


async def applied(url: str) -> set[str]:
    async with database(url):
        _, rows = await connection().execute_query(
            "SELECT name FROM tortoise_migrations WHERE app = 'models'"
        )
    return {str(next(iter(row))) for row in rows}


def test_migrate_brings_the_previous_schema_up_with_its_bookings(empty_db_url: str) -> None:
    newest, previous = sorted(expected_migrations())[-1:-3:-1]
    tokens = asyncio.run(populate(empty_db_url))
    try:
        asyncio.run(roll_back_to(empty_db_url, previous))
        assert newest not in asyncio.run(applied(empty_db_url))
        before = asyncio.run(row_counts(empty_db_url))
        result = CliRunner().invoke(main, ["migrate", "--db", empty_db_url])
        assert result.exit_code == 0, result.output
    finally:
        asyncio.run(_current(empty_db_url))
    assert asyncio.run(applied(empty_db_url)) == expected_migrations()
    after = asyncio.run(row_counts(empty_db_url))
    kept = {t: after.get(t) for t in before if t != "tortoise_migrations"}
    assert kept == {t: n for t, n in before.items() if t != "tortoise_migrations"}
    # Tables the newest migration makes are new: they may only be there now, and empty.
    assert all(after[t] == 0 for t in set(after) - set(before)), after
    assert after["booking"] == 4
    asyncio.run(still_works(empty_db_url, tokens))


async def _current(url: str) -> None:
    """Whatever happened, leave the shared test database at this release's schema."""
    from core.db import migrate

    await migrate(url)
