"""Customers as the admin panel sees them: found, shown, merged, erased.

- :func:`search` finds customers by name, phone or e-mail (a staff member's search
  only among the customers of their own resource's bookings);
- :func:`profile` is one customer with their bookings, no-shows and channels;
- :func:`merge` moves a duplicate's bookings, series, waitlist entries and channel ties
  to the customer kept (what the kept one lacks is taken from the duplicate), then
  removes the duplicate; each moved booking gets a history row, and the merge an audit row;
- :func:`erase` deletes a customer's personal data on request (GDPR art. 17): name,
  phone, e-mail, language, time zone and channel ids go, and so does every copy of them
  in the history of their bookings (the actor's name, a typed reason), in their
  messages and webhook events (sent or not) and in their "please reply" notices to
  staff; the bookings stay, anonymous, so statistics (counts, no-shows,
  utilization) are kept. The erasure is audited without naming the person.

Audit rows of these go to ``rule_history`` (subject ``customer <id>``), the audit log's
list of changes that are not a booking's: they hold ids and counts, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import models as m
from core.errors import InvalidRequest, NotFound
from core.outbox.kinds import MessageKind

__all__ = [
    "CustomerBooking",
    "CustomerChannel",
    "CustomerProfile",
    "CustomerSummary",
    "audit_admin_action",
    "erase",
    "merge",
    "profile",
    "search",
]

ERASED = "[erased]"


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    id: int
    name: str
    phone: str | None
    email: str | None
    bookings: int


@dataclass(frozen=True, slots=True)
class CustomerBooking:
    id: int
    service: str
    start: datetime
    status: str
    resources: tuple[str, ...]
    channel: str


@dataclass(frozen=True, slots=True)
class CustomerChannel:
    channel: str
    external_id: str
    reachable: bool
    opted_out: bool


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    id: int
    name: str
    phone: str | None
    email: str | None
    locale: str | None
    timezone: str | None
    created_at: datetime
    bookings: tuple[CustomerBooking, ...]
    no_shows: int
    channels: tuple[CustomerChannel, ...]
    waiting: int
    """Waitlist entries still waiting."""


def _of_resource(resource: str) -> Q:
    return Q(bookings__occupancy__resource__slug=resource)


async def search(
    text: str, *, resource: str | None = None, limit: int = 50
) -> list[CustomerSummary]:
    """Customers whose name, phone or e-mail holds ``text`` (case aside; a phone also by its
    digits alone), newest first; with ``resource``, only customers of its bookings."""
    text = text.strip()[:100]
    query = m.Customer.all()
    if resource is not None:
        query = query.filter(_of_resource(resource))
    if text:
        digits = "".join(c for c in text if c.isdigit())
        match = Q(name__icontains=text) | Q(email_key__contains=text.lower())
        match |= Q(phone__contains=text)
        if len(digits) >= 3:
            match |= Q(phone__contains=digits)
        query = query.filter(match)
    rows = await query.distinct().order_by("-id").limit(limit)
    ids = [row.id for row in rows]
    counts: dict[int, int] = {}
    for customer_id in await m.Booking.filter(customer_id__in=ids).values_list(
        "customer_id", flat=True
    ):
        counts[int(customer_id)] = counts.get(int(customer_id), 0) + 1  # type: ignore[call-overload]
    return [
        CustomerSummary(row.id, row.name, row.phone, row.email, counts.get(row.id, 0))
        for row in rows
    ]


async def profile(customer_id: int, *, resource: str | None = None) -> CustomerProfile:
    """One customer; with ``resource`` (a staff member's), only if they booked it, and
    only the bookings on it. :class:`NotFound` otherwise."""
    query = m.Customer.filter(id=customer_id)
    if resource is not None:
        query = query.filter(_of_resource(resource))
    row = await query.first()
    if row is None:
        raise NotFound("there is no such customer", field="customer")
    bookings_query = m.Booking.filter(customer_id=row.id)
    if resource is not None:
        bookings_query = bookings_query.filter(occupancy__resource__slug=resource)
    bookings = await bookings_query.distinct().order_by("-start").prefetch_related("service")
    places: dict[int, list[str]] = {b.id: [] for b in bookings}
    for booking_id, slug in (
        await m.BookingResource.filter(booking_id__in=list(places))
        .order_by("booking_id", "position")
        .values_list("booking_id", "resource__slug")
    ):
        places[int(booking_id)].append(str(slug))
    identities = await m.ChannelIdentity.filter(customer_id=row.id).order_by("created_at", "id")
    return CustomerProfile(
        id=row.id,
        name=row.name,
        phone=row.phone,
        email=row.email,
        locale=row.locale,
        timezone=row.timezone,
        created_at=row.created_at,
        bookings=tuple(
            CustomerBooking(
                b.id,
                b.service.slug,
                b.start.astimezone(UTC),
                str(b.status),
                tuple(places[b.id]),
                b.source_channel,
            )
            for b in bookings
        ),
        no_shows=await m.Booking.filter(customer_id=row.id, status=m.BookingStatus.NO_SHOW).count(),
        channels=tuple(
            CustomerChannel(
                i.channel, i.external_id, i.unreachable_at is None, i.opted_out_at is not None
            )
            for i in identities
        ),
        waiting=await m.WaitlistEntry.filter(customer_id=row.id, status="waiting").count(),
    )


async def audit_admin_action(
    conn: BaseDBAsyncClient | None = None,
    *,
    actor: str,
    action: str,
    subject: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """An audit row of an admin's action that is not a booking's change (kept in
    ``rule_history``, so the audit log lists it); ids and counts only, nothing personal."""
    query = m.Business.all() if conn is None else m.Business.all().using_db(conn)
    business = await query.order_by("id").first()
    if business is None:
        return  # no business, no audit log to write to (nor a panel to act from)
    await m.RuleHistory.create(
        business_id=business.id,
        at=datetime.now(UTC),
        actor=actor[:250],
        channel="admin",
        action=action,
        subject=subject[:100],
        before=before,
        after=after,
        using_db=conn,
    )


_FIELDS = ("name", "phone", "email", "email_key", "locale", "timezone")


async def merge(keep_id: int, drop_id: int, *, actor: str) -> CustomerProfile:
    """Move everything of customer ``drop_id`` to ``keep_id`` and remove ``drop_id``."""
    if keep_id == drop_id:
        raise InvalidRequest("choose two different customers to merge", field="duplicate")
    async with in_transaction() as conn:
        keep = await m.Customer.filter(id=keep_id).using_db(conn).select_for_update().first()
        drop = await m.Customer.filter(id=drop_id).using_db(conn).select_for_update().first()
        if keep is None or drop is None:
            raise NotFound("there is no such customer; reload the page", field="duplicate")
        moved = (
            await m.Booking.filter(customer_id=drop_id).using_db(conn).values_list("id", flat=True)
        )
        await m.Booking.filter(customer_id=drop_id).using_db(conn).update(customer_id=keep_id)
        await m.BookingSeries.filter(customer_id=drop_id).using_db(conn).update(customer_id=keep_id)
        await m.WaitlistEntry.filter(customer_id=drop_id).using_db(conn).update(customer_id=keep_id)
        ties = (
            await m.ChannelIdentity.filter(customer_id=drop_id)
            .using_db(conn)
            .update(customer_id=keep_id)
        )
        gained = {f: getattr(drop, f) for f in _FIELDS if not getattr(keep, f) and getattr(drop, f)}
        await m.Customer.filter(id=drop_id).using_db(conn).delete()
        if gained:
            await m.Customer.filter(id=keep_id).using_db(conn).update(**gained)
        now = datetime.now(UTC)
        await m.BookingHistory.bulk_create(
            [
                m.BookingHistory(
                    booking_id=booking_id,
                    at=now,
                    actor=actor[:200],
                    channel="admin",
                    action="customer_merged",
                    data={"from_customer": drop_id, "to_customer": keep_id},
                )
                for booking_id in moved
            ],
            using_db=conn,
        )
        await audit_admin_action(
            conn,
            actor=actor,
            action="customer_merged",
            subject=f"customer {keep_id}",
            before={"customers": [keep_id, drop_id]},
            after={"customer": keep_id, "bookings_moved": len(moved), "channels_moved": ties},
        )
    return await profile(keep_id)


def _scrub(value: Any, personal: Iterable[str]) -> Any:
    """``value`` (JSON) with every string holding a personal value replaced, and every
    ``customer`` object emptied of its fields."""
    marks = [p for p in personal if p]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "customer" and isinstance(item, dict):
                out[key] = {k: v for k, v in item.items() if k == "id"}
            elif key in ("reason", "actor") and isinstance(item, str):
                out[key] = ERASED if item else item
            else:
                out[key] = _scrub(item, marks)
        return out
    if isinstance(value, list):
        return [_scrub(item, marks) for item in value]
    if isinstance(value, str) and any(p.lower() in value.lower() for p in marks):
        return ERASED
    return value


async def erase(customer_id: int, *, actor: str) -> None:
    """Delete the customer's personal data everywhere it is kept; keep the bookings
    anonymous (see the module docstring)."""
    async with in_transaction() as conn:
        row = await m.Customer.filter(id=customer_id).using_db(conn).select_for_update().first()
        if row is None:
            raise NotFound("there is no such customer; reload the page", field="customer")
        identities = await m.ChannelIdentity.filter(customer_id=customer_id).using_db(conn)
        personal = [
            v
            for v in (row.name.strip(), row.phone, row.email, *(i.external_id for i in identities))
            if v and len(v) >= 2
        ]
        bookings = (
            await m.Booking.filter(customer_id=customer_id)
            .using_db(conn)
            .values_list("id", flat=True)
        )
        ids = [int(b) for b in bookings]  # type: ignore[call-overload]
        for entry in await m.BookingHistory.filter(booking_id__in=ids).using_db(conn):
            actor_kind = entry.actor.split(":", 1)[0]
            by_customer = actor_kind == "customer" or any(
                p.lower() in entry.actor.lower() for p in personal
            )
            data = (
                _scrub(entry.data, personal) if by_customer else _scrub_plain(entry.data, personal)
            )
            await (
                m.BookingHistory.filter(id=entry.id)
                .using_db(conn)
                .update(actor=f"{actor_kind}:{ERASED}" if by_customer else entry.actor, data=data)
            )
        for message in await m.Outbox.filter(booking_id__in=ids).using_db(conn):
            await (
                m.Outbox.filter(id=message.id)
                .using_db(conn)
                .update(payload=_scrub(message.payload, personal))
            )
        await _erase_handovers(conn, row, identities, personal)
        audits = m.RuleHistory.filter(subject=f"customer {customer_id}").using_db(conn)
        for change in await audits:
            await (
                m.RuleHistory.filter(id=change.id)
                .using_db(conn)
                .update(
                    before=_scrub_plain(change.before, personal),
                    after=_scrub_plain(change.after, personal),
                )
            )
        await m.ChannelIdentity.filter(customer_id=customer_id).using_db(conn).delete()
        await (
            m.Customer.filter(id=customer_id)
            .using_db(conn)
            .update(name="", phone=None, email=None, email_key=None, locale=None, timezone=None)
        )
        await audit_admin_action(
            conn,
            actor=actor,
            action="customer_erased",
            subject=f"customer {customer_id}",
            before={"bookings": len(ids), "channels": len(identities)},
            after={"erased": True},
        )


async def _erase_handovers(
    conn: BaseDBAsyncClient,
    row: m.Customer,
    identities: list[m.ChannelIdentity],
    personal: list[str],
) -> None:
    """ "Please reply to this customer" notices (no booking of theirs): found by the chat
    id, phone or e-mail they carry, emptied, and their dedup key (which names the chat
    id) replaced."""
    chats = {(i.channel, i.external_id) for i in identities}
    for message in await m.Outbox.filter(kind=MessageKind.STAFF_HANDOVER).using_db(conn):
        payload = message.payload
        theirs = (payload.get("channel"), payload.get("user")) in chats or any(
            payload.get(key) is not None and payload.get(key) == value
            for key, value in (("phone", row.phone), ("email", row.email))
        )
        if not theirs:
            continue
        kept = {k: payload[k] for k in ("kind", "channel", "at") if k in payload}
        await (
            m.Outbox.filter(id=message.id)
            .using_db(conn)
            .update(
                payload={**kept, "erased": True},
                dedup_key=f"handover:erased:{message.id}",
            )
        )


def _scrub_plain(value: Any, personal: Iterable[str]) -> Any:
    """:func:`_scrub` for data not written by the customer: only strings holding a
    personal value and ``customer`` objects go."""
    marks = [p for p in personal if p]
    if isinstance(value, dict):
        return {
            k: (
                {i: v for i, v in item.items() if i == "id"}
                if k == "customer" and isinstance(item, dict)
                else _scrub_plain(item, marks)
            )
            for k, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_plain(item, marks) for item in value]
    if isinstance(value, str) and any(p.lower() in value.lower() for p in marks):
        return ERASED
    return value
