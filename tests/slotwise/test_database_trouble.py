"""The app while PostgreSQL is in trouble, found by an outside probe: unreachable is a 503
with Retry-After (not a 500), a held lock cannot hang a request past the statement
timeout, and connections killed under the pool are replaced, not answered with 500s.

PostgreSQL is reached through a small local TCP relay, so a test can cut it off."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from quart import Quart

from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="SLOTWISE_TEST_DATABASE_URL is not set")

SESSION = "trouble-s3ss10n-abcdefghijk"


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL until :meth:`cut`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


def relayed(url: str, port: int) -> str:
    scheme, rest = url.split("://", 1)
    user, place = rest.split("@", 1)
    return f"{scheme}://{user}@127.0.0.1:{port}/{place.split('/', 1)[1]}"


@pytest.fixture
async def relay(_postgres_emptying_sql: str) -> AsyncIterator[tuple[Relay, int]]:
    host_port = POSTGRES_URL.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    relay = Relay(host, int(port))
    yield relay, await relay.start()
    if relay.server is not None and relay.server.is_serving():
        await relay.cut()


async def started(url: str, **settings: object) -> tuple[Quart, object]:
    app = create_app(Settings(database_url=url, public_url="https://book.example", **settings))
    context = app.test_app()
    await context.__aenter__()
    await replace_business(load_business_file(DEMO_FILE))
    return app, context


async def test_an_unreachable_database_is_a_503_with_retry_after(
    relay: tuple[Relay, int], caplog: pytest.LogCaptureFixture
) -> None:
    server, port = relay
    app, context = await started(relayed(POSTGRES_URL, port), retry_after_seconds=7)
    try:
        client = app.test_client()
        assert (await client.get("/api/v1/services")).status_code == 200
        await server.cut()
        caplog.clear()
        for path in ("/api/v1/services", "/api/v1/bookings/abcdefghijkl", "/b/abcdefghijkl"):
            response = await client.get(path)
            assert response.status_code == 503, path
            assert response.headers["Retry-After"] == "7"
            assert response.headers["Content-Type"] == "application/problem+json"
            assert json.loads(await response.get_data())["code"] == "database_unavailable"
        chat = await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})
        assert chat.status_code in (200, 503)
        if chat.status_code == 200:  # the bot's own friendly words
            assert "went wrong" in (await chat.get_data(as_text=True)).lower()
        tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
        assert len(tracebacks) <= 2, [r.getMessage() for r in tracebacks]  # not one per request
        assert all("abcdefghijkl" not in r.getMessage() for r in caplog.records)
    finally:
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("_postgres_emptying_sql")
async def test_a_held_lock_ends_at_the_statement_timeout() -> None:
    app, context = await started(POSTGRES_URL, statement_timeout_ms=300)
    dsn = POSTGRES_URL.replace("postgres://", "postgresql://", 1)
    locker = await asyncpg.connect(dsn)
    try:
        client = app.test_client()
        locked = locker.transaction()
        await locked.start()
        await locker.execute("LOCK TABLE service IN ACCESS EXCLUSIVE MODE")
        began = time.monotonic()
        response = await asyncio.wait_for(client.get("/api/v1/services"), timeout=10)
        took = time.monotonic() - began
        assert response.status_code == 503
        assert took < 3, took
        await locked.rollback()
        assert (await client.get("/api/v1/services")).status_code == 200
    finally:
        await locker.close()
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("_postgres_emptying_sql")
async def test_pooled_connections_killed_by_the_server_are_replaced() -> None:
    """After a PostgreSQL restart the pool's dead connections used to answer with 500s."""
    app, context = await started(POSTGRES_URL)
    dsn = POSTGRES_URL.replace("postgres://", "postgresql://", 1)
    try:
        client = app.test_client()
        warm = await asyncio.gather(*(client.get("/api/v1/services") for _ in range(5)))
        assert [r.status_code for r in warm] == [200] * 5
        killer = await asyncpg.connect(dsn)
        await killer.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await killer.close()
        after = await asyncio.gather(*(client.get("/api/v1/services") for _ in range(5)))
        assert [r.status_code for r in after] == [200] * 5
    finally:
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]
