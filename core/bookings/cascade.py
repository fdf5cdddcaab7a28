"""The waitlist cascade: freed time is offered to the people waiting for it, in turn.

When a booking lets time go (a cancellation, a move; a declined or lapsed offer),
its transaction writes a ``capacity_freed`` row to the outbox
(:func:`core.bookings.outbox.freed`), so the cascade cannot be lost between the
change and the worker. The worker hands that row to :meth:`Cascade.freed`:

1. The entries still waiting whose wished window meets the freed time are taken
   in the order they joined (first come, first served).
2. For each, the earliest free slot of its service (and provider) whose start lies
   in its window is found by the booking service, with live holds counted, so a
   slot already offered to an earlier entry is not offered again; a slot this
   entry declined or let lapse is not offered to it again.
3. The service's ``waitlist`` setting decides: ``offer`` (the default) writes a
   :class:`~core.models.WaitlistOffer` held for ``hold`` (15 minutes by default)
   and queues the offer message; ``book`` books the entry at once through the
   normal path (it gets the ordinary confirmation).
4. The service's no-show policy is read again for each entry: under ``refuse_chat``
   an entry made in a chat is ended (``refused``), never offered nor booked; under
   ``confirm`` the time is offered even where the service books directly, because
   taking the offer is the customer's confirmation.

The offer row *is* the hold. :class:`OfferHolds` wraps the hold store every
booking service uses and shows open, unexpired offers to every booking as busy
time, in every process (the row is in the database, so the hold outlives the
process that made it, with or without Redis). Accepting
(:meth:`Cascade.accept`) confirms that hold through
:meth:`BookingService.confirm`, so the booking is checked under lock like any
other and idempotent by the offer. Declining, or the hold lapsing
(:meth:`Cascade.tick`, run by the worker with its ``now``), ends the offer and
writes a new ``capacity_freed`` row in the same transaction: the next entry's
turn. :meth:`Cascade.tick` also expires entries whose window has passed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tortoise.transactions import in_transaction

from core import models as m
from core.booking_rows import sqlite_text
from core.bookings import noshow
from core.bookings.noshow import CHAT_CHANNELS
from core.bookings.service import BookingService
from core.bookings.types import Actor, BookingInfo
from core.customers import PHONE_CHANNELS, CustomerInput, Identity, phone_or_as_is
from core.db import connection
from core.engine import Slot
from core.errors import NoShowLimit, NotFound, OfferGone, SlotwiseError
from core.holds import Hold, HoldStore
from core.outbox import MessageKind, waitlist_key
from core.quiet import after_quiet
from core.store import load_info, load_policy

__all__ = [
    "ACCEPT_CHOICE",
    "DECLINE_CHOICE",
    "DEFAULT_HOLD",
    "OFFER_HOLD",
    "Cascade",
    "OfferHolds",
    "OfferInfo",
    "Step",
    "accept_value",
    "decline_value",
    "is_offer_hold",
]

log = logging.getLogger(__name__)

DEFAULT_HOLD = timedelta(minutes=15)
"""How long an offered slot is kept for the entry it is offered to."""
OFFER_HOLD = "wl."
"""Hold tokens of offers start so; :class:`OfferHolds` answers them from the database."""

OPEN, ACCEPTED, DECLINED, EXPIRED, VOID = "open", "accepted", "declined", "expired", "void"
WAITING, BOOKED = "waiting", "booked"


ACCEPT_CHOICE = "waitlist:accept:"
"""A button's value that takes the offer whose token follows (Telegram, Slack)."""
DECLINE_CHOICE = "waitlist:decline:"
"""A button's value that lets the offer whose token follows go to the next entry."""


def accept_value(offer_token: str) -> str:
    return ACCEPT_CHOICE + offer_token


def decline_value(offer_token: str) -> str:
    return DECLINE_CHOICE + offer_token


def is_offer_hold(token: str) -> bool:
    return token.startswith(OFFER_HOLD)


def _owner(entry_token: str) -> str:
    return f"waitlist:{entry_token}"


def _hold_of(row: m.WaitlistOffer, service: str, entry_token: str) -> Hold:
    return Hold(
        token=row.hold_token,
        owner=_owner(entry_token),
        service_id=service,
        start=row.start.astimezone(UTC),
        resources=tuple(row.resources),
        occupied_start=row.occupied_start.astimezone(UTC),
        occupied_end=row.occupied_end.astimezone(UTC),
        seats=row.seats,
        expires_at=row.expires_at.astimezone(UTC),
    )


