"""``GET /metrics``: off without a token, only for the bearer of it, and counting what the
API, the chat, the webhooks and the outbox did (read as Prometheus would read it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core.businessfile import parse_business
from core.dedup import MemoryDeliveryLog
from core.store import replace_business
from slotwise.app import create_app
from slotwise.metrics import CountedDeliveries
from slotwise.settings import Settings
from tests.channels.test_api import CUSTOMER, FREE, spa_next_january
from tests.slotwise.test_health import _free_port

TOKEN = "metrics-t0ken-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SLOTS = "/api/v1/slots?service=massage&from=2027-01-04&to=2027-01-04"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    settings = Settings(
        database_url=empty_db_url,
        metrics_token=TOKEN,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="twilio-secret",
        twilio_sms_from="+14155550100",
        public_url="https://book.example",
    )
    application = create_app(settings)
    async with application.test_app():
        await replace_business(parse_business(json.dumps(spa_next_january())))
        yield application


async def scrape(client: Client) -> str:
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return await response.get_data(as_text=True)


async def test_metrics_are_off_without_a_token(empty_db_url: str) -> None:
    app = create_app(Settings(database_url=empty_db_url))
    async with app.test_app():
        response = await app.test_client().get("/metrics", headers=BEARER)
        assert response.status_code == 404


async def test_metrics_need_the_bearer_token(app: Quart) -> None:
    client = app.test_client()
    missing = await client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    basic = await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert wrong.status_code == 403
    assert TOKEN not in await wrong.get_data(as_text=True)
    assert (await client.get("/metrics", headers=BEARER)).status_code == 200


async def test_bookings_made_refused_and_cancelled_are_counted_by_channel(app: Quart) -> None:
    client = app.test_client()
    before = await scrape(client)
    request = {"service": "massage", "start": FREE, "customer": CUSTOMER}
    made = await client.post("/api/v1/bookings", json=request)
    assert made.status_code == 201
    assert (await client.post("/api/v1/bookings", json=request)).status_code == 409
    token = json.loads(await made.get_data(as_text=True))["manage_token"]
    assert (await client.post(f"/api/v1/bookings/{token}/cancel", json={})).status_code == 200
    assert (await client.get(SLOTS)).status_code == 200
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("slotwise_bookings_total", channel="api", outcome="made") == 1
    assert grew("slotwise_bookings_total", channel="api", outcome="refused") == 1
    assert grew("slotwise_bookings_total", channel="api", outcome="cancelled") == 1
    assert grew("slotwise_slot_query_seconds_count") >= 1


async def test_holds_and_chat_turns_are_counted(app: Quart) -> None:
    client = app.test_client()
    before = await scrape(client)
    held = await client.post("/api/v1/holds", json={"service": "massage", "start": FREE})
    assert held.status_code == 201, await held.get_data(as_text=True)
    session = "metrics-s3ss10n-abcdefghijk"
    chat = await client.post("/chat/messages", json={"session": session, "text": "hello"})
    assert chat.status_code == 200
    after = await scrape(client)
    assert (
        value(after, "slotwise_holds_total", outcome="taken")
        - value(before, "slotwise_holds_total", outcome="taken")
        == 1
    )
    turns = "slotwise_dialog_turn_seconds_count"
    assert value(after, turns, channel="web") - value(before, turns, channel="web") == 1


async def test_the_outbox_is_read_from_the_database(app: Quart) -> None:
    client = app.test_client()
    request = {"service": "massage", "start": FREE, "customer": CUSTOMER}
    assert (await client.post("/api/v1/bookings", json=request)).status_code == 201
    text = await scrape(client)
    assert value(text, "slotwise_outbox_messages", status="pending") >= 1
    assert value(text, "slotwise_outbox_due") >= 1  # the confirmation, due at once
    assert value(text, "slotwise_outbox_oldest_due_seconds") >= 0
    assert value(text, "slotwise_outbox_retrying") == 0


async def test_a_webhook_with_a_bad_signature_is_counted(app: Quart) -> None:
    client = app.test_client()
    before = await scrape(client)
    forged = await client.post(
        "/twilio/sms",
        form={"From": "+15550001111", "Body": "hi", "MessageSid": "SM" + "1" * 32},
        headers={"X-Twilio-Signature": "forged"},
    )
    assert forged.status_code == 403
    after = await scrape(client)
    name = "slotwise_webhook_refused_total"
    grew = value(after, name, channel="sms", reason="signature") - value(
        before, name, channel="sms", reason="signature"
    )
    assert grew == 1


async def test_a_replayed_delivery_is_counted() -> None:
    from slotwise.metrics import WEBHOOK_REFUSED

    counter = WEBHOOK_REFUSED.labels("telegram", "replay")
    before = counter._value.get()
    log = CountedDeliveries(MemoryDeliveryLog())
    assert await log.first("telegram:42")
    assert not await log.first("telegram:42")
    assert counter._value.get() - before == 1


def test_several_workers_report_one_sum(tmp_path: Path) -> None:
    """Multiprocess mode: every request counted, whichever worker answered it."""
    port = _free_port()
    env = {
        **os.environ,
        "SLOTWISE_WORKERS": "2",
        "SLOTWISE_METRICS_TOKEN": TOKEN,
        "SLOTWISE_SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    env.pop("SLOTWISE_REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    url = f"sqlite://{tmp_path / 'slotwise.db'}"
    subprocess.run(
        [sys.executable, "-m", "slotwise", "migrate", "--demo-if-empty", "--db", url],
        check=True,
        capture_output=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.2)
            services = json.loads(urllib.request.urlopen(f"{base}/api/v1/services").read())
            service = services["services"][0]["id"]
            for _ in range(8):  # new connections: the kernel spreads them over the workers
                query = f"{base}/api/v1/slots?service={service}&from=2030-01-07&to=2030-01-07"
                urllib.request.urlopen(query, timeout=10).close()
            scrape = urllib.request.Request(f"{base}/metrics", headers=BEARER)
            text = urllib.request.urlopen(scrape, timeout=10).read().decode()
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert value(text, "slotwise_slot_query_seconds_count") == 8


async def test_operators_endpoints_are_not_in_the_api_description(app: Quart) -> None:
    response = await app.test_client().get("/api/v1/openapi.json")
    paths = json.loads(await response.get_data(as_text=True))["paths"]
    assert not {"/metrics", "/healthz", "/readyz"} & set(paths)
