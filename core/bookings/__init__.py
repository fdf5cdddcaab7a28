"""Booking services: holds, bookings and their changes, series, the waitlist, the outbox.

The public surface is what this module re-exports; the REST API, the bot and
the admin panel use :class:`BookingService` and these types, nothing deeper.
"""

from core.bookings.cascade import Cascade, OfferHolds, OfferInfo
from core.bookings.recurring import Recurrence
from core.bookings.search import STATUSES, BookingLine, find_bookings
from core.bookings.service import ALTERNATIVES, BookingService, ConcurrentChange, utc_now
from core.bookings.tokens import HoldSigner
from core.bookings.types import (
    Actor,
    ActorKind,
    BookingInfo,
    CustomerInput,
    Identity,
    SeriesInfo,
    WaitlistEntryInfo,
)

__all__ = [
    "ALTERNATIVES",
    "STATUSES",
    "Actor",
    "ActorKind",
    "BookingInfo",
    "BookingLine",
    "BookingService",
    "Cascade",
    "ConcurrentChange",
    "CustomerInput",
    "HoldSigner",
    "Identity",
    "OfferHolds",
    "OfferInfo",
    "Recurrence",
    "SeriesInfo",
    "WaitlistEntryInfo",
    "find_bookings",
    "utc_now",
]