_OFFERS_SQL = (
    "SELECT o.hold_token, e.token, s.slug, o.start, o.resources, o.occupied_start, "
    "o.occupied_end, o.seats, o.expires_at FROM waitlist_offer o "
    "JOIN waitlist_entry e ON e.id = o.entry_id JOIN service s ON s.id = e.service_id "
    "WHERE o.status = {open} AND o.expires_at > {now} AND o.occupied_start < {end} "
    "AND o.occupied_end > {start}"
)


async def _open_offers(start: datetime, end: datetime, now: datetime) -> list[Hold]:
    """Open, unexpired offers whose window meets ``[start, end)``, as holds. Raw SQL:
    every slot offer asks this, and building the ORM's query (a join of three models)
    cost more than the slot search's own rows; usually there are none."""
    conn = connection()
    instants = [now.astimezone(UTC), end.astimezone(UTC), start.astimezone(UTC)]
    if conn.capabilities.dialect == "postgres":
        sql = _OFFERS_SQL.format(open="$1", now="$2", end="$3", start="$4")
        _, rows = await conn.execute_query(sql, [OPEN, *instants])
    else:
        sql = _OFFERS_SQL.format(open="?", now="?", end="?", start="?")
        _, rows = await conn.execute_query(sql, [OPEN, *map(sqlite_text, instants)])
    return [
        Hold(
            token=r[0],
            owner=_owner(r[1]),
            service_id=r[2],
            start=_instant(r[3]),
            resources=tuple(json.loads(r[4]) if isinstance(r[4], str | bytes) else r[4]),
            occupied_start=_instant(r[5]),
            occupied_end=_instant(r[6]),
            seats=r[7],
            expires_at=_instant(r[8]),
        )
        for r in rows
    ]


