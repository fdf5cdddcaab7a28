"""What to send for a claimed outbox message, decided at send time.

The booking is read again when its message goes out, because it may have changed
since the message was queued: a reminder of a booking that was cancelled, or moved
(its start is not the start the reminder was written for), is dropped, never sent
stale (the move queued reminders of its own). A confirmation, a move or a
cancellation answers the customer's own action and says what happened then, so it
goes out whatever happened since.

The customer's language is theirs, else the business's; their zone likewise. Where
it may go is :func:`core.customers.reachable_channels`, best first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import models as m
from core.customers import Route, reachable_channels
from core.notify.messages import CUSTOMER_KINDS, Facts, render
from core.notify.outgoing import Outgoing
from core.outbox import REMINDER_KINDS, Claimed, MessageKind
from core.text.calendar import booking_ics
from core.text.i18n import Speaker, pick_language
from core.text.links import calendar_link, manage_link

__all__ = ["Drop", "Ready", "prepare"]


@dataclass(frozen=True, slots=True)
class Drop:
    """Not to be sent, on purpose; ``reason`` is kept on the row."""

    reason: str


@dataclass(frozen=True, slots=True)
class Ready:
    message: Outgoing
    routes: list[Route]
    """Where it may go, best first (possibly none)."""


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _moves(claimed: Claimed, current: int) -> int:
    """The SEQUENCE of the calendar file: a move's own number for a move's message
    (``booking:<id>:rescheduled:<n>``), else the booking's count now."""
    if claimed.kind == MessageKind.CUSTOMER_RESCHEDULED:
        tail = claimed.dedup_key.rsplit(":", 1)[-1]
        if tail.isdigit():
            return int(tail)
    return current


async def prepare(claimed: Claimed, now: datetime, *, public_url: str) -> Ready | Drop:
    """The message and its routes, or why it is dropped (see the module docstring)."""
    if claimed.kind not in CUSTOMER_KINDS:
        return Drop(f"{claimed.kind}: messages to the staff have no route yet")
    booking = (
        await m.Booking.filter(id=claimed.booking_id or 0)
        .select_related("service", "business", "customer")
        .first()
    )
    if booking is None:
        return Drop("the booking no longer exists")
    payload = claimed.payload
    queued_start = _instant(payload.get("start"))
    cancelled = booking.status != m.BookingStatus.CONFIRMED
    if claimed.kind in REMINDER_KINDS:
        if cancelled:
            return Drop("the booking was cancelled after the reminder was queued")
        if queued_start != booking.start:
            return Drop("the booking was moved after the reminder was queued")
    start = queued_start or booking.start
    end = _instant(payload.get("end")) or booking.end
    business = booking.business
    customer = booking.customer
    written: dict[str, Any] = payload.get("customer") or {}
    lang = pick_language(
        customer.locale if customer else None, written.get("locale"), business.locale
    )
    zone = (customer.timezone if customer else None) or written.get("timezone")
    sp = Speaker(lang, zone or business.timezone, business.timezone)
    token = booking.manage_token
    facts = Facts(
        business=business.name,
        service=booking.service.name,
        customer=(customer.name if customer else None) or written.get("name") or "",
        start=start,
        end=end,
        manage_url=manage_link(public_url, token),
        calendar_url=calendar_link(public_url, token),
        previous_start=_instant(payload.get("previous_start")),
    )
    rendered = render(claimed.kind, facts, sp)
    is_cancel = claimed.kind == MessageKind.CUSTOMER_CANCELLATION
    ics = booking_ics(
        booking_id=booking.id,
        public_url=public_url,
        moves=_moves(claimed, booking.reschedule_count),
        cancelled=is_cancel,
        service=booking.service.name,
        business=business.name,
        start=start,
        end=end,
        url=facts.manage_url,
        stamp=now,
    )
    message = Outgoing(
        dedup_key=claimed.dedup_key,
        kind=claimed.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        calendar=ics,
        calendar_method="CANCEL" if is_cancel else "REQUEST",
        calendar_url=facts.calendar_url,
        actions=rendered.actions,
        actions_text=rendered.actions_text,
    )
    routes = await reachable_channels(customer.id) if customer is not None else []
    return Ready(message, routes)
