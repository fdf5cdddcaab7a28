"""Telegram updates in, the bot's replies out: aiogram's dispatcher with our handlers.

One :class:`TelegramBot` serves both ways in: the webhook route feeds it each
update (:meth:`TelegramBot.feed`), ``slotwise telegram --polling`` lets aiogram
poll. Either way an update passes the delivery log first (``telegram:<update_id>``,
claimed once; given back when handling failed), so Telegram's resend of an
update it thinks was lost has no second effect.

What a person does becomes an :class:`~bot.inbound.Inbound`:

- text is text; ``/start`` greets, ``/start book-<service>`` (a ``t.me/<bot>?start=``
  deep link) chooses the service; ``/help``, ``/bookings``, ``/cancel`` are the
  dialog's own choices (``menu:help``, ``menu:list``, ``act:cancel``), so they work
  in every language;
- a pressed option is its value (callback data, see :mod:`channels.telegram.render`);
  the query is answered at once, and the message loses its buttons and gains the
  label picked, so an old button cannot be pressed twice;
- a day picked in the calendar is sent as the date (``2026-12-15``);
- a contact shared with the contact button is the person's own, verified by
  Telegram: the customer is found or made with that phone and tied to this
  Telegram user at once (:func:`core.customers.find_or_create`), and the dialog
  gets the number. Someone else's contact card is only a number typed.

``language_code`` is the person's locale. Group chats are not served.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Protocol

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject, Update
from babel.dates import format_date

from bot.conversations import ConversationStore
from bot.i18n import pick_language
from bot.inbound import ChatHandler, Inbound
from channels.base import SendFailed
from channels.telegram import TELEGRAM
from channels.telegram.channel import TELEGRAM_TRAITS, TelegramChannel
from channels.telegram.render import calendar_keyboard, parse_callback, resolve
from core.customers import CustomerInput, Identity, find_or_create
from core.dedup import DeliveryLog

__all__ = ["COMMANDS", "TelegramBot", "TelegramServices", "make_bot"]

log = logging.getLogger(__name__)

COMMANDS = {"help": "menu:help", "bookings": "menu:list", "cancel": "act:cancel"}
"""Slash commands and the dialog's choice each one is."""
DEEP_LINK_BOOK = "book-"
"""``/start book-<service id>`` chooses the service (``t.me/<bot>?start=book-consult``)."""
WEBHOOK_WAIT = 50.0
"""How long the webhook answer waits for the update's handling (Telegram waits 60 s)."""


class TelegramServices(Protocol):
    """What the channel needs of the app's services (``slotwise.container.Services`` has it)."""

    @property
    def chat(self) -> ChatHandler: ...

    @property
    def deliveries(self) -> DeliveryLog: ...

    @property
    def conversations(self) -> ConversationStore: ...


