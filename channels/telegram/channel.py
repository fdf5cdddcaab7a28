"""Telegram as a :class:`~channels.base.Channel`: sends the bot's replies to a chat.

The recipient is the Telegram chat id (in a private chat, the person's user id,
which is also their identity's ``external_id``). Telegram's errors become
:class:`~channels.base.SendFailed`, and two of them change what happens next:

- 403 (the person blocked the bot, or deleted their account): the identity is
  marked unreachable (:func:`core.customers.mark_unreachable`), so the worker
  writes to them elsewhere; permanent.
- 429 (flood limit): wait ``retry_after`` (at most :data:`MAX_RETRY_WAIT` seconds),
  then try that message once more; a second refusal is a temporary failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile

from bot.i18n import pick_language
from bot.replies import Reply
from bot.traits import ChannelTraits
from channels.base import SendFailed
from channels.telegram import TELEGRAM
from channels.telegram.render import Outgoing, Text, render
from core.customers import mark_unreachable

__all__ = ["MAX_RETRY_WAIT", "TELEGRAM", "TELEGRAM_TRAITS", "TelegramChannel"]

log = logging.getLogger(__name__)

TELEGRAM_TRAITS = ChannelTraits(
    has_buttons=True,
    max_options=8,
    max_text=4096,
    attachments=True,
    reserved_words=frozenset(),
    date_picker=True,
)
MAX_RETRY_WAIT = 10.0
"""The longest a send waits on a 429 before its one retry (a webhook answer waits too)."""


class TelegramChannel:
    name = TELEGRAM
    traits = TELEGRAM_TRAITS

    def __init__(
        self,
        bot: Bot,
        *,
        max_retry_wait: float = MAX_RETRY_WAIT,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``sleep`` waits out a 429's ``retry_after`` (tests record the wait instead)."""
        self.bot = bot
        self._max_wait = max_retry_wait
        self._sleep = sleep
        self.today = today
        """Today's date, for the calendar's first month and its past days."""

    async def send(
        self, recipient: str, replies: Sequence[Reply], *, lang: str | None = None
    ) -> None:
        """Each reply's messages in order (``lang`` words the few buttons the channel adds
        itself: the calendar's and the contact's). Raises :class:`SendFailed`."""
        language = pick_language(lang)
        for reply in replies:
            for message in render(reply, lang=language, today=self.today()):
                await self._deliver(recipient, message)

    async def _deliver(self, recipient: str, message: Outgoing) -> None:
        try:
            chat_id = int(recipient)
        except ValueError:
            raise SendFailed(f"not a Telegram chat id: {recipient!r}", permanent=True) from None
        await self.call(recipient, lambda: self._request(chat_id, message))

    async def _request(self, chat_id: int, message: Outgoing) -> object:
        if isinstance(message, Text):
            return await self.bot.send_message(chat_id, message.text, reply_markup=message.markup)
        document = BufferedInputFile(message.data, filename=message.filename)
        return await self.bot.send_document(chat_id, document)

    async def call(self, recipient: str, request: Callable[[], Awaitable[object]]) -> object:
        """``request`` with Telegram's errors translated (see the module docstring)."""
        try:
            try:
                return await request()
            except TelegramRetryAfter as error:
                await self._sleep(min(error.retry_after, self._max_wait))
                return await request()
        except TelegramForbiddenError as error:
            await self._unreachable(recipient)
            raise SendFailed(f"Telegram refused: {error.message}", permanent=True) from error
        except TelegramRetryAfter as error:
            raise SendFailed("Telegram still rate-limits this chat", permanent=False) from error
        except TelegramBadRequest as error:
            raise SendFailed(f"Telegram refused: {error.message}", permanent=True) from error
        except (TelegramNetworkError, TelegramAPIError) as error:
            raise SendFailed(f"Telegram failed: {error.message}", permanent=False) from error

    async def _unreachable(self, recipient: str) -> None:
        try:
            await mark_unreachable(TELEGRAM, recipient)
        except Exception:  # the database is away: the send failed permanently all the same
            log.exception("could not mark a Telegram chat unreachable")
