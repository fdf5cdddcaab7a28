"""Notifications: what the worker sends for an outbox message, and to whom.

- :mod:`core.notify.messages`: the texts (subject, text body, HTML body) of a message
  kind in the customer's language and zone; pure.
- :mod:`core.notify.prepare`: reads a claimed message's booking, customer and business
  at send time and says what to send (an :class:`Outgoing` and its routes) or why not
  (the booking was cancelled or moved since a reminder was queued), or until when it
  waits (quiet hours in the customer's zone).
- :mod:`core.notify.routing`: the order of a customer's routes for a booking, and the
  staff member a notice goes to (Slack user, else e-mail).

A sender (e-mail, and the channels' ``send``) gets an :class:`Outgoing`: the rendered
texts, the booking's calendar file and the outbox dedup key, which travels with every
send so that a receiver can drop a second delivery (sending is at least once).
"""

from __future__ import annotations

from core.notify.messages import CUSTOMER_KINDS, STAFF_KINDS, Rendered, render, render_staff
from core.notify.outgoing import Action, Outgoing, Sender
from core.notify.prepare import Broken, Drop, Later, Ready, prepare, prepare_many

__all__ = [
    "CUSTOMER_KINDS",
    "STAFF_KINDS",
    "Action",
    "Broken",
    "Drop",
    "Later",
    "Outgoing",
    "Ready",
    "Rendered",
    "Sender",
    "prepare",
    "prepare_many",
    "render",
    "render_staff",
]
