"""What a sender is handed, and the one method every sender has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["Action", "Outgoing", "Sender"]


@dataclass(frozen=True, slots=True)
class Action:
    """A button a channel with buttons shows under the message (Slack, Telegram); a channel
    without them leaves it out. ``value`` is stable and names what to do and to which
    booking: ``noshow:<manage token>``, ``message:<manage token>`` (see docs/notifications.md)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message, rendered for its recipient.

    ``dedup_key`` is the outbox row's key: the same on every attempt of the message,
    so a receiver that sees it twice can drop the second (e-mail: the Message-ID).
    ``calendar`` is the booking's ``.ics`` (``METHOD:REQUEST``, or ``CANCEL``)."""

    dedup_key: str
    kind: str
    subject: str
    text: str
    html: str
    calendar: bytes | None = None
    calendar_method: Literal["REQUEST", "CANCEL"] = "REQUEST"
    calendar_url: str | None = None
    actions: tuple[Action, ...] = ()
    """Buttons for channels that show them (a waitlist offer's take and let go, a staff
    notice's no-show); a pressed one comes back with its ``value``."""
    actions_text: str = ""
    """The answers as one sentence with numbers ("Reply 1 to keep it, ..."), for SMS."""


class Sender(Protocol):
    """Delivers an :class:`Outgoing` to an address of its channel and returns the
    provider's id of the message (``None`` when the provider gives none). Raises
    ``channels.base.SendFailed`` (``permanent=`` whether retrying can help)."""

    async def deliver(self, address: str, message: Outgoing) -> str | None: ...
