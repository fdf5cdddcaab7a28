"""The booking service: holds, bookings, changes, recurring series, the waitlist.

Every way into a booking (the REST API, the bot, the admin panel) goes through
:class:`BookingService`, so the rules, the locking and the audit live in one place.

Every booking, move and series is one write transaction (:mod:`core.bookings.locking`):

1. *Look*: the rules of the resources the request can use, the busy time of
   exactly the window it needs and the live holds of others (read just before
   the transaction opens, see below) go to the engine,
   which says whether each start is a slot and which resources serve it. If
   not, the transaction ends having written nothing, and the answer is
   :class:`~core.errors.NotASlot` (the rules forbid it, with the engine's
   explanation) or :class:`~core.errors.SlotTaken` (only bookings and holds are
   in the way), both with the nearest alternatives, computed after the
   transaction so that no lock is held meanwhile.
2. *Lock* the chosen resources' rows in id order (PostgreSQL; SQLite's write
   lock was taken when the transaction began).
3. *Re-check* under the lock: the occupancy rows overlapping the window
   against the capacities (one query, so that the losers of a race leave the
   lock at once), then the freshly read rules of just these resources through
   the engine again. Lost: roll back and start again at 1 (another resource of
   the pool may still be free), a few times, then ``SlotTaken``.
4. *Write* the bookings, their occupancy rows, history rows and outbox
   messages; commit. PostgreSQL's exclusion constraint refuses overlapping
   rows on capacity-one resources even then: that too counts as lost.

When the request can use only one resource per pool (a provider was named, a
hold is confirmed, the pool has one member), there is nothing to choose: those
resources are locked first, before anything is read, so step 1 already sees
the truth and step 3 is not needed; a full window is found with one query
under the lock.

Holds improve the experience; the database guarantees. A hold is checked like
a booking and stored in the hold store with a TTL; snapshots for offering and
choosing count others' live holds as busy. The hold store may be a network
service (Redis), so it is never called with a transaction open: a stalled
store would keep the transaction's locks, a pooled connection, or SQLite's one
connection (and with it every other request) waiting. Others' holds are read
just before the transaction (for that, the request's rules are read once more,
in a transaction of their own), and a hold is taken after it. Holds read a
moment early are still only advice: a hold taken in between is one the request
does not see, exactly as if it had been taken just after the check, and the
capacity is checked under lock against the bookings either way. When the hold store is unavailable
(:class:`~core.holds.HoldStoreUnavailable`) or none is configured, ``hold``
still answers, with a WARNING that holds are off: the hold it returns is not
stored anywhere but its token carries the request (:mod:`core.bookings.tokens`),
so ``confirm`` works unchanged and re-checks everything under lock. Only the
lease is lost: someone else may book the slot in between, and the customer
then gets ``SlotTaken`` with alternatives at confirmation.

The class here is a facade: it checks what callers pass and hands the work to
one-way collaborators, each of one job, none of which calls back up:

- :mod:`~core.bookings.looking`: rules, busy time and the engine's answer (step 1,
  and the offer of free slots);
- :mod:`~core.bookings.alternatives`: the nearest slots and the refusal to give;
- :mod:`~core.bookings.holding`: holds in the hold store (through
  :mod:`~core.bookings.leases`, which also says when the store is away);
- :mod:`~core.bookings.placing`: steps 1 to 4 under lock, for new bookings and moves;
- :mod:`~core.bookings.changing`: cancellations and moves;
- :mod:`~core.bookings.rows`: the one writer of booking, occupancy and history rows.

What a request does not count as busy (the hold it confirms, the holds of the
customer looking, the bookings it moves) is one value,
:class:`~core.bookings.ignoring.Ignoring`.
"""

from __future__ import annotations

