"""The one ``Channel`` protocol: what every adapter to the outside implements.

Inbound, a channel turns an update into an :class:`~bot.inbound.Inbound` that carries
its :attr:`Channel.traits` (and the message's own id, for dropping duplicates) and
hands it to the bot's :class:`~bot.inbound.ChatHandler`. Outbound, the worker calls
:meth:`Channel.send` with replies the bot (or a reminder) wrote for a recipient.

The bot never learns a channel's name: it reads only the traits, and fits what it
says to them. SDK errors never leave ``channels/``: ``send`` translates them::

    SendFailed            the message did not go out
      permanent=True      never retry (opted out, no such recipient)
      permanent=False     retry later (rate limit, network, the service is down)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.replies import Reply
from bot.traits import ChannelTraits

__all__ = ["CARRIER_KEYWORDS", "Channel", "ChannelTraits", "SendFailed"]

CARRIER_KEYWORDS = frozenset(
    {
        # opt-out: the carrier (and Twilio) stop all messages to the number
        "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL",
        # opt back in
        "START", "YES", "UNSTOP",
        # the carrier answers by itself
        "HELP", "INFO",
    }
)  # fmt: skip
"""Words an SMS customer must never be asked to type (shared/notes/channels.md): carriers
act on them as one-word messages. An SMS or WhatsApp channel's ``reserved_words``."""


class SendFailed(Exception):
    """A message did not go out; ``permanent`` says whether trying again can help."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@runtime_checkable
class Channel(Protocol):
    """An adapter to one outside service (see the module docstring)."""

    @property
    def name(self) -> str:
        """The channel's key (``"web"``, ``"console"``): with the user's id it keys the
        conversation, and the audit history names it."""
        ...

    @property
    def traits(self) -> ChannelTraits:
        """What the channel can show; every ``Inbound`` it makes carries them."""
        ...

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        """Deliver ``replies`` to ``recipient`` (the channel's own id of the person), each
        rendered in the channel's idiom. Raises :class:`SendFailed` when they did not go."""
        ...
