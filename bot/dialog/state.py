"""A conversation's memory between two messages: plain, serialisable, versioned.

It is stored as JSON (in memory or in Redis) keyed by channel and user, so a
restart or a second process continues the dialog. Only what the next step
needs is kept; slots are not cached beyond the ones on screen, because free
time changes while a customer thinks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bot.traits import DEFAULT_TRAITS, ChannelTraits

__all__ = [
    "BookingRef",
    "Goal",
    "HeldSlot",
    "Offer",
    "PendingCode",
    "Shown",
    "Stage",
    "State",
    "Wish",
]

Stage = Literal[
    "start",  # nothing asked; the menu is on screen
    "service",  # asked which service
    "when",  # asked for a day or time
    "slots",  # slots on screen
    "name",  # asked for the customer's name
    "contact",  # asked for a phone number or e-mail
    "confirm",  # the summary is on screen: book it?
    "pick_booking",  # their bookings on screen, to cancel or move one
    "confirm_cancel",
    "confirm_move",
    "language",  # language buttons on screen
    "code",  # asked for the code sent by SMS to a typed phone number
    "reminded",  # a reminder's keep / move / cancel on screen
]
Goal = Literal["book", "reschedule", "cancel", "waitlist"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Wish(_Frozen):
    """What the customer asked for: a window of starts, and the exact time if they named one."""

    start: AwareDatetime
    end: AwareDatetime | None = None
    at: AwareDatetime | None = None


class Offer(_Frozen):
    """A free slot on screen: ``resources`` as the engine chose them (staff shown by name)."""

    start: AwareDatetime
    end: AwareDatetime
    resources: tuple[str, ...]


class HeldSlot(_Frozen):
    token: str
    service: str
    start: AwareDatetime
    end: AwareDatetime
    resources: tuple[str, ...]
    expires_at: AwareDatetime


class BookingRef(_Frozen):
    token: str
    """The booking's manage token."""
    service: str
    start: AwareDatetime
    end: AwareDatetime
    resources: tuple[str, ...] = ()


class PendingCode(_Frozen):
    """A code sent by SMS to a typed number (:class:`core.verification.Pending`, kept with
    the conversation): no code, only its keyed digest, the expiry and the tries left."""

    phone: str
    digest: str
    expires_at: AwareDatetime
    attempts_left: int


class Shown(_Frozen):
    """A button on screen; a typed number picks the one at that position."""

    label: str
    value: str


class State(_Frozen):
    version: Literal[1] = 1
    lang: str
    zone: str
    """The customer's timezone: wishes are read and times written in it."""
    locale: str | None = None
    """The customer's locale as their channel gave it ("en-US"), when it names a region:
    the region decides how a numeric date reads ("3/4" is March 4 in the US only)."""
    stage: Stage = "start"
    goal: Goal = "book"
    service: str | None = None
    provider: str | None = None
    wish: Wish | None = None
    slots: tuple[Offer, ...] = ()
    picked: Offer | None = None
    """The slot chosen to move a booking to, while the customer confirms the move."""
    hold: HeldSlot | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    target: BookingRef | None = None
    """The booking being cancelled or moved (it stays until the move is confirmed)."""
    bookings: tuple[BookingRef, ...] = ()
    shown: tuple[Shown, ...] = ()
    more: tuple[Shown, ...] = ()
    """Options that did not fit the channel (``max_options``): the "More" button shows them."""
    code: PendingCode | None = None
    """The code asked for (stage ``code``): a typed number links this chat to the bookings
    of the customer with that number only once the code comes back."""
    codes_sent: int = 0
    """Codes sent in this conversation: a few, not an SMS pump."""
    verified_phone: str | None = None
    """A typed number whose code came back (E.164)."""
    misunderstood: int = 0
    """Messages in a row the bot did not understand: the third offers a person."""
    will_attend: bool = False
    """The customer answered yes after being told of their missed appointments: what the
    service's no-show policy ``confirm`` asks before each booking (see ``ConfirmRefused``)."""
    updated_at: datetime | None = None
    traits: ChannelTraits = Field(default=DEFAULT_TRAITS, exclude=True)
    """The traits of the channel of this turn's message (not stored: every turn's message
    brings them again)."""
