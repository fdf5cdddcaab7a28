"""What to send for a claimed outbox message, decided at send time.

The booking is read again when its message goes out, because it may have changed
since the message was queued: a reminder of a booking that was cancelled, or moved
(its start is not the start the reminder was written for), is dropped, never sent
stale (the move queued reminders of its own). A confirmation, a move or a
cancellation answers the customer's own action and says what happened then, so it
goes out whatever happened since.

Quiet hours are checked again here, in the customer's zone as it is known now (it
may have become known after the message was queued): a reminder or a held-back
message (what staff did) claimed inside them comes back :class:`Later`, when they
end; a reminder that could then only go after the start is dropped.

The customer's language is theirs, else the business's; their zone likewise. Where
it may go is :func:`core.customers.reachable_channels`, ordered for the booking
(:func:`core.notify.routing.order_routes`). A notice to the staff goes to the
booking's staff member (:func:`core.notify.routing.staff_recipient`), in the
business's language and the member's zone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import models as m
from core.customers import Route, reachable_channels_of
from core.notify.messages import CUSTOMER_KINDS, STAFF_KINDS, Facts, render, render_staff
from core.notify.outgoing import Action, Outgoing
from core.notify.routing import StaffRecipient, order_routes, staff_directory, staff_recipient
from core.outbox import REMINDER_KINDS, Claimed, MessageKind
from core.quiet import QuietHours, after_quiet, is_quiet
from core.text.calendar import booking_ics
from core.text.i18n import Speaker, pick_language
from core.text.links import calendar_link, manage_link

FeedLink = Callable[[str], Awaitable[str | None]]
"""A customer's feed address from a booking's manage token (``FeedService.customer_link``)."""

log = logging.getLogger(__name__)

__all__ = ["Broken", "Drop", "Later", "Ready", "prepare", "prepare_many"]


@dataclass(frozen=True, slots=True)
class Drop:
    """Not to be sent, on purpose; ``reason`` is kept on the row."""

    reason: str


@dataclass(frozen=True, slots=True)
class Later:
    """Not now (quiet hours in the customer's zone): due again at ``until``."""

    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Broken:
    """Preparing this one message failed (a bug, a row that cannot be read): the worker
    retries it later and logs ``error``; the rest of its batch goes on."""

    error: str


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


def _quiet_of(business: m.Business) -> QuietHours:
    return QuietHours(business.quiet_start_min, business.quiet_end_min)


@dataclass(slots=True)
class _Read:
    """What a batch of messages needs from the database, read in a few queries."""

    bookings: dict[int, m.Booking] = field(default_factory=dict)
    routes: dict[int, list[Route]] = field(default_factory=dict)
    """By customer id."""
    next_reminder: dict[int, datetime] = field(default_factory=dict)
    """By booking id: when its first reminder still to come is due."""
    feed_urls: dict[int, str] = field(default_factory=dict)
    """By booking id: the customer's feed address, for the confirmations of the batch."""
    staff: dict[int, dict[str, StaffRecipient]] = field(default_factory=dict)
    """By business id."""


async def _read(batch: Sequence[Claimed], now: datetime) -> _Read:
    wanted = [
        c for c in batch if c.booking_id and (c.kind in CUSTOMER_KINDS or c.kind in STAFF_KINDS)
    ]
    read = _Read()
    if not wanted:
        return read
    bookings = await m.Booking.filter(
        id__in=sorted({c.booking_id for c in wanted if c.booking_id})
    ).select_related("service", "business", "customer")
    read.bookings = {b.id: b for b in bookings}
    to_customers = {c.booking_id for c in wanted if c.kind in CUSTOMER_KINDS}
    customers = [
        b.customer_id for b in bookings if b.id in to_customers and b.customer_id is not None
    ]
    read.routes = await reachable_channels_of(customers)
    confirmations = [c.booking_id for c in wanted if c.kind == MessageKind.CUSTOMER_CONFIRMATION]
    if confirmations:
        for booking_id, due in (
            await m.Outbox.filter(
                booking_id__in=confirmations,
                kind__in=REMINDER_KINDS,
                status=m.OutboxStatus.PENDING,
                available_at__gt=now,
            )
            .order_by("available_at")
            .values_list("booking_id", "available_at")
        ):
            read.next_reminder.setdefault(booking_id, due)
    to_staff = {c.booking_id for c in wanted if c.kind in STAFF_KINDS}
    for business_id in sorted({b.business_id for b in bookings if b.id in to_staff}):
        read.staff[business_id] = await staff_directory(business_id)
    return read


async def prepare(
    claimed: Claimed,
    now: datetime,
    *,
    public_url: str,
    channels: Collection[str] | None = None,
) -> Ready | Drop | Later:
    """The message and its routes, or why it is dropped, or until when it waits (see the
    module docstring). ``channels`` are those the worker can send on (``None``: any): a
    confirmation promises a reminder only when one of them reaches the customer."""
    (decided,) = await prepare_many([claimed], now, public_url=public_url, channels=channels)
    if isinstance(decided, Broken):
        raise RuntimeError(decided.error)
    return decided


async def prepare_many(
    batch: Sequence[Claimed],
    now: datetime,
    *,
    public_url: str,
    channels: Collection[str] | None = None,
    feed_link: FeedLink | None = None,
) -> list[Ready | Drop | Later | Broken]:
    """:func:`prepare` of each message of a claimed batch, in order, reading what they
    need in a few queries for the whole batch (not a few per message). A message whose
    own preparation fails is :class:`Broken`; a failed read raises (the whole batch).
    ``feed_link`` gives a customer's feed address from a manage token (confirmations
    offer it); without it they offer the booking's own calendar file only."""
    read = await _read(batch, now)
    if feed_link is not None:
        for c in batch:
            booking = read.bookings.get(c.booking_id or 0)
            if c.kind == MessageKind.CUSTOMER_CONFIRMATION and booking is not None:
                link = await feed_link(booking.manage_token)
                if link:
                    read.feed_urls[booking.id] = link
    decided: list[Ready | Drop | Later | Broken] = []
    for c in batch:
        try:
            if c.kind == MessageKind.WAITLIST_OFFER:  # its own reads: offers are few
                from core.notify.offer import prepare_offer

                decided.append(await prepare_offer(c, now, public_url=public_url))
                continue
            if c.kind == MessageKind.STAFF_HANDOVER:  # its own reads: they are few
                from core.notify.handover import prepare_handover

                decided.append(await prepare_handover(c, now))
                continue
            if c.kind == MessageKind.STAFF_SUMMARY:  # its own reads: one per person a day
                from core.notify.summary import prepare_summary

                decided.append(await prepare_summary(c, now))
                continue
            if c.kind == MessageKind.CUSTOMER_MESSAGE:  # its own reads: they are few
                from core.notify.note import prepare_note

                decided.append(await prepare_note(c, now, public_url=public_url))
                continue
            decided.append(_decide(c, read, now, public_url, channels))
        except Exception as error:  # one message's bug must not stop the others
            log.exception("preparing outbox message %s failed", c.id)
            decided.append(Broken(f"preparing failed: {error!r}"))
    return decided


def _decide(
    claimed: Claimed,
    read: _Read,
    now: datetime,
    public_url: str,
    channels: Collection[str] | None,
) -> Ready | Drop | Later:
    if claimed.kind not in CUSTOMER_KINDS and claimed.kind not in STAFF_KINDS:
        return Drop(f"{claimed.kind}: messages of this kind have no route yet")
    booking = read.bookings.get(claimed.booking_id or 0)
    if booking is None:
        return Drop("the booking no longer exists")
    payload = claimed.payload
    queued_start = _instant(payload.get("start"))
    cancelled = booking.status != m.BookingStatus.CONFIRMED
    is_reminder = claimed.kind in REMINDER_KINDS
    if is_reminder:
        if cancelled:
            return Drop("the booking was cancelled after the reminder was queued")
        if queued_start != booking.start:
            return Drop("the booking was moved after the reminder was queued")
    start = queued_start or booking.start
    end = _instant(payload.get("end")) or booking.end
    business = booking.business
    customer = booking.customer
    written: dict[str, Any] = payload.get("customer") or {}
    token = booking.manage_token
    if claimed.kind in STAFF_KINDS:
        recipient = staff_recipient(
            read.staff.get(business.id, {}),
            [str(r) for r in claimed.payload.get("resources") or []],
        )
        return _staff(claimed, booking, recipient, written, start, end, public_url)
    zone = (customer.timezone if customer else None) or written.get("timezone") or business.timezone
    if is_reminder or payload.get("held"):
        quiet = _quiet_of(business)
        if is_quiet(now, quiet, zone):
            until = after_quiet(now, quiet, zone)
            if is_reminder and until >= booking.start:
                return Drop("quiet hours in the customer's zone last until the start")
            return Later(until, "quiet hours in the customer's zone")
    lang = pick_language(
        customer.locale if customer else None, written.get("locale"), business.locale
    )
    sp = Speaker(lang, zone, business.timezone)
    routes = read.routes.get(customer.id, []) if customer is not None else []
    routes = order_routes(routes, booking.source_channel)
    reminder_at = None
    if claimed.kind == MessageKind.CUSTOMER_CONFIRMATION and (
        channels is None or any(route.channel in channels for route in routes)
    ):
        reminder_at = read.next_reminder.get(booking.id)
    facts = Facts(
        business=business.name,
        service=booking.service.name,
        customer=(customer.name if customer else None) or written.get("name") or "",
        start=start,
        end=end,
        manage_url=manage_link(public_url, token),
        calendar_url=calendar_link(public_url, token),
        previous_start=_instant(payload.get("previous_start")),
        reminder_at=reminder_at,
        note=_note(payload),
        feed_url=read.feed_urls.get(booking.id, ""),
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
        actions=tuple(Action(label, value) for label, value in rendered.actions),
        actions_text=rendered.actions_text,
    )
    return Ready(message, routes)


def _staff(
    claimed: Claimed,
    booking: m.Booking,
    recipient: StaffRecipient | None,
    written: dict[str, Any],
    start: datetime,
    end: datetime,
    public_url: str,
) -> Ready | Drop:
    """A notice of a new, moved or cancelled booking to the staff member whose calendar
    it is, with the buttons "mark no-show" and "message customer" where they apply."""
    business = booking.business
    if recipient is None:
        return Drop("no staff member of the booking has a Slack user or an e-mail")
    customer = booking.customer
    contact = [
        value
        for value in (
            (customer.phone if customer else None) or written.get("phone"),
            (customer.email if customer else None) or written.get("email"),
        )
        if value
    ]
    sp = Speaker(business.locale, recipient.zone or business.timezone, business.timezone)
    facts = Facts(
        business=business.name,
        service=booking.service.name,
        customer=(customer.name if customer else None) or written.get("name") or "",
        start=start,
        end=end,
        manage_url=manage_link(public_url, booking.manage_token),
        calendar_url=calendar_link(public_url, booking.manage_token),
        previous_start=_instant(claimed.payload.get("previous_start")),
        contact=", ".join(contact),
    )
    rendered = render_staff(claimed.kind, facts, sp)
    actions: tuple[Action, ...] = ()
    if claimed.kind in (MessageKind.STAFF_NOTICE, MessageKind.STAFF_RESCHEDULED):
        token = booking.manage_token
        actions = (
            Action(sp._("Mark no-show"), f"noshow:{token}"),
            Action(sp._("Message customer"), f"message:{token}"),
        )
    message = Outgoing(
        dedup_key=claimed.dedup_key,
        kind=claimed.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        actions=actions,
    )
    return Ready(message, recipient.routes)


def _note(payload: Mapping[str, Any]) -> str:
    """A cancellation's reason, when the business cancelled (staff or an admin): its words to
    the customer. A customer's own reason is not read back to them."""
    actor = str(payload.get("actor") or "")
    if actor.startswith(("staff:", "admin:")):
        return str(payload.get("reason") or "").strip()
    return ""
