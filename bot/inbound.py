"""One message from a customer, as every channel hands it to the bot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.replies import Reply
from bot.traits import DEFAULT_TRAITS, ChannelTraits

__all__ = ["MAX_TEXT", "ChannelTraits", "ChatHandler", "Inbound"]

MAX_TEXT = 1000
"""Characters of a message the bot reads; the rest of a longer one is ignored."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """``text`` is what was typed; ``choice`` the value of a pressed button (one of the two).

    ``user`` is the channel's own id for the person (a Telegram user id, a phone
    number, a web chat session); with ``channel`` it keys the conversation.
    ``locale`` is what the channel knows of the person's language, if anything.
    Neither text nor choice: the conversation was opened (the bot greets).
    """

    channel: str
    user: str
    text: str | None = None
    choice: str | None = None
    locale: str | None = None
    timezone: str | None = None
    """The person's IANA zone if the channel knows it (a browser does); else the business's."""
    origin: str | None = None
    """The address the message came from, for the limits per address (the web chat's
    sessions are the client's to invent); ``None`` when the channel vouches for ``user``."""
    traits: ChannelTraits = DEFAULT_TRAITS
    """What the channel can show: the dialog fits its replies to it."""
    message_id: str | None = None
    """The channel's own id of this message (Telegram ``update_id``, Twilio ``MessageSid``),
    for dropping a message delivered twice; ``None`` when the channel has none."""


@runtime_checkable
class ChatHandler(Protocol):
    """What every channel needs of the bot (:class:`bot.runner.Chat`): one inbound message
    in, the replies out."""

    async def handle(self, inbound: Inbound) -> Sequence[Reply]: ...
