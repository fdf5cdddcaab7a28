"""``GET /metrics`` in Prometheus's text format, and the counters behind it.

Off (404, as if absent) unless ``SLOTWISE_METRICS_TOKEN`` is set; then only for
``Authorization: Bearer <token>`` (401 without it, 403 with another; compared in
constant time). What is counted:

- ``slotwise_bookings_total{channel, outcome}``: ``made``, ``refused`` (the slot was
  taken or not a slot) and ``cancelled``, by the channel that asked;
- ``slotwise_holds_total{outcome}``: ``taken``, ``refused``, ``released``;
- ``slotwise_dialog_turn_seconds{channel}``: each chat turn and how long it took;
- ``slotwise_webhook_refused_total{channel, reason}``: ``signature`` (a 401/403 answer
  to a webhook) and ``replay`` (a delivery already handled);
- ``slotwise_slot_query_seconds``: how long finding free slots took;
- ``slotwise_outbox_messages{status}``, ``slotwise_outbox_due``,
  ``slotwise_outbox_retrying`` and ``slotwise_outbox_oldest_due_seconds`` (the lag
  from due to sent, of what is waiting now): read from the database at each scrape,
  so they are right however many workers send.

The counters are kept by the composition root's subclasses of the booking service
and the chat (:func:`counted_services`), so the core and the bot know nothing of
metrics. With several server processes (``SLOTWISE_WORKERS``), ``slotwise serve``
points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder and each scrape adds up every
process's figures (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from quart import Quart, Response, request
from quart_schema import hide
from tortoise.functions import Count

from bot.inbound import Inbound
from bot.replies import Reply
from bot.runner import Chat
from channels.problems import problem
from core.bookings import Actor, BookingInfo, BookingService, CustomerInput
from core.dedup import DEFAULT_TTL, DeliveryLog
from core.engine import Slot
from core.errors import SlotUnavailable
from core.holds import Hold
from core.models import Outbox, OutboxStatus
from slotwise.settings import Settings

__all__ = [
    "CountedBookings",
    "CountedChat",
    "CountedDeliveries",
    "register_metrics",
]

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"

BOOKINGS = Counter(
    "slotwise_bookings", "Bookings made, refused and cancelled.", ["channel", "outcome"]
)
HOLDS = Counter("slotwise_holds", "Holds taken, refused and released.", ["outcome"])
TURNS = Histogram("slotwise_dialog_turn_seconds", "Chat turns and how long each took.", ["channel"])
WEBHOOK_REFUSED = Counter(
    "slotwise_webhook_refused",
    "Webhook requests refused: bad signature, or a delivery already handled.",
    ["channel", "reason"],
)
SLOT_QUERY = Histogram(
    "slotwise_slot_query_seconds",
    "How long finding the free slots of a service took.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

WEBHOOKS = {
    "/telegram/webhook": "telegram",
    "/slack/events": "slack",
    "/twilio/sms": "sms",
    "/twilio/whatsapp": "whatsapp",
}


class CountedBookings(BookingService):
    """The booking service, counting what it was asked and how it answered."""

    async def book(
        self, service_id: str, start: datetime, customer: CustomerInput, **options: Any
    ) -> BookingInfo:
        channel = str(options.get("channel", "api"))
        try:
            made = await super().book(service_id, start, customer, **options)
        except SlotUnavailable:
            BOOKINGS.labels(channel, "refused").inc()
            raise
        BOOKINGS.labels(channel, "made").inc()
        return made

    async def confirm(self, token: str, customer: CustomerInput, **options: Any) -> BookingInfo:
        channel = str(options.get("channel", "api"))
        try:
            made = await super().confirm(token, customer, **options)
        except SlotUnavailable:
            BOOKINGS.labels(channel, "refused").inc()
            raise
        BOOKINGS.labels(channel, "made").inc()
        return made

    async def cancel(self, manage_token: str, *, actor: Actor, **options: Any) -> BookingInfo:
        done = await super().cancel(manage_token, actor=actor, **options)
        BOOKINGS.labels(actor.channel, "cancelled").inc()
        return done

    async def hold(self, service_id: str, start: datetime, **options: Any) -> Hold:
        try:
            held = await super().hold(service_id, start, **options)
        except SlotUnavailable:
            HOLDS.labels("refused").inc()
            raise
        HOLDS.labels("taken").inc()
        return held

    async def release(self, token: str, *, owner: str) -> None:
        await super().release(token, owner=owner)
        HOLDS.labels("released").inc()

    async def offer(
        self, service_id: str, first: date, last: date, provider: str | None = None, **options: Any
    ) -> list[Slot]:
        began = time.perf_counter()
        try:
            return await super().offer(service_id, first, last, provider, **options)
        finally:
            SLOT_QUERY.observe(time.perf_counter() - began)


class CountedChat(Chat):
    """The bot, timing each turn by channel."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        began = time.perf_counter()
        try:
            return await super().handle(inbound)
        finally:
            TURNS.labels(inbound.channel).observe(time.perf_counter() - began)


