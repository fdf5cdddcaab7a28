"""Who a chat user is: their customer record, found by the channel's id for them.

A booking made in a chat is tied to ``(channel, external id)`` through a
:class:`~core.models.ChannelIdentity`, in the booking's own transaction
(``BookingService.confirm(identity=...)``, see :mod:`core.customers`), so the bot
can greet a returning customer by name, skip asking for a contact it already has,
and list, cancel or move "my bookings".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core import customers
from core import models as m
from core.bookings.rows import infos
from core.bookings.types import BookingInfo, CustomerInput, Identity
from core.outbox.kinds import REMINDER_KINDS, MessageKind, handover_key

__all__ = [
    "ask_for_person",
    "known_customer",
    "link_phone",
    "phone_to_link",
    "reminded_booking",
    "upcoming_bookings",
]

UPCOMING_LIMIT = 20


async def known_customer(channel: str, external_id: str) -> CustomerInput | None:
    """The customer this chat user booked as before, if any."""
    return await customers.known_customer(Identity(channel, external_id))


async def upcoming_bookings(channel: str, external_id: str, now: datetime) -> list[BookingInfo]:
    """This chat user's confirmed bookings that have not ended, soonest first."""
    identity = await m.ChannelIdentity.get_or_none(channel=channel, external_id=external_id)
    if identity is None:
        return []
    query = m.Booking.filter(
        customer_id=identity.customer_id, status=m.BookingStatus.CONFIRMED, end__gt=now
    ).limit(UPCOMING_LIMIT)
    return await infos(query)


async def ask_for_person(
    channel: str,
    external_id: str,
    customer: CustomerInput | None,
    text: str,
    now: datetime,
) -> None:
    """Queue a "please reply to this customer" notice for staff (sent by the worker)."""
    payload = {
        "kind": MessageKind.STAFF_HANDOVER.value,
        "channel": channel,
        "user": external_id,
        "name": customer.name if customer else None,
        "phone": customer.phone if customer else None,
        "email": customer.email if customer else None,
        "text": text,
        "at": now.isoformat(),
    }
    await m.Outbox.create(
        dedup_key=handover_key(channel, external_id, now.isoformat())[:200],
        kind=MessageKind.STAFF_HANDOVER.value,
        booking=None,
        payload=payload,
        available_at=now,
    )


# --- a phone number typed into a chat -------------------------------------------------------


async def phone_to_link(channel: str, external_id: str, phone: str) -> str | None:
    """The number (E.164) when typing it would link this chat to another customer's
    bookings, so a code must prove it first (:mod:`core.verification`); else ``None``:
    no single customer has it, this chat is theirs already, or the chat is that very
    number's SMS or WhatsApp (the carrier vouches; a phone channel never links by a
    number typed into it)."""
    if channel in customers.PHONE_CHANNELS:
        return None
    number = (await customers.normalized(CustomerInput("", phone=phone))).phone
    if number is None or not number.startswith("+"):
        return None
    owners = await m.Customer.filter(phone=number).limit(2).values_list("id", flat=True)
    if len(owners) != 1:
        return None  # nobody to link to, or no telling which one (as core.customers)
    tied = await m.ChannelIdentity.filter(
        channel=channel, external_id=external_id, customer_id=owners[0]
    ).exists()
    return None if tied else number


async def link_phone(channel: str, external_id: str, phone: str, now: datetime) -> None:
    """Tie this chat to the one customer with ``phone`` (E.164), after its code came back:
    from now on the chat sees and changes their bookings. A chat tied before to a record
    of its own is moved to the number's customer (its earlier bookings stay with that
    record, reachable by their links)."""
    if channel in customers.PHONE_CHANNELS:
        return
    owners = await m.Customer.filter(phone=phone).limit(2).values_list("id", flat=True)
    if len(owners) != 1:
        return
    moved = await m.ChannelIdentity.filter(channel=channel, external_id=external_id).update(
        customer_id=owners[0]
    )
    if not moved:
        identity = Identity(channel, external_id, verified_phone=phone)
        await customers.find_or_create(CustomerInput("", phone=phone), identity, now=now)


# --- the latest reminder -------------------------------------------------------------------


async def reminded_booking(
    channel: str, external_id: str, now: datetime, within: timedelta
) -> tuple[BookingInfo, datetime] | None:
    """The booking of the latest reminder sent to this chat's customer in the last
    ``within``, and when it went, while that booking is still on (confirmed, not over).

    The outbox row of the reminder is the tie: the worker marks it sent, with the time,
    when it goes out, so nothing else is stored for the answer to find it."""
    identity = await m.ChannelIdentity.get_or_none(channel=channel, external_id=external_id)
    if identity is None:
        return None
    rows = (
        await m.Outbox.filter(
            booking__customer_id=identity.customer_id,
            kind__in=[k.value for k in REMINDER_KINDS],
            status=m.OutboxStatus.SENT,
            sent_at__gte=now - within,
            sent_at__lte=now,
        )
        .order_by("-sent_at", "-id")
        .limit(1)
        .values_list("booking_id", "sent_at")
    )
    if not rows:
        return None
    booking_id, sent_at = rows[0]
    found = await infos(
        m.Booking.filter(id=booking_id, status=m.BookingStatus.CONFIRMED, end__gt=now)
    )
    return (found[0], sent_at) if found else None