def _instant(value: datetime | str) -> datetime:
    """A row's instant: aware from PostgreSQL, UTC text from SQLite."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(UTC)


class OfferHolds:
    """A hold store that also holds the open waitlist offers (see the module docstring).

    Everything but offers goes to ``inner``. An offer's hold is taken and ended by
    :class:`Cascade` alone: ``release`` of an offer's token only says yes (the
    booking service releases a hold after confirming it; the cascade then closes
    the offer).
    """

    def __init__(self, inner: HoldStore) -> None:
        self.inner = inner

    async def take(self, hold: Hold, limits: Mapping[str, int], now: datetime) -> bool:
        return await self.inner.take(hold, limits, now)

    async def get(self, token: str, now: datetime) -> Hold | None:
        if not is_offer_hold(token):
            return await self.inner.get(token, now)
        row = (
            await m.WaitlistOffer.filter(hold_token=token, status=OPEN, expires_at__gt=now)
            .select_related("entry__service")
            .first()
        )
        if row is None:
            return None
        return _hold_of(row, row.entry.service.slug, row.entry.token)

    async def release(self, token: str, owner: str) -> bool:
        if is_offer_hold(token):
            return True
        return await self.inner.release(token, owner)

    async def overlapping(
        self, resource_ids: list[str], start: datetime, end: datetime, now: datetime
    ) -> list[Hold]:
        found = await self.inner.overlapping(resource_ids, start, end, now)
        wanted = set(resource_ids)
        found.extend(
            hold
            for hold in await _open_offers(start, end, now)
            if wanted.intersection(hold.resources)
        )
        return found

    async def close(self) -> None:
        await self.inner.close()


@dataclass(frozen=True, slots=True)
class Step:
    """What the cascade did for one entry: ``offered`` (``offer`` is its token),
    ``booked`` (``booking`` is the new booking's manage token), ``expired``, or
    ``refused`` (the service's no-show policy refuses the entry's chat bookings: the
    entry is expired, nothing is offered)."""

    action: Literal["offered", "booked", "expired", "lapsed", "refused"]
    entry_id: int
    start: datetime | None = None
    offer: str | None = None
    booking: str | None = None

    def line(self) -> str:
        when = f" {self.start.isoformat()}" if self.start else ""
        return f"waitlist\t{self.action}\tentry #{self.entry_id}{when}"


@dataclass(frozen=True, slots=True)
class OfferInfo:
    """An offer as its page shows it."""

    token: str
    status: str
    service_id: str
    service_name: str
    start: datetime
    end: datetime
    expires_at: datetime
    customer_name: str
    locale: str | None
    timezone: str | None
    booking_token: str | None

    def live(self, now: datetime) -> bool:
        return self.status == OPEN and self.expires_at > now


class Cascade:
    """The waitlist cascade over ``bookings`` (whose hold store should be an
    :class:`OfferHolds`, so that offers count as busy). Every method is given its
    ``now``; ``bookings``' own clock should read the same instant (the worker's)."""

    def __init__(
        self,
        bookings: BookingService,
        *,
        hold: timedelta = DEFAULT_HOLD,
    ) -> None:
        if hold <= timedelta(0):
            raise ValueError("the offer hold must be positive")
        self.bookings = bookings
        self.hold = hold

    # --- freed time ---------------------------------------------------------------------

    async def freed(self, start: datetime, end: datetime, now: datetime) -> list[Step]:
        """Offer (or book) the time ``start..end`` that became free, entry by entry."""
        entries = (
            await m.WaitlistEntry.filter(
                status=WAITING,
                wished_end__gt=max(now, start - timedelta(days=1)),
                wished_start__lt=end,
            )
            .select_related("service", "provider", "customer")
            .order_by("created_at", "id")
        )
        steps: list[Step] = []
        for entry in entries:
            if entry.wished_end <= now:
                continue
            if await m.WaitlistOffer.filter(entry_id=entry.id, status=OPEN).exists():
                continue  # one offer at a time per entry
            step = await self._serve(entry, now)
            if step is not None:
                steps.append(step)
        return steps

    async def _serve(self, entry: m.WaitlistEntry, now: datetime) -> Step | None:
        standing = await self._standing(entry)
        if standing.refuses_chat and _channel(entry) in CHAT_CHANNELS:
            await m.WaitlistEntry.filter(id=entry.id, status=WAITING).update(status=EXPIRED)
            log.info("waitlist entry %s: refused by the no-show policy", entry.id)
            return Step("refused", entry.id)
        slot = await self._slot(entry, now)
        if slot is None:
            return None
        policy = await load_policy(entry.service.slug)
        if policy.waitlist == "book" and not standing.needs_confirmation:
            return await self._book(entry, slot)
        # Under the no-show policy ``confirm`` a direct booking would skip the customer's
        # confirmation: they are offered the time, and taking it is their confirmation.
        return await self._offer(entry, slot, now)

    async def _standing(self, entry: m.WaitlistEntry) -> noshow.Standing:
        """The entry's customer under the service's no-show policy (counted now, not when
        they joined: a no-show since then counts)."""
        return await noshow.standing(
            entry.service.slug, _customer(entry.customer), await _identity(entry)
        )

    async def _slot(self, entry: m.WaitlistEntry, now: datetime) -> Slot | None:
        zone = zoneinfo.ZoneInfo((await load_info()).timezone)
        lo = max(entry.wished_start.astimezone(UTC), now)
        hi = entry.wished_end.astimezone(UTC)
        refused = {
            row[0].astimezone(UTC)
            for row in await m.WaitlistOffer.filter(
                entry_id=entry.id, status__in=[DECLINED, EXPIRED]
            ).values_list("start")
        }
        provider = entry.provider.slug if entry.provider else None
        try:
            slots = await self.bookings.offer(
                entry.service.slug,
                lo.astimezone(zone).date(),
                (hi - timedelta(microseconds=1)).astimezone(zone).date(),
                provider,
            )
        except SlotwiseError as error:  # the service or provider went away
            log.info("waitlist entry %s: no slots (%s)", entry.id, error)
            return None
        for slot in slots:
            if lo <= slot.start < hi and slot.start not in refused:
                return slot
        return None

    async def _offer(self, entry: m.WaitlistEntry, slot: Slot, now: datetime) -> Step | None:
        provider = entry.provider.slug if entry.provider else None
        goes = await _when_it_may_go(entry, now)
        if goes > now and slot.start <= goes + self.hold:
            # Found in the customer's quiet hours, and the time starts before they could
            # answer: not offered (it stays free for anyone to book).
            log.info("waitlist entry %s: %s starts before quiet hours end", entry.id, slot.start)
            return None
        try:  # checked like any hold (rules, capacity, others' holds)
            hold = await self.bookings.hold(
                entry.service.slug, slot.start, owner=_owner(entry.token), provider=provider
            )
        except SlotwiseError as error:
            log.info("waitlist entry %s: %s was taken meanwhile (%s)", entry.id, slot.start, error)
            return None
        async with in_transaction() as conn:
            row = await m.WaitlistOffer.create(
                hold_token=OFFER_HOLD + secrets.token_urlsafe(24),
                entry_id=entry.id,
                start=hold.start,
                resources=list(hold.resources),
                occupied_start=hold.occupied_start,
                occupied_end=hold.occupied_end,
                seats=hold.seats,
                offered_at=now,
                expires_at=goes + self.hold,  # held from when the message may go out
                using_db=conn,
            )
            await m.Outbox.create(
                dedup_key=waitlist_key(row.id, "offer"),
                kind=MessageKind.WAITLIST_OFFER,
                payload={
                    "kind": MessageKind.WAITLIST_OFFER.value,
                    "offer": row.token,
                    "entry_id": entry.id,
                    "customer_id": entry.customer_id,
                    "service": entry.service.slug,
                    "start": slot.start.isoformat(),
                    "end": slot.end.isoformat(),
                    "expires_at": row.expires_at.isoformat(),
                    "channel": entry.source_channel,
                },
                available_at=goes,
                using_db=conn,
            )
        # The offer row holds it now; the store's short hold is not needed any more.
        with contextlib.suppress(SlotwiseError):  # it also lapses by itself
            await self.bookings.release(hold.token, owner=_owner(entry.token))
        return Step("offered", entry.id, slot.start, offer=row.token)

    async def _book(self, entry: m.WaitlistEntry, slot: Slot) -> Step | None:
        channel = entry.source_channel or "api"
        try:
            info = await self.bookings.book(
                entry.service.slug,
                slot.start,
                _customer(entry.customer),
                provider=entry.provider.slug if entry.provider else None,
                idempotency_key=f"waitlist:{entry.token}:{slot.start.isoformat()}"[:128],
                channel=channel,
                actor=Actor("system", "waitlist", channel),
                identity=await _identity(entry),
            )
        except SlotwiseError as error:
            log.info("waitlist entry %s: booking %s failed (%s)", entry.id, slot.start, error)
            return None
        await m.WaitlistEntry.filter(id=entry.id).update(status=BOOKED, booking_id=info.id)
        return Step("booked", entry.id, slot.start, booking=info.manage_token)

    # --- the worker's clock ---------------------------------------------------------------

    async def tick(self, now: datetime) -> list[Step]:
        """Expire entries whose window has passed and offers whose hold ran out; each
        lapsed offer writes a ``capacity_freed`` row (the next entry's turn)."""
        steps: list[Step] = []
        for (entry_id,) in await m.WaitlistEntry.filter(
            status=WAITING, wished_end__lte=now
        ).values_list("id"):
            await m.WaitlistEntry.filter(id=entry_id, status=WAITING).update(status=EXPIRED)
            await m.WaitlistOffer.filter(entry_id=entry_id, status=OPEN).update(status=EXPIRED)
            steps.append(Step("expired", entry_id))
        for row in await m.WaitlistOffer.filter(status=OPEN, expires_at__lte=now):
            if await self._close(row.token, EXPIRED, now):
                steps.append(Step("lapsed", row.entry_id, row.start.astimezone(UTC)))
        return steps

    async def _close(self, token: str, status: str, now: datetime) -> bool:
        """End an open offer and queue its time for the next entry, in one transaction."""
        async with in_transaction() as conn:
            row = (
                await m.WaitlistOffer.filter(token=token, status=OPEN)
                .using_db(conn)
                .select_related("entry__service")
                .first()
            )
            if row is None:
                return False
            changed = (
                await m.WaitlistOffer.filter(id=row.id, status=OPEN)
                .using_db(conn)
                .update(status=status)
            )
            if not changed:
                return False
            start = row.start.astimezone(UTC)
            end = start + timedelta(minutes=row.entry.service.duration_min)
            await m.Outbox.create(
                dedup_key=waitlist_key(row.id, f"freed:{status}"),
                kind=MessageKind.CAPACITY_FREED,
                payload={
                    "kind": MessageKind.CAPACITY_FREED.value,
                    "service": row.entry.service.slug,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                },
                available_at=now,
                using_db=conn,
            )
        return True

    # --- the customer's answer ------------------------------------------------------------

    async def find(self, token: str) -> OfferInfo:
        """The offer with this token; :class:`~core.errors.NotFound` when there is none."""
        row = (
            await m.WaitlistOffer.filter(token=token if 0 < len(token) <= 64 else "")
            .select_related("entry__service", "entry__customer", "booking")
            .first()
        )
        if row is None:
            raise NotFound("no waitlist offer with this token", field="token")
        service = row.entry.service
        customer = row.entry.customer
        return OfferInfo(
            token=row.token,
            status=row.status,
            service_id=service.slug,
            service_name=service.name,
            start=row.start.astimezone(UTC),
            end=row.start.astimezone(UTC) + timedelta(minutes=service.duration_min),
            expires_at=row.expires_at.astimezone(UTC),
            customer_name=customer.name,
            locale=customer.locale,
            timezone=customer.timezone,
            booking_token=row.booking.manage_token if row.booking else None,
        )

    async def accept(self, token: str, now: datetime) -> BookingInfo:
        """Book the offered slot for the entry (the offer's hold guarantees it unless it
        lapsed). Accepting twice gives the same booking. :class:`OfferGone` when the
        offer was declined, lapsed or lost; :class:`~core.errors.NoShowLimit` when the
        service's no-show policy refuses the entry's chat bookings (the offer goes to the
        next entry and this entry ends)."""
        row = (
            await m.WaitlistOffer.filter(token=token if 0 < len(token) <= 64 else "")
            .select_related("entry__service", "entry__customer", "entry__provider")
            .first()
        )
        if row is None:
            raise OfferGone("no waitlist offer with this token", field="token")
        if row.status == ACCEPTED and row.booking_id is not None:
            return await self.bookings.get((await m.Booking.get(id=row.booking_id)).manage_token)
        if row.status != OPEN or row.expires_at <= now:
            raise OfferGone(
                "this offer has ended (declined, taken or its time ran out)", field="token"
            )
        entry = row.entry
        channel = entry.source_channel or "web"
        try:  # taking the offer is the confirmation ``confirm`` asks for; a chat is refused
            await noshow.enforce(
                entry.service.slug,
                _customer(entry.customer),
                channel=channel,
                identity=await _identity(entry),
                confirmed=True,
            )
        except NoShowLimit:
            await self._close(row.token, DECLINED, now)  # the time goes to the next entry
            await m.WaitlistEntry.filter(id=entry.id, status=WAITING).update(status=EXPIRED)
            raise
        try:
            info = await self.bookings.confirm(
                row.hold_token,
                _customer(entry.customer),
                owner=_owner(entry.token),
                idempotency_key=f"waitlist:{row.token}",
                channel=channel,
                actor=Actor("customer", entry.customer.name or "customer", channel),
                identity=await _identity(entry),
            )
        except SlotwiseError as error:
            await m.WaitlistOffer.filter(id=row.id, status=OPEN).update(status=VOID)
            raise OfferGone(
                "sorry, this time could not be booked after all; you stay on the waitlist",
                field="token",
            ) from error
        await m.WaitlistOffer.filter(id=row.id).update(status=ACCEPTED, booking_id=info.id)
        await m.WaitlistEntry.filter(id=entry.id).update(status=BOOKED, booking_id=info.id)
        return info

    async def decline(self, token: str, now: datetime) -> None:
        """Let the offered slot go to the next entry; the entry keeps waiting for other
        times. :class:`OfferGone` when the offer is not open any more."""
        if not await self._close(token if 0 < len(token) <= 64 else "", DECLINED, now):
            raise OfferGone("this offer has already ended", field="token")

    async def open_offer_of(self, identity: Identity) -> tuple[str, datetime] | None:
        """The token and time of the newest open offer to the person writing from this
        chat identity, if any: what a reply "1" or "2" there answers. The person is the
        identity's customer, and on SMS and WhatsApp whoever has that number (a waitlist
        entry made in the chat is not tied to the identity)."""
        customer_ids = {
            row[0]
            for row in await m.ChannelIdentity.filter(
                channel=identity.channel, external_id=identity.external_id
            ).values_list("customer_id")
        }
        if identity.channel in PHONE_CHANNELS:
            number = phone_or_as_is(identity.external_id.removeprefix("whatsapp:"), None)
            customer_ids.update(
                row[0] for row in await m.Customer.filter(phone=number).values_list("id")
            )
        if not customer_ids:
            return None
        row = (
            await m.WaitlistOffer.filter(status=OPEN, entry__customer_id__in=sorted(customer_ids))
            .order_by("-offered_at", "-id")
            .first()
        )
        return (row.token, row.offered_at.astimezone(UTC)) if row else None


def _channel(entry: m.WaitlistEntry) -> str:
    return entry.source_channel or "api"


def _customer(row: m.Customer) -> CustomerInput:
    return CustomerInput(row.name, row.phone, row.email, row.locale, row.timezone)


async def _identity(entry: m.WaitlistEntry) -> Identity | None:
    """How the entry's own chat names the customer, so the booking is tied to it."""
    found = await m.ChannelIdentity.filter(
        customer_id=entry.customer_id, channel=entry.source_channel
    ).first()
    return Identity(found.channel, found.external_id) if found else None


async def _when_it_may_go(entry: m.WaitlistEntry, now: datetime) -> datetime:
    """``now``, or when the business's quiet hours end in the customer's zone (an offer is
    not a message that answers their own action: it waits, like a reminder)."""
    info = await load_info()
    zone = (
        await m.Customer.filter(id=entry.customer_id).first().values_list("timezone", flat=True)
    ) or info.timezone
    return after_quiet(now, info.quiet_hours, str(zone))