class CountedDeliveries:
    """A :class:`~core.dedup.DeliveryLog` that counts the deliveries it refuses as seen."""

    def __init__(self, log: DeliveryLog) -> None:
        self._log = log

    async def first(self, key: str, ttl: int = DEFAULT_TTL) -> bool:
        fresh = await self._log.first(key, ttl)
        if not fresh:
            WEBHOOK_REFUSED.labels(key.split(":", 1)[0], "replay").inc()
        return fresh

    async def forget(self, key: str) -> None:
        await self._log.forget(key)

    async def close(self) -> None:
        await self._log.close()


class _Outbox(Collector):
    """The outbox's state, read before the scrape (the collector itself does no I/O)."""

    def __init__(self, rows: Iterable[tuple[str, int]], due: int, retrying: int, oldest: float):
        self._rows, self._due, self._retrying, self._oldest = list(rows), due, retrying, oldest

    def collect(self) -> Iterable[GaugeMetricFamily]:
        messages = GaugeMetricFamily(
            "slotwise_outbox_messages", "Outbox messages by status.", labels=["status"]
        )
        for status, count in self._rows:
            messages.add_metric([status], count)
        yield messages
        yield GaugeMetricFamily(
            "slotwise_outbox_due", "Messages due now and not sent yet.", value=self._due
        )
        yield GaugeMetricFamily(
            "slotwise_outbox_retrying",
            "Messages waiting after a failed attempt.",
            value=self._retrying,
        )
        yield GaugeMetricFamily(
            "slotwise_outbox_oldest_due_seconds",
            "How long the oldest due message has waited (0: none waits).",
            value=self._oldest,
        )


async def _outbox(now: datetime) -> _Outbox:
    pending = Outbox.filter(status=OutboxStatus.PENDING)
    counted = Outbox.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    by_status = [(str(status), int(n)) for status, n in await counted]
    due = pending.filter(available_at__lte=now)
    oldest = await due.order_by("available_at").first().values_list("available_at", flat=True)
    waited = (now - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
    return _Outbox(
        by_status, await due.count(), await pending.filter(attempts__gt=0).count(), max(waited, 0)
    )


def _authorised(token: str) -> Response | None:
    """``None`` if the request carries the token, else the 401 or 403 to answer."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        response = problem(401, "unauthorized", "send 'Authorization: Bearer <metrics token>'")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return problem(403, "forbidden", "this is not the metrics token")
    return None


def _registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROCESS):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def register_metrics(app: Quart, settings: Settings) -> None:
    """Serve ``/metrics`` and count refused webhooks, only when a token is set."""
    if settings.metrics_token is None:
        return
    token = settings.metrics_token.get_secret_value()

    @app.get("/metrics")
    @hide  # not part of the API's description
    async def metrics() -> Response:
        refused = _authorised(token)
        if refused is not None:
            return refused
        outbox = CollectorRegistry()
        outbox.register(await _outbox(datetime.now(UTC)))
        body = generate_latest(_registry()) + generate_latest(outbox)
        return Response(
            body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
        )

    @app.after_request
    async def count_refused_webhooks(response: Response) -> Response:
        channel = WEBHOOKS.get(request.path)
        if channel is not None and response.status_code in (401, 403):
            WEBHOOK_REFUSED.labels(channel, "signature").inc()
        return response
