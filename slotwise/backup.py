"""Whole-database backups and restores: ``slotwise backup`` and ``slotwise restore``.

A backup is the database itself, every table and row, not the business file that
``slotwise export`` writes (which leaves out the outbox, the history and the API
keys). SQLite is copied with its online backup API, so the copy is consistent while
the server keeps writing; PostgreSQL with ``pg_dump`` (custom format, one snapshot).
A restore goes into an empty database unless forced, and brings the restored schema
up to this release with the migrations, so a backup made by an older release can be
restored by a newer one; one made by a newer release is refused.

The PostgreSQL tools come from the PostgreSQL client package (``postgresql-client``
on Debian), of the server's major version or newer; their absence is a clear error.
Connection details reach them through ``PG*`` environment variables, so a password
never shows in the process list.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core.db import dialect, migrate, normalize_url, sqlite_path
from slotwise.health import expected_migrations

__all__ = ["BACKUPS", "BackupError", "backup", "default_name", "restore"]

BACKUPS = Path("data") / "backups"
"""Where a backup goes when no path is given (relative to the working directory)."""

_SKIPPED = ("tortoise_migrations",)
"""Tables a freshly migrated database already fills: they do not make it "not empty"."""

_RESTORE_OPTIONS = (
    "--no-owner",
    "--no-privileges",
    "--no-comments",  # COMMENT ON EXTENSION needs its owner; comments carry nothing here
    "--exit-on-error",
    "--single-transaction",  # a failed restore leaves nothing half-loaded
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def default_name(url: str, now: datetime) -> str:
    suffix = "sqlite3" if dialect(url) == "sqlite" else "pgdump"
    return f"slotwise-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.{suffix}"


def backup(url: str, path: Path | None = None, *, now: datetime | None = None) -> Path:
    """Write a consistent copy of the database at ``url`` to ``path`` and return where.

    ``path`` may be a folder (the file is named after the time), or ``None`` for
    ``./data/backups/``. An existing file is never overwritten."""
    name = default_name(url, now or datetime.now(UTC))
    target = BACKUPS / name if path is None else path
    if target.is_dir():
        target = target / name
    if target.exists():
        raise BackupError(f"{target} already exists; give another PATH (a backup never overwrites)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if dialect(url) == "sqlite":
            _sqlite_backup(_sqlite_file(url), partial)
        else:
            _run(
                "pg_dump",
                ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                url,
            )
        partial.replace(target)  # a backup file is whole or absent
    finally:
        partial.unlink(missing_ok=True)
    return target


async def restore(url: str, path: Path, *, force: bool = False) -> list[str]:
    """Replace the database at ``url`` with the backup at ``path``, then apply the
    migrations the backup lacks; return their names. The database must be empty (or
    not exist) unless ``force``."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file; give the PATH 'slotwise backup' printed")
    if dialect(url) == "sqlite":
        target = _sqlite_file(url)
        _check_sqlite_backup(path)
        if not force and target.exists():
            _refuse_unless_empty(_sqlite_rows(target), url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_backup(path, target)
    else:
        _check_pg_backup(path)
        if not force:
            _refuse_unless_empty(await _pg_rows(url), url)
        await _pg_drop_tables(url)
        _run(
            "pg_restore",
            [*_RESTORE_OPTIONS, f"--dbname={_pg_env(url)['PGDATABASE']}", str(path)],
            url,
        )
    return await migrate(url)


def _refuse_unless_empty(rows: dict[str, int], url: str) -> None:
    full = {table: n for table, n in rows.items() if n}
    if full:
        listed = ", ".join(f"{table} ({n})" for table, n in sorted(full.items()))
        raise BackupError(
            f"the database is not empty (rows in {listed}); restore into an empty database, "
            "or add --force to replace everything in it (back it up first)"
        )


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BackupError(f"{normalize_url(url)} is in memory: there is no file to back up")
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy ``source`` onto ``target`` page by page (SQLite's online backup API): readers
    and the writer of ``source`` go on meanwhile, and the copy is one consistent state."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist; is SLOTWISE_DATABASE_URL right?")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"cannot copy {source} to {target}: {error}") from None
    finally:
        src.close()


def _sqlite_rows(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for t in tables
            if t not in _SKIPPED
        }
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database Slotwise can read: {error}") from None
    finally:
        connection.close()


def _check_sqlite_backup(path: Path) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is a damaged SQLite file; use another backup")
        applied = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM tortoise_migrations WHERE app = 'models'"
            )
        }
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a Slotwise SQLite backup") from None
    finally:
        connection.close()
    _check_release(applied, path)


def _check_release(applied: set[str], path: Path) -> None:
    newer = sorted(applied - expected_migrations())
    if newer:
        raise BackupError(
            f"{path} was made by a newer release of Slotwise (migrations {', '.join(newer)}); "
            "restore it with that release or a later one"
        )


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_env(url: str) -> dict[str, str]:
    """The ``PG*`` variables that name the database of ``url`` to libpq's tools."""
    parts = urlsplit(normalize_url(url))
    env = {"PGDATABASE": unquote(parts.path.lstrip("/")) or "postgres"}
    if parts.hostname:
        env["PGHOST"] = parts.hostname
    if parts.port:
        env["PGPORT"] = str(parts.port)
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    query = parse_qs(parts.query)
    if "sslmode" in query:
        env["PGSSLMODE"] = query["sslmode"][0]
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client tools of the server's "
            "version or newer (Debian: apt-get install postgresql-client)"
        )
    return found


def _run(name: str, arguments: list[str], url: str) -> str:
    env = {**os.environ, **_pg_env(url)}
    result = subprocess.run(
        [_tool(name), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{name} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def _check_pg_backup(path: Path) -> None:
    listing = _run_listing(path)
    if "TABLE DATA public tortoise_migrations" not in listing:
        raise BackupError(f"{path} is not a Slotwise PostgreSQL backup (no migrations table)")
    applied = _pg_backup_migrations(path)
    _check_release(applied, path)


def _run_listing(path: Path) -> str:
    result = subprocess.run(
        [_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{path} is not a backup made by 'slotwise backup' (pg_dump custom)")
    return result.stdout


def _pg_backup_migrations(path: Path) -> set[str]:
    """The migrations recorded in the backup, read from its data as SQL text."""
    result = subprocess.run(
        [_tool("pg_restore"), "--data-only", "--table=tortoise_migrations", "--file=-", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    names: set[str] = set()
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1] == "models":
            names.add(fields[2])
    return names


async def _pg_connect(url: str) -> Any:
    import asyncpg  # type: ignore[import-untyped]

    return await asyncpg.connect(normalize_url(url).replace("postgres://", "postgresql://", 1))


async def _pg_rows(url: str) -> dict[str, int]:
    connection = await _pg_connect(url)
    try:
        tables = [
            row[0]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        return {
            t: int(await connection.fetchval(f'SELECT COUNT(*) FROM "{t}"'))
            for t in tables
            if t not in _SKIPPED
        }
    finally:
        await connection.close()


async def _pg_drop_tables(url: str) -> None:
    """Drop every table of the ``public`` schema (the backup brings its own): a migrated
    database's empty tables, or with ``--force`` the data being replaced."""
    connection = await _pg_connect(url)
    try:
        tables = [
            row[0]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        if tables:
            listed = ", ".join(f'public."{t}"' for t in tables)
            await connection.execute(f"DROP TABLE IF EXISTS {listed} CASCADE")
    finally:
        await connection.close()
