"""``slotwise backup`` and ``slotwise restore`` on both databases: a restore finds every row
of every table, every booking by its token, and the restored database takes new bookings."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner, Result

from core.apikeys import create_api_key
from core.bookings import BookingService
from core.bookings.types import Actor
from core.db import connection, database, dialect
from core.errors import SlotTaken
from slotwise.cli import main
from tests.conftest import POSTGRES_URL
from tests.core.test_booking import ALICE, TUESDAY, Clock, at, customer, load_clinic


def run(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


async def populate(url: str) -> list[str]:
    """The clinic, four bookings (one cancelled), their history and outbox, an API key."""
    async with database(url):
        await load_clinic()
        service = BookingService(None, clock=Clock())
        tokens = [
            (await service.book("solo", at(TUESDAY, hour), customer(hour))).manage_token
            for hour in (9, 10, 11, 12)
        ]
        await service.cancel(tokens[-1], actor=Actor("admin", "Root", "admin"), reason="ill")
        await create_api_key("partner")
    return tokens


async def tables(url: str) -> list[str]:
    if dialect(url) == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    _, rows = await connection().execute_query(sql)
    return sorted(str(next(iter(row))) for row in rows)


async def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    async with database(url):
        found = {}
        for table in await tables(url):
            _, rows = await connection().execute_query(f'SELECT * FROM "{table}"')
            found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


async def still_works(url: str, tokens: list[str]) -> None:
    """Each booking by its token; a taken slot stays taken; a free one can be booked."""
    async with database(url):
        service = BookingService(None, clock=Clock())
        for token in tokens:
            assert (await service.get(token)).manage_token == token
        with pytest.raises(SlotTaken):
            await service.book("solo", at(TUESDAY, 9), ALICE)
        made = await service.book("solo", at(TUESDAY, 12), ALICE)  # the cancelled one's slot
        assert made.id == 5  # the id sequence came back too


async def wipe_postgres() -> None:
    """A database with nothing in it at all, not even the migrations' tables."""
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def test_backup_then_restore_into_an_empty_database_keeps_everything(
    empty_db_url: str, tmp_path: Path
) -> None:
    tokens = asyncio.run(populate(empty_db_url))
    before = asyncio.run(snapshot(empty_db_url))
    assert len(before["booking"]) == 4
    assert before["outbox"]
    assert before["api_key"]

    (tmp_path / "backups").mkdir()  # a folder: the file is named after the time
    made = run("backup", str(tmp_path / "backups"), "--db", empty_db_url)
    assert made.exit_code == 0, made.output
    written = Path(made.output.strip().removeprefix("Backed up to "))
    assert written.parent == tmp_path / "backups"
    assert written.is_file()

    if dialect(empty_db_url) == "sqlite":
        target = f"sqlite://{tmp_path / 'restored' / 'slotwise.db'}"
    else:
        asyncio.run(wipe_postgres())
        target = empty_db_url
    restored = run("restore", str(written), "--db", target)
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output

    assert asyncio.run(snapshot(target)) == before
    asyncio.run(still_works(target, tokens))


def test_restore_refuses_a_database_with_rows_unless_forced(
    empty_db_url: str, tmp_path: Path
) -> None:
    asyncio.run(populate(empty_db_url))
    written = tmp_path / "first.backup"
    assert run("backup", str(written), "--db", empty_db_url).exit_code == 0
    before = asyncio.run(snapshot(empty_db_url))

    async def book_one_more() -> None:
        async with database(empty_db_url):
            await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 14), ALICE)

    asyncio.run(book_one_more())
    refused = CliRunner().invoke(main, ["restore", str(written), "--db", empty_db_url])
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert "booking (5)" in refused.output
    assert "--force" in refused.output
    assert len(asyncio.run(snapshot(empty_db_url))["booking"]) == 5  # nothing was touched

    forced = run("restore", str(written), "--force", "--db", empty_db_url)
    assert forced.exit_code == 0, forced.output
    assert asyncio.run(snapshot(empty_db_url)) == before


def test_a_migrated_database_without_rows_counts_as_empty(
    empty_db_url: str, tmp_path: Path
) -> None:
    """What ``slotwise migrate`` (or a first start of the server) leaves is no reason to refuse."""
    if dialect(empty_db_url) == "sqlite":
        source = f"sqlite://{tmp_path / 'source.db'}"
        assert run("migrate", "--db", source).exit_code == 0
    else:
        source = empty_db_url
    tokens = asyncio.run(populate(source))
    written = tmp_path / "backup"
    assert run("backup", str(written), "--db", source).exit_code == 0
    if dialect(empty_db_url) == "postgres":
        asyncio.run(wipe_postgres())
        assert run("migrate", "--db", empty_db_url).exit_code == 0
    restored = run("restore", str(written), "--db", empty_db_url)
    assert restored.exit_code == 0, restored.output
    asyncio.run(still_works(empty_db_url, tokens))


def test_a_backup_never_overwrites_a_file(empty_db_url: str, tmp_path: Path) -> None:
    existing = tmp_path / "taken"
    existing.write_text("keep me")
    result = CliRunner().invoke(main, ["backup", str(existing), "--db", empty_db_url])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_text() == "keep me"


def test_backup_without_a_path_writes_under_data_backups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite://{tmp_path / 'db.sqlite3'}"
    assert run("migrate", "--db", url).exit_code == 0
    result = run("backup", "--db", url)
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip().removeprefix("Backed up to "))
    assert written.parent == Path("data/backups")
    assert written.name.startswith("slotwise-")
    assert written.suffix == ".sqlite3"
    with sqlite3.connect(tmp_path / written) as copy:
        assert copy.execute("SELECT COUNT(*) FROM tortoise_migrations").fetchone()[0] > 0


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    for url in (f"sqlite://{tmp_path / 'x.db'}", "postgres://nobody@127.0.0.1:1/none"):
        result = CliRunner().invoke(main, ["restore", str(bogus), "--db", url])
        assert result.exit_code == 1, result.output
        assert "not a" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()


def test_restore_refuses_a_backup_of_a_newer_release(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    url = f"sqlite://{newer}"
    assert run("migrate", "--db", url).exit_code == 0
    with sqlite3.connect(newer) as db:
        db.execute(
            "INSERT INTO tortoise_migrations (app, name, applied_at) "
            "VALUES ('models', '9999_from_the_future', '2030-01-01')"
        )
    result = CliRunner().invoke(
        main, ["restore", str(newer), "--db", f"sqlite://{tmp_path / 'to.db'}"]
    )
    assert result.exit_code == 1
    assert "newer release" in result.output
    assert "9999_from_the_future" in result.output


def test_missing_postgresql_tools_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, no pg_restore
    url = "postgres://postgres@127.0.0.1:5432/anything"
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b"), "--db", url])
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output
    assert "postgresql-client" in result.output
    dump = tmp_path / "b.pgdump"
    dump.write_bytes(b"PGDMP")
    result = CliRunner().invoke(main, ["restore", str(dump), "--db", url])
    assert result.exit_code == 1
    assert "pg_restore is not installed" in result.output


def test_a_postgres_password_is_not_in_the_tools_arguments() -> None:
    from slotwise.backup import _pg_env

    env = _pg_env("postgres://app:s%40cret@db.example:6543/slotwise?sslmode=require")
    assert env == {
        "PGDATABASE": "slotwise",
        "PGHOST": "db.example",
        "PGPORT": "6543",
        "PGUSER": "app",
        "PGPASSWORD": "s@cret",
        "PGSSLMODE": "require",
    }
