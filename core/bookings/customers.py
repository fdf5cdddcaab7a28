"""Who a chat user is: their customer record, found by the channel's id for them.

A booking made in a chat is tied to ``(channel, external id)`` through a
:class:`~core.models.ChannelIdentity`, in the booking's own transaction
(``BookingService.confirm(identity=...)``, see :mod:`core.customers`), so the bot
can greet a returning customer by name, skip asking for a contact it already has,
and list, cancel or move "my bookings".
"""

from __future__ import annotations

from datetime import datetime

from core import customers
from core import models as m
from core.bookings.rows import infos
from core.bookings.types import BookingInfo, CustomerInput, Identity
from core.outbox.kinds import MessageKind, handover_key

__all__ = ["ask_for_person", "known_customer", "upcoming_bookings"]

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