import logging
import secrets
import zoneinfo
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.bookings import noshow, waitlist
from core.bookings.alternatives import Alternatives
from core.bookings.changing import Changing
from core.bookings.holding import MAX_ATTEMPTS, Holding
from core.bookings.ignoring import Ignoring
from core.bookings.inputs import (
    aware,
    check_actor,
    check_customer,
    check_names,
    check_reason,
    check_text,
    key_of,
    seat_count,
)
from core.bookings.leases import Leases
from core.bookings.looking import Looking, Wants, rules_kept
from core.bookings.placing import Placing
from core.bookings.plan import Want
from core.bookings.reading import by_token, future_of_series, series_info, series_of
from core.bookings.recurring import Recurrence, shift_wall
from core.bookings.rows import CANCELLED, CONFIRMED, replay
from core.bookings.tokens import HoldSigner
from core.bookings.types import (
    Actor,
    BookingInfo,
    CustomerInput,
    SeriesInfo,
    WaitlistEntryInfo,
)
from core.customers import Identity, normalized
from core.engine import Slot, Snapshot
from core.errors import (
    ConcurrentChange,
    HoldExpired,
    InvalidRequest,
    PolicyViolation,
    SlotUnavailable,
)
from core.holds import Hold, HoldStore
from core.store import Rules, load_info

__all__ = ["ALTERNATIVES", "MAX_ATTEMPTS", "BookingService", "ConcurrentChange", "utc_now"]

log = logging.getLogger("core.bookings")

