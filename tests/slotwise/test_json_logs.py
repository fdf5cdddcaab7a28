"""JSON log lines and the request id: taken from ``X-Request-Id`` (else made), sent back,
named on every line written for the request, and carried into the outbox message the
request's booking writes and the worker's lines about sending it."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from core import models as m
from core.businessfile import parse_business
from core.notify import Outgoing
from core.requestid import current_request_id, request_context
from core.store import replace_business
from slotwise.app import create_app
from slotwise.logs import JsonLines, RequestIds, configure_logging
from slotwise.settings import Settings
from slotwise.worker import Senders, Worker
from tests.channels.test_api import FREE, spa_next_january
from tests.slotwise.test_health import _free_port

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url, public_url="https://b.example"))
    async with application.test_app():
        await replace_business(parse_business(json.dumps(spa_next_january())))
        yield application


async def test_a_sane_request_id_is_kept_and_sent_back(app: Quart) -> None:
    response = await app.test_client().get(
        "/api/v1/services", headers={"X-Request-Id": "edge-7f3a.1:2"}
    )
    assert response.headers["X-Request-Id"] == "edge-7f3a.1:2"


@pytest.mark.parametrize(
    "given", [None, "", "two words", "tab\tbed", "x" * 129, "<script>", "ümlaut"]
)
async def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(
    app: Quart, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    response = await app.test_client().get("/healthz", headers=headers)
    assert HEX_ID.fullmatch(response.headers["X-Request-Id"])


async def test_the_request_id_reaches_the_outbox_and_the_worker(app: Quart) -> None:
    customer = {"name": "Ada", "email": "ada@example.org"}
    request = {"service": "massage", "start": FREE, "customer": customer}
    made = await app.test_client().post(
        "/api/v1/bookings", json=request, headers={"X-Request-Id": "req-booking-1"}
    )
    assert made.status_code == 201
    payloads = [row.payload for row in await m.Outbox.all()]
    assert payloads
    assert all(p["request_id"] == "req-booking-1" for p in payloads)

    seen: list[str | None] = []

    class Recorder:
        async def deliver(self, address: str, message: Outgoing) -> str | None:
            seen.append(current_request_id())
            return "sent-1"

    senders = Senders()
    senders.add("email", Recorder())
    worker = Worker(senders, public_url="https://b.example", name="w")
    results = await worker.drain()
    assert seen
    assert set(seen) == {"req-booking-1"}
    assert {r.request_id for r in results} == {"req-booking-1"}
    assert current_request_id() is None  # nothing leaks out of the message's context


def test_no_request_id_outside_a_request() -> None:
    assert current_request_id() is None
    with request_context("inside"):
        assert current_request_id() == "inside"
    assert current_request_id() is None


def json_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIds())
    handler.setFormatter(JsonLines())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_time_level_logger_message_request_id_and_traceback() -> None:
    logger, stream = json_logger("test.jsonlines")
    with request_context("r-1"):
        logger.info("booked %s", "ünïcode")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    logger.warning("outside")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["booked ünïcode", "failed", "outside"]
    assert lines[0]["request_id"] == "r-1"
    assert lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "test.jsonlines"
    assert lines[0]["time"].endswith("Z")
    assert "ValueError: boom" in lines[1]["exception"]
    assert "request_id" not in lines[2]


def test_configure_logging_switches_format_and_keeps_one_handler() -> None:
    root = logging.getLogger()
    level = root.level
    try:
        configure_logging(Settings(log_format="json"))
        configure_logging(Settings(log_format="json"))
        ours = [h for h in root.handlers if getattr(h, "_slotwise_handler", False)]
        assert len(ours) == 1
        assert isinstance(ours[0].formatter, JsonLines)
        configure_logging(Settings(log_format="text"))
        assert not isinstance(ours[0].formatter, JsonLines)
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_slotwise_handler", False)]:
            root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def json_server(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """``slotwise serve`` with JSON logs on the demo: (its address, its log, its env)."""
    port = _free_port()
    url = f"sqlite://{tmp_path / 'slotwise.db'}"
    env = {
        **os.environ,
        "SLOTWISE_LOG_FORMAT": "json",
        "SLOTWISE_DATABASE_URL": url,
        "SLOTWISE_SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    env.pop("SLOTWISE_REDIS_URL", None)
    slotwise = [sys.executable, "-m", "slotwise"]
    subprocess.run(
        [*slotwise, "migrate", "--demo-if-empty"], env=env, check=True, capture_output=True
    )
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*slotwise, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.1)
            yield base, log_path, env
        finally:
            process.terminate()
            process.wait(timeout=20)


def _lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    found = []
    for line in text.splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return found


def test_every_line_of_the_server_and_the_worker_is_json(
    json_server: tuple[str, Path, dict[str, str]], tmp_path: Path
) -> None:
    base, log_path, env = json_server
    services = json.loads(urllib.request.urlopen(f"{base}/api/v1/services").read())
    service = services["services"][0]["id"]
    first = datetime.now(UTC).date() + timedelta(days=2)  # the demo books a few weeks ahead
    last = first + timedelta(days=7)
    slots_url = f"{base}/api/v1/slots?service={service}&from={first}&to={last}"
    slot = json.loads(urllib.request.urlopen(slots_url).read())["slots"][0]
    body = json.dumps(
        {
            "service": service,
            "start": slot["start"],
            "customer": {"name": "Ada", "email": "ada@example.org"},
        }
    ).encode()
    booking = urllib.request.Request(
        f"{base}/api/v1/bookings",
        data=body,
        headers={"Content-Type": "application/json", "X-Request-Id": "trace-42"},
    )
    with urllib.request.urlopen(booking) as answer:
        assert answer.status == 201
        assert answer.headers["X-Request-Id"] == "trace-42"
    time.sleep(0.5)  # the access line is written after the answer; not a timed assertion
    lines = _lines(log_path)
    assert any("listening" in line["message"] for line in lines)  # the start-up lines too
    assert any(line.get("request_id") == "trace-42" and "POST" in line["message"] for line in lines)
    assert not any("ada@example.org" in json.dumps(line) for line in lines)

    worker_log = tmp_path / "worker.log"
    heartbeat = tmp_path / "alive"
    with worker_log.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "slotwise", "worker", "--heartbeat", str(heartbeat)],
            env={**env, "SLOTWISE_WORKER_POLL_SECONDS": "0.2"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "trace-42" not in worker_log.read_text():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(worker_log.read_text())
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
    lines = _lines(worker_log)
    assert any("sending the outbox" in line["message"] for line in lines)
    sent = [line for line in lines if line["message"].startswith("sent\t")]
    assert sent
    assert all(line["request_id"] == "trace-42" for line in sent)
    # Without SMTP the e-mail itself is written to the log, on purpose (docs/security.md);
    # every other line names the customer masked at most.
    others = [line for line in lines if not line["message"].startswith("e-mail to ")]
    assert not any("ada@example.org" in json.dumps(line) for line in others)
