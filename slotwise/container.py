"""The app's services, built from settings and opened and closed in one place.

    async with Services.open(settings) as services:
        await services.bookings.book(...)

``slotwise serve`` (through ``create_app``'s ``before_serving``/``after_serving``),
``slotwise chat``, ``slotwise slots`` and the coming worker and polling bots all open
the same parts the same way: the database (migrated first), one circuit breaker
for Redis shared by the hold store and the conversation store, the booking
service, the chat and the request limits. Whatever was opened is closed again
in reverse order, also when opening a later part fails.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from channels.clients import Limits, parse_networks
from core.bookings import BookingService, HoldSigner, utc_now
from core.bookings.cascade import Cascade, OfferHolds
from core.circuit import CircuitBreaker
from core.db import close_db, migrate, open_db
from core.dedup import DeliveryLog, make_delivery_log
from core.feeds import FeedService, FeedSigner
from core.holds import HoldStore, make_hold_store
from core.offers import Offers
from core.sealed import use_secret
from core.users import reseal_totp_keys
from slotwise.secret import server_secret
from slotwise.settings import Settings

if TYPE_CHECKING:
    from bot.conversations import ConversationStore
    from bot.runner import Chat, SendCodeBy
    from core.calendars import Calendars

__all__ = ["Services", "calendars_of", "code_sender", "limits_of"]

log = logging.getLogger(__name__)


def code_sender(settings: Settings) -> SendCodeBy | None:
    """What sends a verification code by SMS (``bot.runner.SendCodeBy``), or ``None`` when
    SMS is off: then a number typed into a chat never links another customer's bookings."""
    from channels.sms import SMS, TwilioChannel, TwilioConfig, send_code

    config = TwilioConfig.of(settings)
    if config is None or config.sender(SMS) is None:
        return None
    channel = TwilioChannel(SMS, config)

    async def send(phone: str, code: str, business: str, lang: str) -> None:
        await send_code(channel, phone, code, business, lang)

    return send


def limits_of(settings: Settings) -> Limits:
    """The request limits of the web channels (no I/O: built before anything opens)."""
    return Limits(
        trusted_proxies=parse_networks(settings.trusted_proxies),
        holds_per_minute=settings.holds_per_minute,
        live_holds_per_address=settings.live_holds_per_address,
        live_holds_per_key=settings.live_holds_per_api_key,
        bookings_per_minute=settings.bookings_per_minute,
        bookings_per_contact_per_hour=settings.bookings_per_contact_per_hour,
        chat_messages_per_address_per_minute=settings.chat_messages_per_minute,
    )