def make_bot(token: str, api_base: str) -> Bot:
    """An aiogram ``Bot`` talking to ``api_base`` (Telegram, or a local fake in tests)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token, session=session)


class TelegramBot:
    """The bot, its dispatcher and the outbound channel (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        services: Callable[[], TelegramServices],
        *,
        channel: TelegramChannel | None = None,
    ) -> None:
        self.bot = bot
        self.channel = channel or TelegramChannel(bot)
        self._services = services
        self.dispatcher = Dispatcher()
        self.dispatcher.update.outer_middleware(self._once)
        router = Router(name=TELEGRAM)
        router.message.register(self._on_message, F.chat.type == "private")
        router.callback_query.register(self._on_callback)
        self.dispatcher.include_router(router)

    async def feed(self, update: dict[str, Any]) -> None:
        """Handle one update from the webhook; raises when handling failed (the claim on
        its ``update_id`` is given back first, so Telegram's resend is handled)."""
        await self.dispatcher.feed_webhook_update(self.bot, update, _timeout=WEBHOOK_WAIT)

    async def close(self) -> None:
        await self.bot.session.close()

    # --- once per update_id ----------------------------------------------------------------

    async def _once(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(update, Update)
        key = f"{TELEGRAM}:{update.update_id}"
        deliveries = self._services().deliveries
        if not await deliveries.first(key):
            log.info("Telegram update %s seen before: dropped", update.update_id)
            return None
        try:
            return await handler(update, data)
        except BaseException:
            await deliveries.forget(key)
            raise

    # --- messages ------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        person = message.from_user
        if person is None:
            return
        locale = person.language_code
        user = str(person.id)
        text, choice = message.text, None
        if message.contact is not None:
            text = await self._shared(message, user)
        elif text is not None and text.startswith("/"):
            text, choice = _command(text)
        elif text is None:
            text = message.caption or (message.sticker.emoji if message.sticker else None) or "?"
        await self._answer(message.chat.id, _inbound(user, text, choice, locale, event_update))

    async def _shared(self, message: Message, user: str) -> str:
        """The number of a shared contact; the person's own (Telegram vouches for it) ties
        this Telegram user to the customer with that phone, found or made."""
        contact = message.contact
        assert contact is not None
        phone = contact.phone_number.strip()
        if not phone.startswith("+"):
            phone = f"+{phone}"  # Telegram sends the number without its "+"
        if contact.user_id is not None and contact.user_id == message.from_user.id:  # type: ignore[union-attr]
            try:
                await find_or_create(
                    CustomerInput("", phone=phone), Identity(TELEGRAM, user, verified_phone=phone)
                )
            except Exception:  # the booking ties them later all the same
                log.exception("could not tie a shared Telegram contact")
        return phone

    # --- buttons -------------------------------------------------------------------------

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        try:
            await query.answer()
        except TelegramAPIError as error:  # too old to answer: the press still counts
            log.info("could not answer a callback query: %s", error.message)
        message = query.message
        if not isinstance(message, Message) or message.chat.type != "private":
            return
        user = str(query.from_user.id)
        locale = query.from_user.language_code
        pressed = parse_callback(query.data)
        text: str | None = None
        choice: str | None = None
        picked: str | None = None
        match pressed.kind:
            case "noop":
                return
            case "month":
                keyboard = calendar_keyboard(
                    pressed.value, lang=pick_language(locale), today=self.channel.today()
                )
                await self._quietly(message.edit_reply_markup(reply_markup=keyboard))
                return
            case "day":
                text = pressed.value
                picked = format_date(
                    date.fromisoformat(pressed.value), "full", locale=pick_language(locale)
                )
            case "option":
                choice = pressed.value
                picked = _label(message.reply_markup, query.data)
            case _:
                choice = await self._unhashed(user, pressed.value)
                picked = _label(message.reply_markup, query.data)
        await self._picked(message, picked)
        await self._answer(message.chat.id, _inbound(user, text, choice, locale, event_update))

    async def _unhashed(self, user: str, key: str) -> str:
        """The value of a hashed option, among those the conversation shows; a key that
        matches none stays a value the dialog calls no longer available."""
        try:
            state = await self._services().conversations.get(TELEGRAM, user)
        except Exception:
            log.exception("cannot read the conversation for a hashed option")
            state = None
        values = [s.value for s in (*state.shown, *state.more)] if state else []
        return resolve(key, values) or f"h:{key}"

    async def _picked(self, message: Message, label: str | None) -> None:
        """The message loses its buttons (and shows what was picked), so none is pressed twice."""
        body = message.text or ""
        if label and body and len(body) + len(label) + 3 <= TELEGRAM_TRAITS.max_text:
            await self._quietly(message.edit_text(f"{body}\n\n\N{RIGHTWARDS ARROW} {label}"))
        else:
            await self._quietly(message.edit_reply_markup(reply_markup=None))

    async def _quietly(self, request: Awaitable[object]) -> None:
        """An edit that may fail (the message is too old, or already shows this)."""
        try:
            await request
        except TelegramAPIError as error:
            log.info("could not edit a Telegram message: %s", error.message)

    # --- the bot's answer ----------------------------------------------------------------

    async def _answer(self, chat_id: int, inbound: Inbound) -> None:
        replies = await self._services().chat.handle(inbound)
        try:
            await self.channel.send(str(chat_id), replies, lang=inbound.locale)
        except SendFailed as failed:
            # The turn happened; handling the update again would repeat it. Logged only.
            log.warning("could not answer on Telegram: %s", failed.detail)


def _command(text: str) -> tuple[str | None, str | None]:
    """A slash command as (text, choice) for the dialog: ``/start`` greets (neither)."""
    head, _sep, rest = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    payload = rest.strip()
    if name == "start":
        if payload.startswith(DEEP_LINK_BOOK) and len(payload) > len(DEEP_LINK_BOOK):
            return None, f"svc:{payload.removeprefix(DEEP_LINK_BOOK)}"
        return None, None
    if name in COMMANDS:
        return None, COMMANDS[name]
    return text, None


def _label(markup: InlineKeyboardMarkup | None, data: str | None) -> str | None:
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _inbound(
    user: str, text: str | None, choice: str | None, locale: str | None, update: Update
) -> Inbound:
    """A message or a press as the bot takes it; the update's id is the message's."""
    return Inbound(
        channel=TELEGRAM,
        user=user,
        text=text,
        choice=choice,
        locale=locale,
        traits=TELEGRAM_TRAITS,
        message_id=str(update.update_id),
    )