ALTERNATIVES = 4
"""Nearest slots offered with a refusal."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class BookingService:
    """Holds, bookings and their changes, over the open database (see :mod:`core.db`).

    ``holds`` is the lease store (memory or Redis); ``None`` means holds are off
    (``hold`` still works, see the module docstring). ``signer`` signs the tokens of
    unstored holds; without one, a secret of this process alone is made, so such a
    token is good only in the process that issued it. ``clock`` is the only source
    of "now", so tests and the bot's dry runs control time. ``lock_timeout`` is
    how long a commit waits for another one on the same resources before it
    answers "taken" (PostgreSQL; SQLite waits its ``busy_timeout``).
    """

    def __init__(
        self,
        holds: HoldStore | None = None,
        *,
        hold_ttl: timedelta = timedelta(minutes=5),
        lock_timeout: timedelta = timedelta(seconds=2),
        clock: Callable[[], datetime] = utc_now,
        alternatives: int = ALTERNATIVES,
        signer: HoldSigner | None = None,
    ) -> None:
        if hold_ttl <= timedelta(0):
            raise ValueError("hold_ttl must be positive")
        self._holds = holds
        self._clock = clock
        self._hold_ttl = hold_ttl
        self._lock_timeout = lock_timeout
        leases = Leases(holds)
        self._looking = Looking(leases)
        self._nearby = Alternatives(self._looking, leases, alternatives)
        self._holding = Holding(
            self._looking,
            self._nearby,
            leases,
            signer or HoldSigner(secrets.token_bytes(32)),
            hold_ttl,
        )
        self._placing = Placing(self._looking, self._nearby, leases, lock_timeout)
        self._changing = Changing(self._placing, lock_timeout)

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now.astimezone(UTC)

    # --- holds ----------------------------------------------------------------------------

    async def hold(
        self,
        service_id: str,
        start: datetime,
        *,
        owner: str,
        provider: str | None = None,
        seats: int | None = None,
    ) -> Hold:
        """Keep a slot for ``owner`` for the hold TTL; refused like a booking would be.

        Raises :class:`NotASlot` or :class:`SlotTaken` (with alternatives), the
        engine's ``UnknownService``/``UnknownProvider``, or :class:`InvalidRequest`.
        """
        check_text(owner, "owner")
        check_names(service_id, provider)
        want = Want(service_id, aware(start, "start"), seat_count(seats), provider)
        return await self._holding.hold(want, owner, self._now())

    async def release(self, token: str, *, owner: str) -> None:
        """Give a hold back. :class:`HoldNotYours` for someone else's, :class:`HoldExpired`
        for one that is gone (expired, released, confirmed, or never existed)."""
        await self._holding.release(token, owner, self._now())

    async def held(self, token: str, *, owner: str) -> Hold:
        """The live hold ``owner`` has under ``token``: what ``confirm`` would book.
        :class:`HoldExpired` when gone or unknown, :class:`HoldNotYours` for another's."""
        return await self._holding.live(token, owner, self._now())

    # --- booking --------------------------------------------------------------------------

    async def confirm(
        self,
        token: str,
        customer: CustomerInput,
        *,
        owner: str,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
        channel: str = "api",
        actor: Actor | None = None,
        identity: Identity | None = None,
    ) -> BookingInfo:
        """Turn a live hold into a booking, re-checked under lock (see the module docstring).

        The rules are applied as of when the hold was taken (a hold on the earliest
        slot does not fall foul of the minimum notice while the customer types);
        capacity as of now. ``identity`` (how a chat names the person) is tied to the
        booking's customer in the booking's own transaction (:mod:`core.customers`).
        """
        customer = await _customer(customer, identity)
        check_text(channel, "channel")
        key = key_of(idempotency_key, request_fingerprint)
        if key is not None and (earlier := await replay(key)):
            return earlier[0]
        now = self._now()
        try:
            hold = await self._holding.live(token, owner, now)
            # What the hold says is checked again like any request: the resources must
            # be a choice the service allows (:meth:`Looking.base`) and the seats a count.
            want = Want(
                hold.service_id,
                aware(hold.start, "start"),
                seat_count(hold.seats),
                fixed=hold.resources,
            )
            (info,) = await self._placing.new(
                [(want, True)],
                min(now, hold.expires_at - self._hold_ttl),
                customer=customer,
                identity=identity,
                channel=channel,
                actor=actor or Actor("customer", customer.name, channel),
                key=key,
                ignoring=Ignoring(token=token),
                history={"hold": True},
            )
        except (HoldExpired, SlotUnavailable):
            # The same request, sent again while the first was committing, finds the
            # hold consumed or the slot taken: by itself. Its answer is the first's.
            if key is not None and (earlier := await replay(key)):
                return earlier[0]
            raise
        await self._holding.consumed(token, owner)
        return info

    async def book(
        self,
        service_id: str,
        start: datetime,
        customer: CustomerInput,
        *,
        provider: str | None = None,
        seats: int | None = None,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
        channel: str = "api",
        actor: Actor | None = None,
        identity: Identity | None = None,
    ) -> BookingInfo:
        """Hold and confirm at once, for callers with no dialog (no hold store needed);
        ``identity`` as in :meth:`confirm`."""
        customer = await _customer(customer, identity)
        check_text(channel, "channel")
        check_names(service_id, provider)
        key = key_of(idempotency_key, request_fingerprint)
        want = Want(service_id, aware(start, "start"), seat_count(seats), provider)
        if key is not None and (earlier := await replay(key)):
            return earlier[0]
        try:
            (info,) = await self._placing.new(
                [(want, True)],
                self._now(),
                customer=customer,
                identity=identity,
                channel=channel,
                actor=actor or Actor("customer", customer.name, channel),
                key=key,
            )
        except SlotUnavailable:
            if key is not None and (earlier := await replay(key)):
                return earlier[0]  # see confirm
            raise
        return info

    # --- reading --------------------------------------------------------------------------

    async def get(self, manage_token: str) -> BookingInfo:
        """The booking with this manage token; :class:`NotFound` when there is none."""
        return await by_token(manage_token)

    def rules_kept(self) -> AbstractContextManager[None]:
        """Slot offers inside the block read each service's rules once (one chat turn's
        offers, alternatives and explanations); busy time and holds stay fresh."""
        return rules_kept()

    async def offer(
        self,
        service_id: str,
        first: date,
        last: date,
        provider: str | None = None,
        *,
        seats: int | None = None,
        owner: str | None = None,
    ) -> list[Slot]:
        """Free slots on the local dates ``first..last``, with live holds counted as busy
        (except ``owner``'s own, so a customer still sees the slot they hold)."""
        check_names(service_id, provider)
        for day, field in ((first, "first"), (last, "last")):
            if not isinstance(day, date) or not 1 < day.year < 9999:
                raise InvalidRequest(
                    f"{field} must be a date between years 2 and 9998", field=field
                )
        return await self._looking.offer(
            service_id, first, last, provider, self._now(), seats=seats, owner=owner
        )

    async def snapshot(
        self,
        service_id: str,
        first: date,
        last: date,
        provider: str | None = None,
        *,
        seats: int | None = None,
        owner: str | None = None,
    ) -> Snapshot:
        """What :meth:`offer` hands the engine for the local dates ``first..last``: the
        rules and the busy time, live holds counted (except ``owner``'s), so that an
        explanation of a refused start (:mod:`core.availability`) says "taken" for a held
        slot, as the offer does."""
        return await self._looking.snapshot(
            service_id, first, last, provider, self._now(), seats=seats, owner=owner
        )

    # --- changes --------------------------------------------------------------------------

    async def cancel(
        self, manage_token: str, *, actor: Actor, reason: str = "", override: bool = False
    ) -> BookingInfo:
        """Cancel a booking; it occupies nothing afterwards. Cancelling a cancelled
        booking changes nothing. The policy applies unless an admin overrides it."""
        check_actor(actor, override)
        check_reason(reason)
        info = await self.get(manage_token)
        if info.status == CANCELLED:
            return info
        (done,) = await self._changing.cancel(
            [info], self._now(), actor=actor, reason=reason, override=override
        )
        return done

    async def reschedule(
        self,
        manage_token: str,
        new_start: datetime,
        *,
        actor: Actor,
        override: bool = False,
        provider: str | None = None,
        reason: str = "",
    ) -> BookingInfo:
        """Move a booking, keeping its resources when they are free at the new time.

        The new time is checked under lock like a booking, and taken in the same
        transaction that lets the old one go: a move that fails leaves the booking
        exactly as it was. An admin's ``override`` passes the change policy and the
        service's notice and booking window for the new time, never its hours, blocks,
        capacity or another booking. ``reason`` goes into the booking's history.
        """
        check_actor(actor, override)
        check_reason(reason)
        start = aware(new_start, "new_start")
        info = await self.get(manage_token)
        if info.status != CONFIRMED:
            raise PolicyViolation(f"a {info.status} booking cannot be moved", field="status")
        if start == info.start and provider in (None, *info.resources):
            return info
        want = Want(
            info.service_id,
            start,
            info.seats,
            provider,
            prefer=info.resources,
            unlimited=override,
        )
        (moved,) = await self._changing.move(
            [info], [(want, True)], self._now(), actor=actor, override=override, reason=reason
        )
        return moved

    # --- recurring ------------------------------------------------------------------------

    async def book_series(
        self,
        service_id: str,
        start: datetime,
        customer: CustomerInput,
        *,
        recurrence: Recurrence,
        provider: str | None = None,
        seats: int | None = None,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
        channel: str = "api",
        actor: Actor | None = None,
        identity: Identity | None = None,
    ) -> SeriesInfo:
        """Book every occurrence in one transaction, or none: when some cannot be booked,
        :class:`SeriesConflict` lists each with its nearest alternatives.

        Occurrences repeat the first one's local wall time; each prefers the resources
        the first one got, so a weekly client keeps their staff when possible.
        ``identity`` as in :meth:`confirm`.
        """
        customer = await _customer(customer, identity)
        check_text(channel, "channel")
        key = key_of(idempotency_key, request_fingerprint)
        if not isinstance(recurrence, Recurrence):
            raise InvalidRequest("recurrence is missing", field="recurrence")
        recurrence.check()
        first = aware(start, "start")
        seats_each = seat_count(seats)
        if key is not None and (earlier := await replay(key)):
            return await series_info(earlier)
        zone = (await load_info()).timezone
        wants: Wants = [
            (Want(service_id, moment, seats_each, provider), exists)
            for moment, exists in recurrence.starts(first, zone)
        ]
        try:
            made = await self._placing.new(
                wants,
                self._now(),
                customer=customer,
                identity=identity,
                channel=channel,
                actor=actor or Actor("customer", customer.name, channel),
                key=key,
                recurrence=recurrence,
            )
        except SlotUnavailable:
            if key is not None and (earlier := await replay(key)):
                return await series_info(earlier)  # see confirm
            raise
        return await series_info(made)

    async def series(self, manage_token: str) -> SeriesInfo:
        """The series the booking with this token belongs to; :class:`NotFound` if none."""
        return await series_of(await self.get(manage_token))

    async def cancel_series(
        self, manage_token: str, *, actor: Actor, reason: str = "", override: bool = False
    ) -> SeriesInfo:
        """Cancel every future booking of the series the token's booking belongs to, all
        or none (a policy refusal for one refuses all, naming it)."""
        check_actor(actor, override)
        now = self._now()
        todo = await future_of_series(await self.get(manage_token), now)
        if todo:
            await self._changing.cancel(todo, now, actor=actor, reason=reason, override=override)
        return await self.series(manage_token)

    async def reschedule_series(
        self,
        manage_token: str,
        new_start: datetime,
        *,
        actor: Actor,
        override: bool = False,
    ) -> SeriesInfo:
        """Move every future booking of the series by the same local wall-clock shift that
        takes the token's booking to ``new_start``; all or none, like booking a series."""
        check_actor(actor, override)
        start = aware(new_start, "new_start")
        info = await self.get(manage_token)
        todo = await future_of_series(info, self._now())
        if not todo:
            raise PolicyViolation("the series has no future bookings to move", field="start")
        zone = (await load_info()).timezone
        tz = zoneinfo.ZoneInfo(zone)
        shift = start.astimezone(tz).replace(tzinfo=None) - info.start.astimezone(tz).replace(
            tzinfo=None
        )
        if shift:
            wants: Wants = []
            for booking in todo:
                moment, exists = shift_wall(booking.start, shift, zone)
                want = Want(booking.service_id, moment, booking.seats, prefer=booking.resources)
                wants.append((want, exists))
            await self._changing.move(
                todo, wants, self._now(), actor=actor, override=override, series=True
            )
        return await self.series(manage_token)

    # --- waitlist -------------------------------------------------------------------------

    async def join_waitlist(
        self,
        service_id: str,
        wished_start: datetime,
        wished_end: datetime,
        customer: CustomerInput,
        *,
        provider: str | None = None,
        channel: str = "api",
        identity: Identity | None = None,
    ) -> WaitlistEntryInfo:
        """Put a customer on the waitlist for a service (and provider) in a window;
        ``identity`` as in :meth:`confirm`."""
        customer = await _customer(customer, identity)
        check_text(channel, "channel")
        check_names(service_id, provider)
        return await waitlist.join(
            service_id,
            wished_start,
            wished_end,
            customer,
            provider=provider,
            channel=channel,
            identity=identity,
        )

    async def leave_waitlist(self, token: str) -> None:
        """Take the entry with this token off the waitlist; :class:`NotFound` if none."""
        await waitlist.leave(token)

    async def waitlist(
        self,
        service_id: str | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        provider: str | None = None,
    ) -> list[WaitlistEntryInfo]:
        """Waitlist entries, oldest first, optionally of one service or provider, or
        wishing for time within ``[start, end)``."""
        return await waitlist.entries(service_id, start=start, end=end, provider=provider)

    # --- no-shows (core.bookings.noshow) -----------------------------------------------------

    async def mark_no_show(self, manage_token: str, *, actor: Actor) -> BookingInfo:
        """Mark a booking whose start has passed a no-show; see :mod:`core.bookings.noshow`."""
        return await noshow.mark(
            manage_token, actor=actor, now=self._now(), lock_timeout=self._lock_timeout
        )

    async def no_show_standing(
        self, service_id: str, customer: CustomerInput | None, identity: Identity | None = None
    ) -> noshow.Standing:
        """A customer's no-shows and the service's policy about them."""
        return await noshow.standing(service_id, customer, identity)

    async def check_no_shows(
        self,
        service_id: str,
        customer: CustomerInput | None,
        *,
        channel: str,
        identity: Identity | None = None,
        confirmed: bool = False,
    ) -> noshow.Standing:
        """Raise :class:`~core.errors.NoShowLimit` when the service's no-show policy refuses
        this booking (see :func:`core.bookings.noshow.enforce`); else the standing."""
        return await noshow.enforce(
            service_id, customer, channel=channel, identity=identity, confirmed=confirmed
        )

    # --- for methods added below: the collaborators' doors, under their old names ----------

    async def _rules(self, want: Want) -> Rules:
        return await self._looking.rules(want)

    async def _live_hold(self, token: str, owner: str, now: datetime) -> Hold:
        return await self._holding.live(token, owner, now)

    async def _nearest(self, want: Want, now: datetime, **kwargs: Any) -> tuple[Slot, ...]:
        return await self._nearby.nearest(want, now, **kwargs)


async def _customer(customer: CustomerInput, identity: Identity | None) -> CustomerInput:
    """The customer checked, with the phone in E.164 when it parses (so that the same number
    written two ways finds the same person), and the identity checked."""
    check_customer(customer)
    if identity is not None:
        if not isinstance(identity, Identity):
            raise InvalidRequest("identity must be a channel and an id", field="identity")
        check_text(identity.channel, "channel")
        check_text(identity.external_id, "identity.external_id", limit=255)
    return await normalized(customer)
