"""Telegram (aiogram 3): the webhook route, polling, inline keyboards and the outbound channel.

Configured by ``SLOTWISE_TELEGRAM_TOKEN`` (off without it: the route answers
404), ``SLOTWISE_TELEGRAM_WEBHOOK_SECRET`` (the webhook's shared secret) and
``SLOTWISE_TELEGRAM_API_BASE`` (tests point it at a local fake). How updates
become the bot's messages is in :mod:`channels.telegram.updates`; how replies
look, in :mod:`channels.telegram.render`; sending and its errors, in
:mod:`channels.telegram.channel`; the route, in :mod:`channels.telegram.blueprint`.

This package's door imports no aiogram (about 3 s of pydantic models): an app
without a token, and ``slotwise --help``, do not pay for it.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Protocol

from pydantic import SecretStr

if TYPE_CHECKING:
    from quart import Quart

__all__ = [
    "TELEGRAM",
    "WEBHOOK_PATH",
    "TelegramSettings",
    "acheck",
    "check",
    "register_telegram",
    "set_webhook",
]

TELEGRAM = "telegram"
"""The channel's name: with the Telegram user id it keys the conversation and the identity."""
WEBHOOK_PATH = "/telegram/webhook"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")


class TelegramSettings(Protocol):
    """The settings the channel reads (``slotwise.settings.Settings`` has them)."""

    @property
    def telegram_token(self) -> SecretStr | None: ...

    @property
    def telegram_webhook_secret(self) -> SecretStr | None: ...

    @property
    def telegram_api_base(self) -> str: ...


def register_telegram(app: Quart, settings: TelegramSettings) -> None:
    """Serve ``POST /telegram/webhook`` when a token is set; without one Telegram is off."""
    if settings.telegram_token is None:
        return
    from channels.telegram.blueprint import register

    register(app, settings)


def misconfigured(settings: TelegramSettings) -> str | None:
    """What is wrong with the settings alone, if anything."""
    if settings.telegram_token is None:
        return "off: SLOTWISE_TELEGRAM_TOKEN is not set"
    if not _TOKEN.fullmatch(settings.telegram_token.get_secret_value()):
        return "SLOTWISE_TELEGRAM_TOKEN is not a bot token (digits:letters, from @BotFather)"
    secret = settings.telegram_webhook_secret
    if secret is None:
        return "SLOTWISE_TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update"
    if not _SECRET.fullmatch(secret.get_secret_value()):
        return "SLOTWISE_TELEGRAM_WEBHOOK_SECRET: use 1-256 of A-Z a-z 0-9 _ - (Telegram's rule)"
    return None


async def acheck(settings: TelegramSettings) -> str:
    """One line: the bot works (its name, from ``getMe``), or what is wrong."""
    wrong = misconfigured(settings)
    if wrong is not None:
        return f"telegram: {wrong}" if wrong.startswith("off") else f"telegram: FAILED: {wrong}"
    from aiogram.exceptions import TelegramAPIError

    from channels.telegram.updates import make_bot

    assert settings.telegram_token is not None
    bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)
    try:
        me = await bot.get_me()
    except TelegramAPIError as error:
        return (
            f"telegram: FAILED: the Bot API refused the token or cannot be reached: {error.message}"
        )
    finally:
        await bot.session.close()
    return f"telegram: works, as @{me.username}"


def check(settings: TelegramSettings) -> str:
    """:func:`acheck` for a caller without a running event loop (``slotwise channels check``)."""
    return asyncio.run(acheck(settings))


async def set_webhook(settings: TelegramSettings, public_url: str) -> str:
    """Register ``public_url`` + ``/telegram/webhook`` with Telegram, with the secret;
    returns the URL. ``ValueError`` naming the setting when one is wrong."""
    wrong = misconfigured(settings)
    if wrong is not None:
        raise ValueError(wrong)
    if not public_url.startswith("https://"):
        raise ValueError("SLOTWISE_PUBLIC_URL: Telegram calls only https:// webhooks")
    from channels.telegram.updates import make_bot

    assert settings.telegram_token is not None
    assert settings.telegram_webhook_secret is not None
    url = public_url.rstrip("/") + WEBHOOK_PATH
    bot = make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base)
    try:
        await bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=["message", "callback_query"],
        )
    finally:
        await bot.session.close()
    return url