def calendars_of(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Calendars:
    """Staff members' calendars with the key of their passwords (``SLOTWISE_CREDENTIALS_KEY``)."""
    from core.calendars import Calendars, Credentials

    key = settings.credentials_key.get_secret_value() if settings.credentials_key else None
    return Calendars(
        Credentials(key),
        settings.base_url,
        clock,
        every=timedelta(minutes=settings.calendar_sync_minutes),
        parallel=settings.calendar_sync_parallel,
        allow_private=settings.calendars_allow_private,
    )


@dataclass(slots=True)
class Services:
    """Everything a process of Slotwise serves with; see the module docstring."""

    settings: Settings
    redis: CircuitBreaker
    """One breaker for Redis: whichever store finds it down spares the other the wait."""
    holds: HoldStore
    deliveries: DeliveryLog
    """Deliveries already handled (webhook resends), shared through Redis when configured."""
    bookings: BookingService
    offers: Offers
    feeds: FeedService
    limits: Limits
    chat_parts: tuple[ConversationStore, Chat] | None = None
    """The conversation store and the bot: ``None`` when opened with ``chat=False`` (the
    bot is most of a command's start-up: ``slotwise slots`` does without it)."""
    cascade: Cascade | None = None
    """The waitlist cascade over :attr:`bookings` (offers answered on the web and in chats)."""

    @property
    def conversations(self) -> ConversationStore:
        return self._chat_parts()[0]

    @property
    def chat(self) -> Chat:
        return self._chat_parts()[1]

    def _chat_parts(self) -> tuple[ConversationStore, Chat]:
        if self.chat_parts is None:
            raise RuntimeError("these services were opened without the chat (chat=False)")
        return self.chat_parts

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        conversations: ConversationStore | None = None,
        migrate_first: bool = True,
        chat: bool = True,
    ) -> AsyncIterator[Services]:
        """Migrate and open the database, then the stores; close all of them on the way
        out. ``clock`` is the one "now" of the booking service and the chat (scripted
        chats pin it); ``conversations`` replaces the configured store (the console
        keeps its one conversation in memory); ``chat=False`` leaves the bot out (and
        its imports: commands that only look at slots start in a fraction of the time)."""
        async with AsyncExitStack() as stack:
            if migrate_first:
                applied = await migrate(settings.database_url)
                if applied:
                    log.info("applied migrations: %s", ", ".join(applied))
            await open_db(
                settings.database_url,
                global_fallback=True,
                statement_timeout_ms=settings.statement_timeout_ms,
            )
            stack.push_async_callback(close_db)
            redis = CircuitBreaker("Redis", cooldown=settings.redis_retry_seconds)
            timeout = settings.redis_timeout_ms / 1000
            # Open waitlist offers are holds kept in the database (core.bookings.cascade).
            holds = OfferHolds(make_hold_store(settings.redis_url, timeout=timeout, breaker=redis))
            stack.push_async_callback(holds.close)
            deliveries = make_delivery_log(settings.redis_url, timeout=timeout, breaker=redis)
            stack.push_async_callback(deliveries.close)
            secret = server_secret(settings)
            use_secret(secret)  # TOTP keys and webhook secrets, sealed at rest (core.sealed)
            if migrate_first:
                await reseal_totp_keys()  # keys from before sealing, sealed now
            # With /metrics on, the same parts as subclasses that count (slotwise.metrics).
            counted = settings.metrics_token is not None
            service_class = BookingService
            if counted:
                from slotwise.metrics import CountedBookings, CountedDeliveries

                deliveries = CountedDeliveries(deliveries)
                service_class = CountedBookings
            bookings = service_class(
                holds,
                hold_ttl=timedelta(seconds=settings.hold_ttl_seconds),
                lock_timeout=timedelta(milliseconds=settings.lock_timeout_ms),
                clock=clock,
                signer=HoldSigner(secret),
            )
            feeds = FeedService(FeedSigner(secret), settings.base_url, clock)
            cascade = Cascade(bookings, hold=timedelta(minutes=settings.waitlist_hold_minutes))
            chat_parts = None
            if chat:
                from bot.conversations import make_conversations
                from bot.runner import Chat

                if conversations is None:
                    conversations = make_conversations(
                        settings.redis_url,
                        settings.chat_ttl_seconds,
                        timeout=timeout,
                        breaker=redis,
                        max_items=settings.chat_memory_max,
                    )
                stack.push_async_callback(conversations.close)
                chat_class = Chat
                if counted:
                    from slotwise.metrics import CountedChat

                    chat_class = CountedChat
                bot = chat_class(
                    bookings,
                    conversations,
                    public_url=settings.base_url,
                    clock=clock,
                    live_holds_per_address=settings.live_holds_per_address,
                    cascade=cascade,
                    send_code=code_sender(settings),
                    code_key=hmac.new(server_secret(settings), b"sms-code", "sha256").digest(),
                )
                chat_parts = (conversations, bot)
            yield cls(
                settings=settings,
                redis=redis,
                holds=holds,
                deliveries=deliveries,
                bookings=bookings,
                offers=Offers(bookings),
                feeds=feeds,
                limits=limits_of(settings),
                chat_parts=chat_parts,
                cascade=cascade,
            )
