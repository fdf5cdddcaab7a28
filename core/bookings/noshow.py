"""No-shows: staff say a customer did not come; after enough of them a policy applies.

:func:`mark` turns a confirmed booking whose start has passed into ``no_show``, in
one transaction with its history row (the actor, for the audit) and without its
unsent reminders. Marking a no-show twice changes nothing. The booking keeps its
occupancy: the time it took is past, and a report should still see it as used.

:func:`standing` counts a customer's no-shows (over every customer row the person
is known by: the chat identity, the phone, the e-mail) and reads the service's
policy (``no_shows: {after: N, then: confirm | refuse_chat}`` in the business
file). :func:`enforce` is what a booking path calls before it books: it raises
:class:`~core.errors.NoShowLimit` when the policy refuses the booking (chat bookings
under ``refuse_chat``, or any booking under ``confirm`` that the customer has not
confirmed), with a message the caller can show.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from core import models as m
from core.bookings import outbox
from core.bookings.locking import LockBusy, write_transaction
from core.bookings.rows import CONFIRMED, infos
from core.bookings.types import Actor, BookingInfo
from core.customers import CustomerInput, Identity, email_key
from core.db import connection
from core.errors import ConcurrentChange, NoShowLimit, NotFound, PolicyViolation

__all__ = ["CHAT_CHANNELS", "NO_SHOW", "Standing", "enforce", "mark", "no_shows", "standing"]

NO_SHOW = m.BookingStatus.NO_SHOW.value

CHAT_CHANNELS = frozenset({"telegram", "slack", "sms", "whatsapp", "web", "webchat", "console"})
"""Channels where a customer books by themselves in a chat: what ``refuse_chat`` refuses."""

Action = Literal["confirm", "refuse_chat"]


@dataclass(frozen=True, slots=True)
class Standing:
    """A customer's no-shows and what the service's policy makes of them."""

    no_shows: int
    limit: int | None
    action: Action

    @property
    def applies(self) -> bool:
        return self.limit is not None and self.no_shows >= self.limit

    @property
    def refuses_chat(self) -> bool:
        return self.applies and self.action == "refuse_chat"

    @property
    def needs_confirmation(self) -> bool:
        return self.applies and self.action == "confirm"


async def mark(
    manage_token: str, *, actor: Actor, now: datetime, lock_timeout: timedelta
) -> BookingInfo:
    """Mark the booking a no-show (see the module docstring).

    :class:`NotFound` for an unknown token; :class:`PolicyViolation` (``field="status"``)
    for a cancelled booking or one that has not started yet at ``now``.
    """
    fits = isinstance(manage_token, str) and 0 < len(manage_token) <= 64
    found = await infos(m.Booking.filter(manage_token=manage_token)) if fits else []
    if not found:
        raise NotFound("no booking with this token", field="manage_token")
    info = found[0]
    try:
        async with write_transaction(lock_timeout) as tx:
            await tx.lock("booking", [info.id])
            (current,) = await infos(m.Booking.filter(id=info.id))
            if current.status == NO_SHOW:
                return current
            _check(current, now)
            await (
                m.Booking.filter(id=info.id)
                .using_db(tx.conn)
                .update(status=m.BookingStatus.NO_SHOW, updated_at=datetime.now(UTC))
            )
            customer_id = await _customer_id(info.id)
            count = await no_shows([customer_id] if customer_id is not None else [], tx.conn)
            await m.BookingHistory.create(
                booking_id=info.id,
                actor=actor.label,
                channel=actor.channel,
                action="no_show",
                data={"start": current.start.isoformat(), "no_shows": count},
                using_db=tx.conn,
            )
            await outbox.drop_reminders(tx.conn, [info.id])
    except LockBusy as exc:
        raise ConcurrentChange(
            "the booking is being changed right now; try again", field="manage_token"
        ) from exc
    return replace(current, status=NO_SHOW)


def _check(info: BookingInfo, now: datetime) -> None:
    if info.status != CONFIRMED:
        raise PolicyViolation(f"a {info.status} booking cannot be marked a no-show", field="status")
    if now < info.start:
        raise PolicyViolation(
            f"the booking starts at {info.start.isoformat()}; it can be marked a no-show "
            "only after its start",
            field="status",
        )


async def _customer_id(booking_id: int) -> int | None:
    rows = await m.Booking.filter(id=booking_id).values_list("customer_id", flat=True)
    value = rows[0] if rows else None
    return value if isinstance(value, int) else None


async def no_shows(customer_ids: list[int], conn: object | None = None) -> int:
    """The no-shows of these customer rows together."""
    if not customer_ids:
        return 0
    query = m.Booking.filter(customer_id__in=customer_ids, status=m.BookingStatus.NO_SHOW)
    if conn is not None:
        query = query.using_db(conn)  # type: ignore[arg-type]
    return await query.count()


_STANDING = (
    'SELECT s."no_show_limit", s."no_show_action", CASE WHEN s."no_show_limit" IS NULL '
    'THEN 0 ELSE (SELECT COUNT(*) FROM "booking" b WHERE b."status" = {status} '
    'AND b."customer_id" IN (SELECT "customer_id" FROM "channel_identity" '
    'WHERE "channel" = {channel} AND "external_id" = {external} '
    'UNION SELECT "id" FROM "customer" WHERE "phone" = {phone} '
    'UNION SELECT "id" FROM "customer" WHERE "email_key" = {email})) END '
    'FROM "service" s WHERE s."business_id" = (SELECT MIN("id") FROM "business") '
    'AND s."slug" = {slug}'
)
"""The service's policy and, when it has one, the no-shows of every customer row the person
is known by (the chat identity, the phone, the e-mail): one query, since it runs before
every booking by chat or the API. A missing part is NULL, which matches no row."""


async def standing(
    service_id: str, customer: CustomerInput | None, identity: Identity | None = None
) -> Standing:
    """The person's no-shows and the service's policy (see the module docstring)."""
    conn = connection()
    postgres = conn.capabilities.dialect == "postgres"
    names = ("status", "channel", "external", "phone", "email", "slug")
    marks = {name: f"${i}" if postgres else "?" for i, name in enumerate(names, start=1)}
    rows = await conn.execute_query_dict(
        _STANDING.format(**marks),
        [
            m.BookingStatus.NO_SHOW.value,
            None if identity is None else identity.channel,
            None if identity is None else identity.external_id,
            (customer.phone or None) if customer is not None else None,
            (email_key(customer.email) or None) if customer is not None else None,
            service_id,
        ],
    )
    if not rows:  # no such service: the default policy, as the caller looked it up already
        return Standing(0, None, "confirm")
    limit, action, count = rows[0].values()
    then: Action = "refuse_chat" if action == "refuse_chat" else "confirm"
    if limit is None:
        return Standing(0, None, then)
    return Standing(int(count), int(limit), then)


async def enforce(
    service_id: str,
    customer: CustomerInput | None,
    *,
    channel: str,
    identity: Identity | None = None,
    confirmed: bool = False,
) -> Standing:
    """Refuse a booking the no-show policy forbids (:class:`NoShowLimit`); else the standing.

    ``confirmed`` says the customer has given the confirmation reply ``confirm`` asks for.
    """
    found = await standing(service_id, customer, identity)
    if found.refuses_chat and channel in CHAT_CHANNELS:
        raise NoShowLimit(
            f"after {found.no_shows} missed appointments this service is not booked by chat; "
            "please contact the business",
            field="customer",
            standing=found.no_shows,
            action="refuse_chat",
        )
    if found.needs_confirmation and not confirmed:
        raise NoShowLimit(
            f"after {found.no_shows} missed appointments each booking needs the customer's "
            "confirmation first; send it again with customer_confirmed: true once they confirmed",
            field="customer_confirmed",
            standing=found.no_shows,
            action="confirm",
        )
    return found
