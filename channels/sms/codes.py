"""The SMS that carries a verification code (:mod:`core.verification`) to a phone number.

A number typed into a chat on another channel is tied to that chat only after the
person types back the code this sends (see ``docs/channels/sms.md``).
"""

from __future__ import annotations

from bot.i18n import gettext_in, pick_language
from bot.replies import Reply
from channels.base import Channel
from core.verification import TTL

__all__ = ["code_message", "send_code"]


def code_message(code: str, business: str, lang: str | None) -> Reply:
    """The code's text, in the customer's language; it names no carrier keyword."""
    _ = gettext_in(pick_language(lang))
    minutes = int(TTL.total_seconds() // 60)
    text = _("{code} is your code for {business}. It is valid for {minutes} minutes.")
    return Reply(text.format(code=code, business=business, minutes=minutes))


async def send_code(
    channel: Channel, phone: str, code: str, business: str, lang: str | None
) -> None:
    """Send the code to ``phone`` (E.164) through ``channel`` (SMS); ``SendFailed`` if not."""
    await channel.send(phone, [code_message(code, business, lang)])
