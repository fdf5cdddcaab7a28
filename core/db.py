"""Opening the database and bringing its schema up to date.

One URL names the database everywhere (``--db``, ``SLOTWISE_DATABASE_URL``,
tests): ``sqlite://relative/file.db``, ``sqlite:///absolute/file.db``,
``sqlite://:memory:``, ``postgres://user@host:5432/name`` or
``postgresql://...``. SQLite paths follow Tortoise's convention (two slashes
then the path, so three slashes make it absolute); a bare filesystem path is
taken as a SQLite file too, because that is what people type after ``--db``.

The schema is only ever created by the migrations in ``migrations/``
(:func:`migrate`), never by ``generate_schemas``: the PostgreSQL exclusion
constraint that keeps bookings from overlapping exists only in a migration.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate as _tortoise_migrate

from core.models import Business

APP_LABEL = "models"
MODELS_MODULE = "core.models"
MIGRATIONS_MODULE = "migrations"

_SQLITE_PRAGMAS: dict[str, Any] = {
    # Readers do not block the one writer, so `slotwise slots` runs while the server books.
    "journal_mode": "WAL",
    "journal_size_limit": 16384,
    # SQLite ignores foreign keys unless asked, per connection.
    "foreign_keys": "ON",
    # A second process (CLI next to the server) waits for the write lock instead of failing.
    "busy_timeout": 5000,
}

_POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg")


class DatabaseURLError(ValueError):
    """The database URL cannot be understood; the message says what is accepted."""


def normalize_url(url: str) -> str:
    """Return the URL in the one spelling the rest of this module understands.

    ``postgresql://`` and ``asyncpg://`` become ``postgres://``; a bare path
    becomes ``sqlite://PATH``.
    """
    url = url.strip()
    if not url:
        raise DatabaseURLError("database URL is empty")
    if "://" not in url:
        return f"sqlite://{url}"
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme in _POSTGRES_SCHEMES:
        return f"postgres://{rest}"
    if scheme == "sqlite":
        if not rest or rest.startswith("?"):
            raise DatabaseURLError(f"database URL {url!r}: no SQLite file path")
        return f"sqlite://{rest}"
    raise DatabaseURLError(
        f"database URL {url!r}: unsupported scheme {scheme!r}; "
        "use sqlite://PATH, sqlite:///ABSOLUTE/PATH or postgres://USER@HOST:PORT/NAME"
    )


def dialect(url: str) -> str:
    """``"sqlite"`` or ``"postgres"``."""
    return normalize_url(url).split("://", 1)[0]


def sqlite_path(url: str) -> Path | None:
    """The SQLite file a URL names, or ``None`` (PostgreSQL, or in memory)."""
    url = normalize_url(url)
    if not url.startswith("sqlite://"):
        return None
    path = url[len("sqlite://") :].split("?", 1)[0]
    if path == ":memory:":
        return None
    return Path(path)


DEFAULT_STATEMENT_TIMEOUT_MS = 5000


def tortoise_config(url: str, *, statement_timeout_ms: int | None = None) -> dict[str, Any]:
    """The Tortoise config dict for the app ``models`` on this database.

    ``statement_timeout_ms`` caps every statement on PostgreSQL (``statement_timeout``,
    set per connection), so a lock held elsewhere cannot hang requests; ``None`` is no cap
    (migrations). SQLite waits at most its ``busy_timeout``.
    """
    url = normalize_url(url)
    connection = expand_db_url(url)
    credentials = connection["credentials"]
    if connection["engine"] == "tortoise.backends.sqlite":
        for pragma, value in _SQLITE_PRAGMAS.items():
            credentials.setdefault(pragma, value)
    else:
        connection["engine"] = "core.pgclient"  # dead pooled connections are replaced
    if connection["engine"] != "tortoise.backends.sqlite" and statement_timeout_ms is not None:
        settings = dict(credentials.get("server_settings") or {})
        settings["statement_timeout"] = str(statement_timeout_ms)
        credentials["server_settings"] = settings
    # Named after the dialect, not "default": Tortoise caches each model's INSERT
    # and DELETE statements per connection name (EXECUTOR_CACHE), so one process
    # that opens SQLite and then PostgreSQL under one name (the test suite) would
    # send SQLite's "?" placeholders to PostgreSQL.
    name = dialect(url)
    return {
        "connections": {name: connection},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "default_connection": name,
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _prepare(url: str, statement_timeout_ms: int | None = None) -> dict[str, Any]:
    """Config for ``url``, after creating a SQLite file's directory (SQLite won't)."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return tortoise_config(url, statement_timeout_ms=statement_timeout_ms)


