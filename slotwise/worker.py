"""The worker: sends the outbox's due messages, at least once, never lost.

Each round it claims a batch of due messages (:func:`core.outbox.claim`: a lease,
so workers share the queue and a dead worker's messages are taken again when the
lease ends), and for each, outside any transaction:

1. decides at send time what to send (:func:`core.notify.prepare_many`, which reads
   what the whole batch needs in a few queries): a reminder of
   a booking cancelled or moved meanwhile is dropped, never sent stale;
2. tries its routes best first (:func:`core.customers.reachable_channels`) through
   the :class:`Senders` registered for their channels; a route refused for good
   (``SendFailed(permanent=True)``) passes to the next one;
3. marks it sent with the provider's message id (the round's sent messages in one
   statement, once the round's sends are done), or failed (retried with backoff,
   dead after ``RetryPolicy.max_attempts``), dead when every route refused it for
   good, dropped when no registered channel reaches the customer.

The waitlist cascade (:mod:`core.bookings.cascade`) runs here too, when the worker
is given one: each round first ends lapsed offers and expired entries (with the
round's ``now``), and a claimed ``capacity_freed`` row is not sent but handed to the
cascade, which offers (or books) the freed time; the offers it queues are sent like
any message. Each round also queues the morning summaries due today
(:func:`core.notify.summary.queue_summaries`). The booking service the cascade uses
reads the same ``now`` (:class:`Moment`), so ``worker --once --now`` decides offers,
leases, lapses and summaries at one instant.

Every send carries the message's outbox dedup key (e-mail: its Message-ID), so a
resend after a crash between sending and marking can be recognised.

:class:`Senders` maps a channel name to what sends on it: the e-mail sender, and any
:class:`channels.base.Channel` (its ``send`` gets the text and the calendar file;
a channel with a ``deliver(address, Outgoing)`` of its own gets the whole message,
dedup key included). ``slotwise serve`` sends nothing itself; ``slotwise worker``
runs this, and ``slotwise run`` starts it beside the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.replies import Attachment, Option, Reply
from channels.base import Channel, SendFailed
from core.notify import Broken, Drop, Later, Outgoing, Ready, Sender, prepare_many
from core.notify.prepare import FeedLink
from core.notify.summary import queue_summaries
from core.outbox import (
    Claimed,
    MessageKind,
    RetryPolicy,
    claim,
    defer,
    mark_dead,
    mark_dropped,
    mark_failed,
    mark_sent,
    mark_sent_many,
)
from core.requestid import request_context
from core.webhooks import WebhookFailed, WebhookSender
from slotwise.settings import Settings

if TYPE_CHECKING:
    from core.bookings.cascade import Cascade

__all__ = [
    "ChannelSender",
    "Moment",
    "Result",
    "Senders",
    "Worker",
    "senders_of",
    "worker_name",
]

log = logging.getLogger(__name__)

Outcome = Literal["sent", "failed", "dead", "dropped", "deferred"]
Job = Callable[[datetime], Awaitable[list[str]]]
"""Other work of each round (calendar sync): given the round's now, lines saying what it did."""
DEFAULT_POLICY = RetryPolicy()


class ChannelSender:
    """A chat channel as a sender: the text body as one reply, the calendar file attached,
    the message's actions as the reply's buttons (their values are the actions')."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    async def deliver(self, address: str, message: Outgoing) -> str | None:
        attachments: tuple[Attachment, ...] = ()
        if message.calendar is not None:
            attachments = (
                Attachment("booking.ics", "text/calendar", message.calendar, message.calendar_url),
            )
        await self.channel.send(address, [_reply(message, self.channel, attachments)])
        return None


def _reply(message: Outgoing, channel: Channel, attachments: tuple[Attachment, ...]) -> Reply:
    """The message as one reply in the channel's idiom: its answers (a reminder's keep, move,
    cancel) as buttons, or as the sentence with numbers where there are none (SMS)."""
    if not message.actions:
        return Reply(message.text, attachments=attachments)
    if channel.traits.has_buttons:
        options = tuple(Option(action.label, action.value) for action in message.actions)
        return Reply(message.text, options, attachments=attachments)
    if not message.actions_text:  # a waitlist offer says "reply 1 or 2" in its own text
        return Reply(message.text, attachments=attachments)
    return Reply(f"{message.text}\n\n{message.actions_text}", attachments=attachments)


@dataclass(slots=True)
class Senders:
    """What sends on each channel, by the channel's name (``"email"``, ``"telegram"``)."""

    by_channel: dict[str, Sender] = field(default_factory=dict)

    def add(self, channel: str, sender: Sender) -> None:
        self.by_channel[channel] = sender

    def add_channel(self, channel: Channel) -> None:
        """Register a chat channel: its own ``deliver`` when it has one, else its ``send``."""
        own = getattr(channel, "deliver", None)
        self.add(channel.name, channel if own is not None else ChannelSender(channel))  # type: ignore[arg-type]

    def get(self, channel: str) -> Sender | None:
        return self.by_channel.get(channel)

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_channel)


