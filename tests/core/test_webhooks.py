"""Outbound webhooks: addresses checked, events queued from the history, deliveries signed
and checked by a real HTTP receiver on this machine, retried on 500, dead when refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from core import models as m
from core.bookings import Actor, BookingService
from core.errors import InvalidRequest
from core.outbox import MessageKind
from core.sealed import use_secret
from core.webhooks import (
    SIGNATURE_HEADER,
    WebhookFailed,
    WebhookSender,
    _PublicOnly,
    check_url,
    create_webhook,
    delete_webhook,
    fan_out,
    sign,
    verify,
)
from slotwise.worker import Senders, Worker
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, TUESDAY, Clock, at, load_clinic

LATER = timedelta(minutes=2)
"""Past the grace after which history rows are not read again."""


@dataclass
class Receiver:
    """A local HTTP server keeping every delivery; answers from ``answers`` in turn, or
    for a delivery named in ``answers_to`` (its ``Slotwise-Delivery``) from that list."""

    answers: list[int] = field(default_factory=list)
    answers_to: dict[str, list[int]] = field(default_factory=dict)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        planned = self.answers_to.get(request.headers.get("Slotwise-Delivery", ""))
        if planned:
            return web.Response(status=planned.pop(0))
        return web.Response(status=self.answers.pop(0) if self.answers else 200)


@pytest.fixture
async def receiver(unused_tcp_port: int) -> AsyncIterator[Receiver]:
    keeper = Receiver()
    app = web.Application()
    app.router.add_post("/hook", keeper.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    keeper.url = f"http://127.0.0.1:{unused_tcp_port}/hook"
    try:
        yield keeper
    finally:
        await runner.cleanup()


@pytest.fixture(autouse=True)
def sealing_key() -> None:
    use_secret(b"a test server secret of enough length")


def test_a_signature_checks_out_only_for_the_same_secret_body_and_a_recent_time() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    body = b'{"type":"booking.created"}'
    header = sign("whsec_x", int(now.timestamp()), body)
    assert header.startswith(f"t={int(now.timestamp())},v1=")
    assert verify("whsec_x", header, body, now)
    assert not verify("whsec_y", header, body, now)
    assert not verify("whsec_x", header, body + b" ", now)
    assert not verify("whsec_x", header, body, now + timedelta(minutes=6))
    assert not verify("whsec_x", "v1=abc", body, now)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://localhost:8000/hook",
        "http://printer.local/hook",
        "https://user:pass@example.org/hook",
        "https:///nohost",
        "",
    ],
)
def test_private_and_odd_addresses_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_url(url, allow_private=False)
    assert refused.value.field == "url"


def test_public_addresses_pass_and_private_ones_only_when_allowed() -> None:
    assert check_url(" https://hooks.example.org/in ", allow_private=False) == (
        "https://hooks.example.org/in"
    )
    assert check_url("http://93.184.216.34/in", allow_private=False)
    assert check_url("http://127.0.0.1:9/in", allow_private=True)


async def test_a_name_that_resolves_inward_is_refused_at_connect_time() -> None:
    resolver = _PublicOnly()
    try:
        with pytest.raises(WebhookFailed) as refused:
            await resolver.resolve("localhost", 80)
        assert refused.value.permanent
    finally:
        await resolver.close()


async def booked_and_cancelled() -> None:
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    await service.cancel(info.manage_token, actor=Actor("customer", "Alice", "web"))


def worker(allow_private: bool = True) -> Worker:
    return Worker(
        Senders(),
        public_url="https://book.example",
        name="w1",
        webhooks=WebhookSender(allow_private=allow_private),
    )


async def webhook_rows() -> list[m.Outbox]:
    return await m.Outbox.filter(kind=MessageKind.WEBHOOK).order_by("id")


async def test_events_are_delivered_signed_and_retried_after_a_500(
    db: TestDatabase, receiver: Receiver
) -> None:
    await load_clinic()
    hook, secret = await create_webhook(
        receiver.url,
        ["booking.created", "booking.cancelled"],
        allow_private=True,
        created_by="ops@example.org",
    )
    stored = await m.Webhook.get(id=hook.id)
    assert stored.secret.startswith("fernet:")
    assert secret not in stored.secret
    await booked_and_cancelled()
    now = datetime.now(UTC) + LATER
    assert await fan_out(now) == [f"webhook #{hook.id}: 2 event(s) queued"]
    assert await fan_out(now) == []  # read once: the cursor moved on
    rows = await webhook_rows()
    assert [r.payload["event"] for r in rows] == ["booking.created", "booking.cancelled"]

    receiver.answers_to = {rows[0].dedup_key: [500]}  # the first delivery fails once
    results = {r.dedup_key: r.outcome for r in await worker().drain(now)}
    assert results[rows[0].dedup_key] == "failed"
    assert results[rows[1].dedup_key] == "sent"
    failed = await m.Outbox.get(id=rows[0].id)
    assert failed.status == m.OutboxStatus.PENDING
    assert failed.attempts == 1
    assert "500" in failed.last_error

    retry_at = now + timedelta(hours=1)
    results = {r.dedup_key: r.outcome for r in await worker().drain(retry_at)}
    assert results == {rows[0].dedup_key: "sent"}
    assert (await m.Outbox.get(id=rows[0].id)).status == m.OutboxStatus.SENT

    assert len(receiver.got) == 3  # the 500, then the two delivered
    last = {headers["Slotwise-Delivery"]: (headers, body) for headers, body in receiver.got}
    assert set(last) == {rows[0].dedup_key, rows[1].dedup_key}
    bodies = []
    for headers, body in last.values():
        sent_at = retry_at if headers["Slotwise-Delivery"] == rows[0].dedup_key else now
        assert verify(secret, headers[SIGNATURE_HEADER], body, sent_at)
        assert not verify("whsec_other", headers[SIGNATURE_HEADER], body, sent_at)
        bodies.append(json.loads(body))
    created = next(b for b in bodies if b["type"] == "booking.created")
    assert created["data"]["booking"]["service"] == "solo"
    assert created["data"]["booking"]["customer"]["name"] == "Alice"
    assert created["data"]["change"]["by"] == "customer"


async def test_a_webhook_hears_only_its_events_and_nothing_from_before_it(
    db: TestDatabase, receiver: Receiver
) -> None:
    await load_clinic()
    await booked_and_cancelled()  # before the webhook: not told
    await create_webhook(receiver.url, ["booking.cancelled"], allow_private=True, created_by="ops")
    await booked_and_cancelled()
    await fan_out(datetime.now(UTC) + LATER)
    assert [r.payload["event"] for r in await webhook_rows()] == ["booking.cancelled"]


async def test_a_refusal_for_good_is_dead_and_a_removed_webhook_is_dropped(
    db: TestDatabase, receiver: Receiver
) -> None:
    await load_clinic()
    _hook, _ = await create_webhook(
        receiver.url, ["booking.created"], allow_private=True, created_by="ops"
    )
    await booked_and_cancelled()
    now = datetime.now(UTC) + LATER
    await fan_out(now)
    receiver.answers = [410]
    assert [r.outcome for r in await worker().drain(now) if r.kind == "webhook"] == ["dead"]

    other, _ = await create_webhook(
        receiver.url, ["booking.cancelled"], allow_private=True, created_by="ops"
    )
    await booked_and_cancelled()
    later = datetime.now(UTC) + LATER
    await fan_out(later)
    await delete_webhook(other.id)
    outcomes = [r.outcome for r in await worker().drain(later) if r.kind == "webhook"]
    assert "dropped" in outcomes


async def test_without_the_setting_a_loopback_address_is_never_contacted(
    db: TestDatabase, receiver: Receiver
) -> None:
    await load_clinic()
    await create_webhook(receiver.url, ["booking.created"], allow_private=True, created_by="ops")
    await booked_and_cancelled()
    now = datetime.now(UTC) + LATER
    await fan_out(now)
    results = [r for r in await worker(allow_private=False).drain(now) if r.kind == "webhook"]
    assert [r.outcome for r in results] == ["dead"]
    assert "private" in results[0].detail
    assert receiver.got == []


async def test_moves_and_no_shows_are_events_too(db: TestDatabase) -> None:
    await load_clinic()
    await create_webhook(
        "https://hooks.example.org/in",
        ["booking.moved", "booking.no_show"],
        allow_private=False,
        created_by="ops",
    )
    clock = Clock()
    service = BookingService(None, clock=clock)
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    staff = Actor("staff", "Ana", "admin")
    await service.reschedule(info.manage_token, at(TUESDAY, 12), actor=staff)
    clock.now = at(TUESDAY, 13)
    await service.mark_no_show(info.manage_token, actor=staff)
    await fan_out(datetime.now(UTC) + LATER)
    rows = await webhook_rows()
    assert [r.payload["event"] for r in rows] == ["booking.moved", "booking.no_show"]
    moved = rows[0].payload["body"]["data"]
    assert moved["change"]["from"] == at(TUESDAY, 10).isoformat()
    assert moved["change"]["to"] == at(TUESDAY, 12).isoformat()
    assert moved["change"]["by"] == "staff"