def connection() -> BaseDBAsyncClient:
    """The models' connection, for raw SQL; inside ``in_transaction()``, that transaction.

    Use this (or ``in_transaction()`` without a name) rather than a connection
    name: the name depends on the dialect (see :func:`tortoise_config`).
    """
    client: BaseDBAsyncClient = Business._meta.db
    return client


async def open_db(
    url: str,
    *,
    global_fallback: bool = False,
    statement_timeout_ms: int | None = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> TortoiseContext:
    """Connect the models to ``url`` for the current task and the tasks it starts.

    Tortoise keeps its state in a context variable, which tasks started
    elsewhere (an ASGI server's request tasks, started outside the lifespan
    task that opens the database) do not inherit; ``global_fallback=True``
    makes the connection visible to them too (one such database per process).
    ``statement_timeout_ms``: see :func:`tortoise_config`.
    """
    config = _prepare(url, statement_timeout_ms)
    return await Tortoise.init(config=config, _enable_global_fallback=global_fallback)


async def close_db() -> None:
    """Close the connections opened by :func:`open_db` (idempotent)."""
    await Tortoise.close_connections()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[TortoiseContext]:
    """``open_db`` … ``close_db`` as a block; the context variable is restored after."""
    ctx = TortoiseContext()
    async with ctx:
        await ctx.init(config=_prepare(url))
        yield ctx


async def migrate(url: str, *, progress: Callable[[str], object] | None = None) -> list[str]:
    """Apply the migrations not yet applied to ``url``; return the names applied, in order.

    Runs in a context of its own, so it can be called with or without an open
    database and leaves an open one as it was.
    """
    applied: list[str] = []

    def on_progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)
            if progress is not None:
                progress(f"{app_label}.{name}")

    config = _prepare(url)
    async with TortoiseContext():
        await _tortoise_migrate(config=config, progress=on_progress, direction="forward")
    return applied


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached or did not
    answer in time (refused connection, lost connection, server shutting down, statement
    timeout, SQLite file locked or unreadable): the request may succeed later, so callers
    answer 503, not 500."""
    import asyncpg  # type: ignore[import-untyped]

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            OSError
            | TimeoutError
            | DBConnectionError
            | asyncpg.PostgresConnectionError
            | asyncpg.InterfaceError
            | asyncpg.InternalClientError
            | asyncpg.QueryCanceledError
            | asyncpg.CannotConnectNowError
            | asyncpg.AdminShutdownError,
        ):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(
            words in str(current) for words in ("locked", "unable to open", "disk I/O")
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


class OutageLog:
    """Logs a database outage without a traceback per request: the first failure with its
    traceback, the following ones as one line each, until ``quiet`` seconds pass without
    one (then the next is a new outage, logged in full)."""

    def __init__(self, log: logging.Logger, quiet: float = 60.0) -> None:
        self._log = log
        self._quiet = quiet
        self._last: float | None = None
        self._count = 0

    def report(self, error: BaseException, where: str) -> None:
        now = time.monotonic()
        if self._last is None or now - self._last > self._quiet:
            self._count = 0
            self._log.error("database unavailable (%s)", where, exc_info=error)
        else:
            self._count += 1
            self._log.warning(
                "database still unavailable (%s): %s; %d requests refused since the first",
                where,
                type(error).__name__,
                self._count,
            )
        self._last = now


def __getattr__(name: str) -> Any:
    """``TORTOISE_ORM``, for the ``tortoise`` CLI (``tortoise -c core.db.TORTOISE_ORM
    makemigrations``), built on access so a bad ``SLOTWISE_DATABASE_URL`` cannot
    break importing this module."""
    if name == "TORTOISE_ORM":
        return tortoise_config(os.environ.get("SLOTWISE_DATABASE_URL") or "sqlite://:memory:")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