def senders_of(settings: Settings) -> Senders:
    """The senders this process can use: e-mail (SMTP, or the log without it). The chat
    channels add theirs when they are configured."""
    from channels.email import EMAIL, LogEmail, SmtpEmail, SmtpTarget

    senders = Senders()
    url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
    if url:
        target = SmtpTarget.parse(url)
        senders.add(
            EMAIL, SmtpEmail(target, sender=settings.smtp_from, public_url=settings.base_url)
        )
    else:
        senders.add(EMAIL, LogEmail(sender=settings.smtp_from, public_url=settings.base_url))
    from channels.sms import TwilioConfig, channels_of

    twilio = TwilioConfig.of(settings)
    for channel in channels_of(twilio) if twilio is not None else ():
        senders.add_channel(channel)
    if settings.telegram_token is not None:
        from channels.telegram.channel import TelegramChannel
        from channels.telegram.updates import make_bot

        bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)
        senders.add_channel(TelegramChannel(bot))
    if settings.slack_bot_token is not None:
        from slack_sdk.web.async_client import AsyncWebClient

        from channels.slack.channel import SlackChannel

        token = settings.slack_bot_token.get_secret_value()
        senders.add_channel(
            SlackChannel(AsyncWebClient(token=token, base_url=settings.slack_api_base))
        )
    return senders


