"""The worker: sends the outbox's due messages, at least once, never lost.

Each round it claims a batch of due messages (:func:`core.outbox.claim`: a lease,
so workers share the queue and a dead worker's messages are taken again when the
lease ends), and for each, outside any transaction:

1. decides at send time what to send (:func:`core.notify.prepare`): a reminder of
   a booking cancelled or moved meanwhile is dropped, never sent stale;
2. tries its routes best first (:func:`core.customers.reachable_channels`) through
   the :class:`Senders` registered for their channels; a route refused for good
   (``SendFailed(permanent=True)``) passes to the next one;
3. marks it sent with the provider's message id, or failed (retried with backoff,
   dead after ``RetryPolicy.max_attempts``), dead when every route refused it for
   good, dropped when no registered channel reaches the customer.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.replies import Attachment, Option, Reply
from channels.base import Channel, SendFailed
from core.notify import Drop, Outgoing, Sender, prepare
from core.outbox import Claimed, RetryPolicy, claim, mark_dead, mark_dropped, mark_failed, mark_sent
from slotwise.settings import Settings

__all__ = ["ChannelSender", "Result", "Senders", "Worker", "senders_of", "worker_name"]

log = logging.getLogger(__name__)

Outcome = Literal["sent", "failed", "dead", "dropped"]
DEFAULT_POLICY = RetryPolicy()


class ChannelSender:
    """A chat channel as a sender: the text body as one reply, the calendar file attached."""

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
        options = tuple(Option(label, value) for label, value in message.actions)
        return Reply(message.text, options, attachments=attachments)
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


class Worker:
    """Claims and sends; see the module docstring. ``clock`` is read for each round and
    for the sent time, unless a round is given its own ``now`` (``worker --once --now``)."""

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
    ) -> None:
        self.senders = senders
        self.public_url = public_url
        self.name = name or worker_name()
        self.batch = batch
        self.lease = lease
        self.policy = policy
        self.clock = clock
        self._limit = asyncio.Semaphore(concurrency)

    async def round(self, now: datetime | None = None) -> list[Result]:
        """One batch: claim what is due at ``now`` and send it."""
        at = now or self.clock()
        claimed = await claim(self.name, at, limit=self.batch, lease=self.lease)
        return list(await asyncio.gather(*(self._guarded(c, at, now) for c in claimed)))

    async def drain(self, now: datetime | None = None) -> list[Result]:
        """Rounds until nothing more is due (what failed waits for its backoff)."""
        results: list[Result] = []
        while batch := await self.round(now):
            results.extend(batch)
        return results

    async def run(self, stop: asyncio.Event, *, poll: float = 3.0) -> None:
        """Until ``stop`` is set: a drain every ``poll`` seconds. A database that is away
        is logged and tried again next time; a message being sent is finished first."""
        while not stop.is_set():
            try:
                for result in await self.drain():
                    log.info("%s", result.line())
            except Exception:
                log.exception("the worker's round failed; trying again in %s s", poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)

    async def _guarded(self, c: Claimed, at: datetime, fixed: datetime | None) -> Result:
        async with self._limit:
            return await self._one(c, at, fixed)

    async def _one(self, c: Claimed, at: datetime, fixed: datetime | None) -> Result:
        def result(outcome: Outcome, detail: str = "") -> Result:
            return Result(c.id, c.kind, c.dedup_key, outcome, detail)

        try:
            decided = await prepare(c, at, public_url=self.public_url)
        except Exception as error:  # a bug or the database: retry later, never lose it
            log.exception("preparing outbox message %s failed", c.id)
            return await self._failed(c, f"preparing failed: {error!r}", fixed, result)
        if isinstance(decided, Drop):
            await mark_dropped(c.id, decided.reason)
            return result("dropped", decided.reason)
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
            await mark_sent(c.id, fixed or self.clock(), provider_id=provider_id)
            return result("sent", f"by {route.channel} to {masked(route.address)}")
        detail = "; ".join(refusals)
        await mark_dead(c.id, detail)
        return result("dead", detail)

    async def _failed(
        self,
        c: Claimed,
        error: str,
        fixed: datetime | None,
        result: Callable[[Outcome, str], Result],
    ) -> Result:
        dead = await mark_failed(c, error, fixed or self.clock(), policy=self.policy)
        return result("dead" if dead else "failed", error)
