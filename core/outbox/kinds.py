"""What the outbox carries: the kinds of message, and how their dedup keys are made.

The keys are defined here once. A key names the cause, not the send: a retried
cause (the same booking confirmed twice by a racing retry) cannot queue a second
message, and a receiver can drop a second delivery of the same key.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "REMINDER_KINDS",
    "MessageKind",
    "booking_key",
    "handover_key",
    "summary_key",
    "waitlist_key",
]


class MessageKind(StrEnum):
    CUSTOMER_CONFIRMATION = "customer_confirmation"
    STAFF_NOTICE = "staff_notice"
    REMINDER = "reminder"
    """A reminder before the start, at one of the service's offsets (``payload.offset_min``)."""
    REMINDER_24H = "reminder_24h"
    REMINDER_2H = "reminder_2h"
    """The two fixed reminders written before the offsets were the service's: still sent."""
    CUSTOMER_CANCELLATION = "customer_cancellation"
    STAFF_CANCELLATION = "staff_cancellation"
    CUSTOMER_RESCHEDULED = "customer_rescheduled"
    STAFF_RESCHEDULED = "staff_rescheduled"
    STAFF_CALENDAR_CONFLICT = "staff_calendar_conflict"
    """An event in a staff member's own calendar lands on one of their bookings (the
    booking stays: it was there first)."""
    STAFF_HANDOVER = "staff_handover"
    """A chat customer asked for a person."""
    CAPACITY_FREED = "capacity_freed"
    """Not a message: time became free (a cancellation, a move, a declined or lapsed
    waitlist offer); the worker runs the waitlist cascade for it
    (:mod:`core.bookings.cascade`)."""
    WAITLIST_OFFER = "waitlist_offer"
    """A freed slot offered to a waitlist entry, held for it, with accept and decline."""
    CUSTOMER_MESSAGE = "customer_message"
    """A message a member of staff wrote to the customer of a booking ("message customer")."""
    STAFF_SUMMARY = "staff_summary"
    """A member of staff's morning summary of their day (``payload.resource``, ``.day``)."""
    WEBHOOK = "webhook"
    """Not a message to a person: a booking event POSTed, signed, to a webhook's address
    (:mod:`core.webhooks`); ``payload`` holds the webhook's id, the event and its body."""


REMINDER_KINDS = (MessageKind.REMINDER, MessageKind.REMINDER_24H, MessageKind.REMINDER_2H)

BOOKING_KEY_PREFIX = "booking:"
"""Keys of the messages of a booking: ``booking:<id>:<what happened>``. PostgreSQL's
one-statement booking writer builds the same key in SQL (:mod:`core.bookings.rows`)."""


def booking_key(booking_id: int, tail: str) -> str:
    return f"{BOOKING_KEY_PREFIX}{booking_id}:{tail}"


def handover_key(channel: str, user: str, at_iso: str) -> str:
    return f"handover:{channel}:{user}:{at_iso}"


def summary_key(resource: str, day: str) -> str:
    """A morning summary: one per resource and local day (``YYYY-MM-DD``)."""
    return f"summary:{resource}:{day}"


def waitlist_key(offer_id: int, tail: str) -> str:
    """Keys of the waitlist's rows: ``waitlist:<offer id>:<what happened>``."""
    return f"waitlist:{offer_id}:{tail}"