def worker_name() -> str:
    """``host:pid``: who holds a lease, for the operator reading the outbox."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Result:
    id: int
    kind: str
    dedup_key: str
    outcome: Outcome
    detail: str = ""
    request_id: str | None = field(default=None, compare=False)
    """The request that caused the message (its payload's), for the log line."""

    def line(self) -> str:
        tail = f" {self.detail}" if self.detail else ""
        return f"{self.outcome}\t#{self.id}\t{self.kind}\t{self.dedup_key}{tail}"


def masked(address: str) -> str:
    """An address as the log shows it: enough to tell two apart, no personal data
    (``a***@example.com``, ``+49***67``, a chat id's first characters)."""
    name, at, domain = address.partition("@")
    if at:
        return f"{name[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}" if len(address) > 6 else "***"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Moment:
    """A clock that reads the instant of the worker's round while one is pinned: what the
    cascade's booking service is given, so it decides at the round's ``now``."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self.pinned: datetime | None = None

    def __call__(self) -> datetime:
        return self.pinned or self.clock()


class Worker:
    """Claims and sends; see the module docstring. ``clock`` is read for each round and
    for the sent time, unless a round is given its own ``now`` (``worker --once --now``).
    ``cascade`` runs the waitlist cascade; ``moment`` is its booking service's clock."""

    def __init__(
        self,
        senders: Senders,
        *,
        public_url: str,
        name: str | None = None,
        batch: int = 100,
        lease: timedelta = timedelta(minutes=2),
        policy: RetryPolicy = DEFAULT_POLICY,
        concurrency: int = 8,
        clock: Callable[[], datetime] = utc_now,
        jobs: Sequence[Job] = (),
        cascade: Cascade | None = None,
        moment: Moment | None = None,
        webhooks: WebhookSender | None = None,
        feed_link: FeedLink | None = None,
    ) -> None:
        self.senders = senders
        self.feed_link = feed_link
        self.webhooks = webhooks or WebhookSender()
        self.cascade = cascade
        self.moment = moment
        self.public_url = public_url
        self.name = name or worker_name()
        self.batch = batch
        self.lease = lease
        self.policy = policy
        self.clock = clock
        self.jobs = tuple(jobs)
        self._limit = asyncio.Semaphore(concurrency)

    async def round(self, now: datetime | None = None) -> list[Result]:
        """One batch: claim what is due at ``now`` and send it."""
        at = now or self.clock()
        if self.moment is not None:
            self.moment.pinned = at
        try:
            if self.cascade is not None:
                for step in await self.cascade.tick(at):
                    log.info("%s", step.line())
            for line in await queue_summaries(at):  # staff who asked for a morning summary
                log.info("%s", line)
            claimed = await claim(self.name, at, limit=self.batch, lease=self.lease)
            if not claimed:
                return []
            try:
                decided = await prepare_many(
                    claimed,
                    at,
                    public_url=self.public_url,
                    channels=set(self.senders),
                    feed_link=self.feed_link,
                )
            except Exception as error:  # the database: retry them all later, never lose them
                log.exception("preparing a batch of %d outbox messages failed", len(claimed))
                decided = [Broken(f"preparing failed: {error!r}") for _ in claimed]
            sent: list[tuple[int, str | None]] = []
            results = list(
                await asyncio.gather(
                    *(self._guarded(c, d, now, sent) for c, d in zip(claimed, decided, strict=True))
                )
            )
            await mark_sent_many(sent, now or self.clock())
            return results
        finally:
            if self.moment is not None:
                self.moment.pinned = None

    async def drain(self, now: datetime | None = None) -> list[Result]:
        """Rounds until nothing more is due (what failed waits for its backoff)."""
        results: list[Result] = []
        while batch := await self.round(now):
            results.extend(batch)
        return results

    async def run_jobs(self, now: datetime | None = None) -> list[str]:
        """Each job once; one that fails is logged and does not stop the others."""
        at = now or self.clock()
        lines: list[str] = []
        for job in self.jobs:
            try:
                lines.extend(await job(at))
            except Exception:
                log.exception("a job of the worker failed; it runs again next round")
        return lines

    async def run(
        self, stop: asyncio.Event, *, poll: float = 3.0, heartbeat: Path | None = None
    ) -> None:
        """Until ``stop`` is set: a drain and the jobs every ``poll`` seconds. A database
        that is away is logged and tried again next time; a message being sent is finished
        first. ``heartbeat`` is touched after every round that worked (a container's health
        check reads its age: a worker stuck or failing every round turns unhealthy)."""
        while not stop.is_set():
            try:
                for result in await self.drain():
                    with request_context(result.request_id):
                        log.info("%s", result.line())
                for line in await self.run_jobs():
                    log.info("%s", line)
            except Exception:
                log.exception("the worker's round failed; trying again in %s s", poll)
            else:
                if heartbeat is not None:
                    heartbeat.touch()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)

    async def _guarded(
        self,
        c: Claimed,
        decided: Ready | Drop | Later | Broken,
        fixed: datetime | None,
        sent: list[tuple[int, str | None]],
    ) -> Result:
        request_id = c.payload.get("request_id")
        request_id = request_id if isinstance(request_id, str) else None
        async with self._limit:
            with request_context(request_id):  # what is logged while sending names it
                result = await self._one(c, decided, fixed, sent)
        return replace(result, request_id=request_id)

    async def _one(
        self,
        c: Claimed,
        decided: Ready | Drop | Later | Broken,
        fixed: datetime | None,
        sent: list[tuple[int, str | None]],
    ) -> Result:
        """Sends one message; a sent one is added to ``sent`` (marked with its round)."""

        def result(outcome: Outcome, detail: str = "") -> Result:
            return Result(c.id, c.kind, c.dedup_key, outcome, detail)

        if c.kind == MessageKind.CAPACITY_FREED:
            at = fixed or (self.moment() if self.moment is not None else self.clock())
            return await self._freed(c, at, fixed, result)
        if c.kind == MessageKind.WEBHOOK:
            return await self._webhook(c, fixed, result)
        if isinstance(decided, Broken):  # a bug or the database: retry later, never lose it
            return await self._failed(c, decided.error, fixed, result)
        if isinstance(decided, Drop):
            await mark_dropped(c.id, decided.reason)
            return result("dropped", decided.reason)
        if isinstance(decided, Later):
            await defer(c, decided.until, decided.reason)
            return result("deferred", f"until {decided.until.isoformat()}: {decided.reason}")
        usable = [(r, s) for r in decided.routes if (s := self.senders.get(r.channel))]
        if not usable:
            reason = "no registered channel reaches the customer"
            await mark_dropped(c.id, reason)
            return result("dropped", reason)
        refusals: list[str] = []
        for route, sender in usable:
            try:
                provider_id = await sender.deliver(route.address, decided.message)
            except SendFailed as error:
                if error.permanent:
                    refusals.append(f"{route.channel}: {error.detail}")
                    continue
                return await self._failed(c, f"{route.channel}: {error.detail}", fixed, result)
            except Exception as error:  # a sender's bug: retried, and logged for a person
                log.exception("sending outbox message %s by %s failed", c.id, route.channel)
                return await self._failed(c, f"{route.channel}: {error!r}", fixed, result)
            sent.append((c.id, provider_id))
            return result("sent", f"by {route.channel} to {masked(route.address)}")
        detail = "; ".join(refusals)
        await mark_dead(c.id, detail)
        return result("dead", detail)

    async def _freed(
        self,
        c: Claimed,
        at: datetime,
        fixed: datetime | None,
        result: Callable[[Outcome, str], Result],
    ) -> Result:
        """Run the waitlist cascade for freed time; the row is then done ("sent")."""
        if self.cascade is None:
            await mark_dropped(c.id, "this worker runs no waitlist cascade")
            return result("dropped", "this worker runs no waitlist cascade")
        try:
            start = datetime.fromisoformat(str(c.payload["start"]))
            end = datetime.fromisoformat(str(c.payload["end"]))
        except (KeyError, ValueError):
            await mark_dropped(c.id, "no freed time in the row")
            return result("dropped", "no freed time in the row")
        try:
            steps = await self.cascade.freed(start, end, at)
        except Exception as error:  # the database or a bug: retried later, never lost
            log.exception("the waitlist cascade of outbox row %s failed", c.id)
            return await self._failed(c, f"waitlist cascade failed: {error!r}", fixed, result)
        await mark_sent(c.id, fixed or self.clock())
        done = ", ".join(f"{s.action} entry #{s.entry_id}" for s in steps)
        return result("sent", f"waitlist: {done or 'nobody waiting for it'}")

    async def _webhook(
        self, c: Claimed, fixed: datetime | None, result: Callable[[Outcome, str], Result]
    ) -> Result:
        """POST a booking event to its webhook (:mod:`core.webhooks`): retried with the
        outbox's backoff, dead when refused for good or after the last attempt."""
        try:
            delivered = await self.webhooks.deliver(c.payload, c.dedup_key, fixed or self.clock())
        except WebhookFailed as error:
            if error.permanent:
                await mark_dead(c.id, error.detail)
                return result("dead", error.detail)
            return await self._failed(c, error.detail, fixed, result)
        except Exception as error:  # the database or a bug: retried later, never lost
            log.exception("delivering webhook row %s failed", c.id)
            return await self._failed(c, f"webhook: {error!r}", fixed, result)
        if not delivered:
            await mark_dropped(c.id, "the webhook was removed")
            return result("dropped", "the webhook was removed")
        await mark_sent(c.id, fixed or self.clock())
        return result("sent", f"webhook {c.payload.get('event')}")

    async def _failed(
        self,
        c: Claimed,
        error: str,
        fixed: datetime | None,
        result: Callable[[Outcome, str], Result],
    ) -> Result:
        dead = await mark_failed(c, error, fixed or self.clock(), policy=self.policy)
        return result("dead" if dead else "failed", error)
