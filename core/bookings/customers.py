"""Who a chat user is: their customer record, found by the channel's id for them.

A booking made in a chat is tied to ``(channel, external id)`` through a
:class:`~core.models.ChannelIdentity`, so the bot can greet a returning
customer by name, skip asking for a contact it already has, and list, cancel
or move "my bookings". The first booking from a chat user creates the link;
later ones reuse the same customer row (updated with what they told us last)
instead of making a new one each time.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from core import models as m
from core.bookings.rows import infos
from core.bookings.types import BookingInfo, CustomerInput
from core.outbox.kinds import MessageKind, handover_key

__all__ = ["ask_for_person", "known_customer", "remember_customer", "upcoming_bookings"]

UPCOMING_LIMIT = 20


async def known_customer(channel: str, external_id: str) -> CustomerInput | None:
    """The customer this chat user booked as before, if any."""
    identity = (
        await m.ChannelIdentity.filter(channel=channel, external_id=external_id)
        .select_related("customer")
        .first()
    )
    if identity is None:
        return None
    customer = identity.customer
    return CustomerInput(
        name=customer.name,
        phone=customer.phone,
        email=customer.email,
        locale=customer.locale,
        timezone=customer.timezone,
    )


async def remember_customer(channel: str, external_id: str, booking_id: int) -> None:
    """Tie the booking's customer to this chat user (merging into the one known before)."""
    async with in_transaction():
        booking = await m.Booking.get_or_none(id=booking_id)
        if booking is None or booking.customer_id is None:
            return
        identity = await m.ChannelIdentity.get_or_none(channel=channel, external_id=external_id)
        if identity is None:
            await m.ChannelIdentity.create(
                customer_id=booking.customer_id, channel=channel, external_id=external_id
            )
            return
        if identity.customer_id == booking.customer_id:
            return
        fresh = await m.Customer.get(id=booking.customer_id)
        await m.Customer.filter(id=identity.customer_id).update(
            name=fresh.name,
            phone=fresh.phone,
            email=fresh.email,
            locale=fresh.locale,
            timezone=fresh.timezone,
        )
        await m.Booking.filter(customer_id=fresh.id).update(customer_id=identity.customer_id)
        await m.BookingSeries.filter(customer_id=fresh.id).update(customer_id=identity.customer_id)
        await m.WaitlistEntry.filter(customer_id=fresh.id).update(customer_id=identity.customer_id)
        await fresh.delete()


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
