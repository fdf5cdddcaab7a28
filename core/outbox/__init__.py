"""The outbox: messages written in the same transaction as their cause, sent later by
the worker, at least once, each with a dedup key.

Writers: :mod:`core.bookings.outbox` (the messages of a booking change) and
:func:`core.bookings.customers.ask_for_person`. Readers: the worker, through
:func:`claim`, :func:`mark_sent`, :func:`mark_failed`, :func:`mark_dead`, :func:`mark_dropped`
and :func:`defer`.
"""

from core.outbox.kinds import REMINDER_KINDS, MessageKind, booking_key, handover_key, waitlist_key
from core.outbox.queue import (
    Claimed,
    DeadMessage,
    RetryPolicy,
    claim,
    dead_messages,
    defer,
    mark_dead,
    mark_dropped,
    mark_failed,
    mark_sent,
    mark_sent_many,
)

__all__ = [
    "REMINDER_KINDS",
    "Claimed",
    "DeadMessage",
    "MessageKind",
    "RetryPolicy",
    "booking_key",
    "claim",
    "dead_messages",
    "defer",
    "handover_key",
    "mark_dead",
    "mark_dropped",
    "mark_failed",
    "mark_sent",
    "mark_sent_many",
    "waitlist_key",
]
