"""What the dialog asks the runner to do, and what the runner reports back.

An effect is a request ("find slots", "hold this one"); the runner carries it
out against ``core`` and feeds the result back to the dialog as an event, so
the dialog itself never waits on the world and every path runs in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.dialog.state import BookingRef, HeldSlot, Offer, PendingCode
from bot.replies import Attachment
from core.verification import Checked

__all__ = [
    "CancelBooking",
    "Cancelled",
    "ChangeRefused",
    "CheckCode",
    "CodeChecked",
    "CodeNotNeeded",
    "CodeNotSent",
    "CodeSent",
    "ConfirmHold",
    "ConfirmRefused",
    "Confirmed",
    "Effect",
    "Event",
    "FindSlots",
    "Found",
    "HandOver",
    "HandedOver",
    "HoldRefused",
    "HoldTaken",
    "JoinWaitlist",
    "ListBookings",
    "Listed",
    "MoveBooking",
    "Moved",
    "Purpose",
    "ReleaseHold",
    "Reminded",
    "SendCode",
    "TakeHold",
    "Trouble",
    "Waitlisted",
    "Why",
]

Purpose = Literal["list", "cancel", "reschedule"]


# --- effects ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindSlots:
    """Free slots of ``service`` starting in ``[start, end)`` (``end=None``: the next days).

    With ``at``, the ones closest to it; with ``latest``, the last ones before
    ``end`` (the "earlier" button); otherwise the first ones.
    """

    service: str
    provider: str | None
    start: datetime
    end: datetime | None
    at: datetime | None = None
    latest: bool = False


@dataclass(frozen=True, slots=True)
class TakeHold:
    service: str
    offer: Offer
    provider: str | None
    then_confirm: bool = False
    """Taken again after the first hold ran out: confirm straight away."""


@dataclass(frozen=True, slots=True)
class ReleaseHold:
    token: str


@dataclass(frozen=True, slots=True)
class ConfirmHold:
    hold: HeldSlot
    name: str
    phone: str | None
    email: str | None
    lang: str
    zone: str
    will_attend: bool = False
    """The customer confirmed they will come (the no-show policy ``confirm`` asks it)."""


@dataclass(frozen=True, slots=True)
class ListBookings:
    purpose: Purpose


@dataclass(frozen=True, slots=True)
class CancelBooking:
    booking: BookingRef


@dataclass(frozen=True, slots=True)
class MoveBooking:
    booking: BookingRef
    offer: Offer
    provider: str | None


@dataclass(frozen=True, slots=True)
class JoinWaitlist:
    service: str
    provider: str | None
    start: datetime
    end: datetime
    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class HandOver:
    """Ask staff to take over the conversation."""

    message: str
    name: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class SendCode:
    """A number was typed: if it belongs to a customer this chat is not tied to yet, send it
    a code by SMS before the chat may see that customer's bookings (:mod:`core.verification`)."""

    phone: str
    lang: str


@dataclass(frozen=True, slots=True)
class CheckCode:
    code: PendingCode
    typed: str


Effect = (
    FindSlots
    | TakeHold
    | ReleaseHold
    | ConfirmHold
    | ListBookings
    | CancelBooking
    | MoveBooking
    | JoinWaitlist
    | HandOver
    | SendCode
    | CheckCode
)

# --- events (results) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Why:
    """Why a wished time cannot be booked, as the engine's ``explain`` reason code."""

    code: str
    minutes: int | None = None
    at: datetime | None = None
    """The earliest (too_soon) or latest (too_far) possible start."""
    who: str | None = None
    """The resource in the way, by its name in the business file."""
    resource: str | None = None
    """Its id: the wording names it in the customer's language (``names`` per language)."""


@dataclass(frozen=True, slots=True)
class Found:
    request: FindSlots
    slots: tuple[Offer, ...]
    why: Why | None = None
    """Set when nothing fits the wish."""
    nearby: tuple[Offer, ...] = ()
    """When nothing fits: the closest slots outside the wish."""
    provider_unknown: bool = False
    """The provider named does not offer the service: searched with anyone."""


@dataclass(frozen=True, slots=True)
class HoldTaken:
    hold: HeldSlot
    then_confirm: bool = False


@dataclass(frozen=True, slots=True)
class HoldRefused:
    alternatives: tuple[Offer, ...]
    lapsed: bool = False
    """The customer's own hold had run out before they confirmed, and the time was taken
    meanwhile (a :class:`TakeHold` with ``then_confirm``): said so, not just "taken"."""


@dataclass(frozen=True, slots=True)
class Confirmed:
    booking: BookingRef
    manage_url: str
    ics: Attachment


@dataclass(frozen=True, slots=True)
class ConfirmRefused:
    expired: bool
    """The hold ran out (else the slot was taken)."""
    alternatives: tuple[Offer, ...] = ()
    no_shows: int = 0
    """More than zero: the service's no-show policy refused it, after this many missed
    appointments; ``refuse_chat`` says whether chat bookings are refused (else the
    customer is asked to confirm they will come)."""
    refuse_chat: bool = False


@dataclass(frozen=True, slots=True)
class Listed:
    purpose: Purpose
    bookings: tuple[BookingRef, ...]


@dataclass(frozen=True, slots=True)
class Cancelled:
    booking: BookingRef


@dataclass(frozen=True, slots=True)
class Moved:
    old: BookingRef
    booking: BookingRef
    manage_url: str
    ics: Attachment


@dataclass(frozen=True, slots=True)
class ChangeRefused:
    """A cancel or move the business's policy does not allow any more (or a slot gone)."""

    booking: BookingRef
    too_late: bool
    alternatives: tuple[Offer, ...] = ()


@dataclass(frozen=True, slots=True)
class Waitlisted:
    service: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class HandedOver:
    pass


@dataclass(frozen=True, slots=True)
class CodeNotNeeded:
    """No other customer has the number, or the channel vouches for it: nothing to prove."""

    phone: str


@dataclass(frozen=True, slots=True)
class CodeNotSent:
    """A code would be needed but cannot go out (no SMS configured, the send failed, too
    many sent): the booking goes on without linking the number's bookings."""

    phone: str


@dataclass(frozen=True, slots=True)
class CodeSent:
    code: PendingCode


@dataclass(frozen=True, slots=True)
class CodeChecked:
    """The typed code's answer; ``code`` is what to remember next (``None``: used up). On
    ``confirmed`` the runner has already tied this chat to the number's customer."""

    result: Checked
    phone: str
    code: PendingCode | None


@dataclass(frozen=True, slots=True)
class Reminded:
    """The chat's latest message from us is a reminder of ``booking`` (sent after the last
    turn, at most a day ago): the next number or button answers it (keep, move, cancel)."""

    booking: BookingRef


@dataclass(frozen=True, slots=True)
class Trouble:
    """The runner could not do what was asked (database down...): say so, keep the state."""

    effect: Effect


Event = (
    Found
    | HoldTaken
    | HoldRefused
    | Confirmed
    | ConfirmRefused
    | Listed
    | Cancelled
    | Moved
    | ChangeRefused
    | Waitlisted
    | HandedOver
    | CodeNotNeeded
    | CodeNotSent
    | CodeSent
    | CodeChecked
    | Reminded
    | Trouble
)
