"""The worker's heartbeat file (its container's health check) and the compose demo's
``slotwise migrate --demo-if-empty``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from click.testing import CliRunner

from core.db import database
from core.store import load_directory
from slotwise.cli import main
from slotwise.worker import Senders, Worker
from tests.conftest import TestDatabase
from tests.core.test_booking import load_clinic


async def test_the_worker_touches_its_heartbeat_after_a_round(
    db: TestDatabase, tmp_path: Path
) -> None:
    heartbeat = tmp_path / "alive"
    stop = asyncio.Event()
    worker = Worker(Senders(), public_url="https://book.example", name="beat")
    task = asyncio.create_task(worker.run(stop, poll=0.01, heartbeat=heartbeat))
    while not heartbeat.exists() and not task.done():
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert heartbeat.exists()


async def test_a_failing_round_does_not_touch_the_heartbeat(tmp_path: Path) -> None:
    """No database open: every round fails, so the file never appears."""
    heartbeat = tmp_path / "alive"
    stop = asyncio.Event()
    worker = Worker(Senders(), public_url="https://book.example", name="beat")
    failed = asyncio.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            failed.set()

    seen = Seen(logging.ERROR)
    logging.getLogger("slotwise.worker").addHandler(seen)
    try:
        task = asyncio.create_task(worker.run(stop, poll=0.01, heartbeat=heartbeat))
        await failed.wait()
        stop.set()
        await task
    finally:
        logging.getLogger("slotwise.worker").removeHandler(seen)
    assert not heartbeat.exists()


def test_migrate_demo_if_empty_loads_the_demo_once(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'demo.db'}"
    first = CliRunner().invoke(main, ["migrate", "--demo-if-empty", "--db", url])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo business" in first.output
    second = CliRunner().invoke(main, ["migrate", "--demo-if-empty", "--db", url])
    assert second.exit_code == 0, second.output
    assert "Loaded" not in second.output


def test_migrate_demo_if_empty_keeps_a_business_already_there(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'mine.db'}"
    assert CliRunner().invoke(main, ["migrate", "--db", url]).exit_code == 0

    async def load_mine() -> None:
        async with database(url):
            await load_clinic()

    asyncio.run(load_mine())
    result = CliRunner().invoke(main, ["migrate", "--demo-if-empty", "--db", url])
    assert result.exit_code == 0, result.output
    assert "Loaded" not in result.output

    async def name() -> str:
        async with database(url):
            return (await load_directory()).info.name

    assert asyncio.run(name()) == "Test clinic"
