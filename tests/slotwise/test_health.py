"""``/healthz`` and ``/readyz``: alive whatever else is down; ready only when the database
answers, the migrations are current and Redis (when configured) answers, each part named."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from core.db import connection
from slotwise.app import create_app
from slotwise.health import expected_migrations
from slotwise.settings import Settings
from tests.conftest import POSTGRES_URL

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
"""Port 1: nothing listens there, so every connection is refused at once."""


@pytest.fixture
async def serving(empty_db_url: str) -> AsyncIterator[Any]:
    started: list[Any] = []

    async def start(**settings: Any) -> Quart:
        app = create_app(Settings(database_url=empty_db_url, **settings))
        context = app.test_app()
        await context.__aenter__()
        started.append(context)
        return app

    yield start
    for context in started:
        await context.__aexit__(None, None, None)


async def get(app: Quart, path: str) -> tuple[int, dict[str, Any]]:
    response = await app.test_client().get(path)
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, json.loads(await response.get_data())


async def test_ready_on_a_migrated_database_without_redis(serving: Any) -> None:
    app = await serving()
    assert await get(app, "/healthz") == (200, {"status": "ok"})
    status, body = await get(app, "/readyz")
    assert status == 200, body
    assert body == {
        "status": "ok",
        "checks": {"database": {"state": "ok"}, "migrations": {"state": "ok"}},
    }


async def test_alive_but_not_ready_while_redis_is_unreachable(serving: Any) -> None:
    app = await serving(redis_url=UNREACHABLE_REDIS, redis_timeout_ms=200)
    assert (await get(app, "/healthz"))[0] == 200
    status, body = await get(app, "/readyz")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["state"] == "down"
    assert body["checks"]["database"] == {"state": "ok"}
    assert "127.0.0.1" not in json.dumps(body)  # no address or error text in the answer


async def test_ready_with_a_reachable_redis(serving: Any, redis_url: str) -> None:
    app = await serving(redis_url=redis_url)
    status, body = await get(app, "/readyz")
    assert status == 200, body
    assert body["checks"]["redis"] == {"state": "ok"}


async def test_a_missing_migration_is_named(serving: Any) -> None:
    app = await serving()
    last = max(expected_migrations())
    rename = "UPDATE tortoise_migrations SET name = {} WHERE app = 'models' AND name = {}"
    # The app's own connection (the global fallback); the row is put back for the next test.
    await connection().execute_query(rename.format(f"'{last}-gone'", f"'{last}'"))
    try:
        status, body = await get(app, "/readyz")
    finally:
        await connection().execute_query(rename.format(f"'{last}'", f"'{last}-gone'"))
    assert status == 503
    assert body["checks"]["database"] == {"state": "ok"}
    assert body["checks"]["migrations"]["state"] == "behind"
    assert body["checks"]["migrations"]["missing"] == last


def test_this_release_has_migrations_to_expect() -> None:
    """The check above must be able to fail: it compares against a non-empty list."""
    assert "0001_initial" in expected_migrations()
    assert "__init__" not in expected_migrations()


@pytest.mark.skipif(not POSTGRES_URL, reason="SLOTWISE_TEST_DATABASE_URL is not set")
@pytest.mark.usefixtures("_postgres_emptying_sql")
async def test_not_ready_while_the_database_is_cut_off() -> None:
    from tests.slotwise.test_database_trouble import Relay, relayed

    host, port = POSTGRES_URL.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
    relay = Relay(host, int(port))
    url = relayed(POSTGRES_URL, await relay.start())
    app = create_app(Settings(database_url=url))
    async with app.test_app():
        assert (await get(app, "/readyz"))[0] == 200
        await relay.cut()
        assert (await get(app, "/healthz"))[0] == 200
        status, body = await get(app, "/readyz")
        assert status == 503
        assert body["checks"]["database"]["state"] == "down"
        assert body["checks"]["migrations"]["state"] == "down"
        assert "postgres" not in json.dumps(body)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _fetch(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_server_starts_and_is_alive_while_redis_is_unreachable(tmp_path: Path) -> None:
    """The real ``slotwise serve`` process, not the test app: start-up must not wait on Redis."""
    port = _free_port()
    env = {
        **os.environ,
        "SLOTWISE_REDIS_URL": UNREACHABLE_REDIS,
        "SLOTWISE_REDIS_TIMEOUT_MS": "200",
        "SLOTWISE_SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    url = f"sqlite://{tmp_path / 'slotwise.db'}"
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    alive = _fetch(f"http://127.0.0.1:{port}/healthz")
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.1)
            assert alive == (200, {"status": "ok"})
            status, body = _fetch(f"http://127.0.0.1:{port}/readyz")
            assert status == 503
            assert body["checks"]["redis"]["state"] == "down"
            assert body["checks"]["database"]["state"] == "ok"
        finally:
            process.terminate()
            process.wait(timeout=10)
