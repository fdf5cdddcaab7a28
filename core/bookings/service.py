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
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import zoneinfo
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import models as m
from core.availability import MARGIN, utc_midnight
from core.bookings import noshow, outbox, waitlist
from core.bookings.inputs import (
    Idempotency,
    aware,
    check_actor,
    check_customer,
    check_names,
    check_reason,
    check_text,
    key_of,
    seat_count,
)
from core.bookings.locking import LockBusy, is_exclusion_violation, write_transaction
from core.bookings.plan import (
    Failure,
    Placed,
    View,
    Want,
    adapt,
    describe,
    explain_want,
    peak,
    taken,
    window,
    with_service,
)
from core.bookings.policy import check_change
from core.bookings.recurring import Recurrence, shift_wall
from core.bookings.rows import (
    CANCELLED,
    CONFIRMED,
    customers_of,
    infos,
    insert_bookings,
    occupancy_values,
    replay,
)
from core.bookings.tokens import UNSTORED, HoldSigner
from core.bookings.types import (
    Actor,
    BookingInfo,
    CustomerInput,
    SeriesInfo,
    WaitlistEntryInfo,
)
from core.business import ServicePolicy
from core.customers import Identity, normalized
from core.engine import (
    Busy,
    Explanation,
    Slot,
    Snapshot,
    UnknownService,
    explain,
    find_slots,
    nearest,
)
from core.engine.errors import EngineError
from core.engine.slots import service_of
from core.errors import (
    ConcurrentChange,
    HoldExpired,
    HoldNotYours,
    InvalidRequest,
    NotASlot,
    NotFound,
    OccurrenceConflict,
    PolicyViolation,
    SeriesConflict,
    SlotTaken,
    SlotUnavailable,
    SlotwiseError,
)
from core.holds import Hold, HoldStore, HoldStoreUnavailable, new_hold_token
from core.store import (
    Rules,
    ServiceRules,
    complete_rules,
    load_busy,
    load_info,
    load_policy,
    load_resources,
    load_service_rules,
)
from core.text import first_control

__all__ = ["ALTERNATIVES", "MAX_ATTEMPTS", "BookingService", "ConcurrentChange", "utc_now"]

log = logging.getLogger("core.bookings")

MAX_ATTEMPTS = 3
"""Transactions tried per request; each looks again at fresh data."""
ALTERNATIVES = 4
"""Nearest slots offered with a refusal."""
_NEAR = timedelta(days=2)
"""Busy time loaded around a wished start for alternatives, before trying the whole window."""

_TOKEN_LENGTH = 64
"""What ``booking.manage_token`` and ``waitlist_entry.token`` hold."""

_Writer = Callable[[BaseDBAsyncClient, list[Placed], View], Awaitable[list[BookingInfo]]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Lost(Exception):
    """The re-check under lock found the capacity gone; ``full`` when the candidates were
    locked first and found full straight away (nobody saw them free)."""

    def __init__(self, *, full: bool = False) -> None:
        super().__init__("full" if full else "lost")
        self.full = full


@dataclass(frozen=True, slots=True)
class _Refused:
    view: View
    failures: list[Failure]


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
        self._signer = signer or HoldSigner(secrets.token_bytes(32))
        self._hold_ttl = hold_ttl
        self._lock_timeout = lock_timeout
        self._clock = clock
        self._alternatives = alternatives
        self._warned_no_store = False
        self._holds_down = False
        self._inflight: dict[tuple[Any, ...], asyncio.Future[tuple[Slot, ...]]] = {}

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
        now = self._now()
        wants = [(want, True)]
        for _ in range(MAX_ATTEMPTS):
            async with in_transaction():  # one connection for all the reads
                rules = await self._rules(want)
            held = await self._others_holds(wants, rules, now)  # no transaction open: Redis
            async with in_transaction():
                placed, view, failures = await self._plan(wants, now, rules=rules, held=held)
            if failures:
                raise await self._refusal(view, failures, now, series=False)
            (chosen,) = placed
            lo, hi = chosen.occupied
            hold = Hold(
                token=new_hold_token(),
                owner=owner,
                service_id=service_id,
                start=want.start,
                resources=chosen.resources,
                occupied_start=lo,
                occupied_end=hi,
                seats=chosen.seats,
                expires_at=now + self._hold_ttl,
            )
            if self._holds is None:
                if not self._warned_no_store:
                    self._warned_no_store = True
                    log.warning("no hold store configured: holds are off; bookings stay safe")
                return replace(hold, token=self._signer.token(hold))
            booked = tuple(b for b in view.snapshot.busy if b.ref != "hold")
            limits = {
                r: view.rules.snapshot.resources[r].capacity - peak(booked, r, lo, hi)
                for r in chosen.resources
            }
            try:
                if await self._holds.take(hold, limits, now):
                    if self._holds_down:
                        self._holds_down = False
                        log.info("hold store reachable again: holds are kept again")
                    return hold
            except HoldStoreUnavailable as exc:
                self._holds_off(exc)
                return replace(hold, token=self._signer.token(hold))
            # Someone's hold slipped in since we looked: look again with it counted.
        raise SlotTaken(taken(want.start), alternatives=await self._nearest(want, now))

    async def release(self, token: str, *, owner: str) -> None:
        """Give a hold back. :class:`HoldNotYours` for someone else's, :class:`HoldExpired`
        for one that is gone (expired, released, confirmed, or never existed)."""
        hold = await self._live_hold(token, owner, self._now())
        if token.startswith(UNSTORED) or self._holds is None:
            return
        try:
            released = await self._holds.release(token, hold.owner)
        except HoldStoreUnavailable as exc:
            self._holds_off(exc)
            return  # it expires by itself
        if not released:
            raise HoldExpired("this hold has expired or was already released", field="token")

    async def held(self, token: str, *, owner: str) -> Hold:
        """The live hold ``owner`` has under ``token``: what ``confirm`` would book.
        :class:`HoldExpired` when gone or unknown, :class:`HoldNotYours` for another's."""
        return await self._live_hold(token, owner, self._now())

    async def _live_hold(self, token: str, owner: str, now: datetime) -> Hold:
        if not isinstance(token, str) or not token or first_control(token) is not None:
            raise HoldExpired("unknown hold", field="token")
        hold: Hold | None
        if token.startswith(UNSTORED):
            # Forged, altered and someone else's tokens all fail the signature alike.
            hold = self._signer.hold(token, owner)
            if hold is not None and hold.expires_at <= now:
                hold = None
        elif self._holds is None:
            hold = None
        else:
            try:
                hold = await self._holds.get(token, now)
            except HoldStoreUnavailable as exc:
                self._holds_off(exc)
                raise HoldExpired(
                    "holds are unavailable right now; choose the slot again", field="token"
                ) from exc
        if hold is None:
            raise HoldExpired("this hold has expired or was released", field="token")
        if hold.owner != owner:
            raise HoldNotYours("this hold belongs to someone else", field="token")
        return hold

    def _holds_off(self, exc: BaseException) -> None:
        """Say once per outage that holds are off: once per request would be a line for
        every customer while the store is away. A hold stored again ends the outage."""
        if self._holds_down:
            log.debug("hold store still unavailable (%s)", exc)
            return
        self._holds_down = True
        log.warning(
            "hold store unavailable (%s): holds are off; bookings are still checked "
            "by the database",
            exc,
        )

    async def _held(
        self,
        rules: Rules,
        lo: datetime,
        hi: datetime,
        now: datetime,
        *,
        except_token: str | None = None,
        except_owner: str | None = None,
    ) -> tuple[Busy, ...]:
        """Others' live holds on the loaded resources as busy time; none when holds are off.

        Asks the hold store, maybe over the network: never call it in a transaction.
        """
        resources = list(rules.resource_ids)
        if self._holds is None or not resources:
            return ()
        try:
            holds = await self._holds.overlapping(resources, lo, hi, now)
        except HoldStoreUnavailable as exc:
            self._holds_off(exc)
            return ()
        loaded = set(resources)
        services = rules.snapshot.services
        busy: list[Busy] = []
        for h in holds:
            if h.token == except_token or h.owner == except_owner:
                continue
            service = services.get(h.service_id)
            end = h.start + timedelta(minutes=service.duration_min) if service else None
            busy.extend(
                Busy(r, h.occupied_start, h.occupied_end, h.seats, "hold", h.start, end)
                for r in h.resources
                if r in loaded
            )
        return tuple(busy)

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
            hold = await self._live_hold(token, owner, now)
            # What the hold says is checked again like any request: the resources must
            # be a choice the service allows (in ``_base``) and the seats a real count.
            want = Want(
                hold.service_id,
                aware(hold.start, "start"),
                seat_count(hold.seats),
                fixed=hold.resources,
            )
            (info,) = await self._new(
                [(want, True)],
                min(now, hold.expires_at - self._hold_ttl),
                customer=customer,
                identity=identity,
                channel=channel,
                actor=actor or Actor("customer", customer.name, channel),
                key=key,
                except_token=token,
                history={"hold": True},
            )
        except (HoldExpired, SlotUnavailable):
            # The same request, sent again while the first was committing, finds the
            # hold consumed or the slot taken: by itself. Its answer is the first's.
            if key is not None and (earlier := await replay(key)):
                return earlier[0]
            raise
        if self._holds is not None and not token.startswith(UNSTORED):
            try:
                await self._holds.release(token, owner)
            except HoldStoreUnavailable as exc:
                self._holds_off(exc)  # the hold expires by itself
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
            (info,) = await self._new(
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

    async def _new(
        self,
        wants: list[tuple[Want, bool]],
        now: datetime,
        *,
        customer: CustomerInput,
        identity: Identity | None = None,
        channel: str,
        actor: Actor,
        key: Idempotency | None,
        except_token: str | None = None,
        history: dict[str, Any] | None = None,
        recurrence: Recurrence | None = None,
    ) -> list[BookingInfo]:
        async def write(
            conn: BaseDBAsyncClient, placed: list[Placed], view: View
        ) -> list[BookingInfo]:
            return await insert_bookings(
                conn,
                view.rules,
                placed,
                customer=customer,
                identity=identity,
                channel=channel,
                actor=actor,
                key=key,
                history=history or {},
                recurrence=recurrence,
                messages=lambda info: outbox.booked(info, customer, now),
            )

        return await self._run(
            wants,
            now,
            series=recurrence is not None,
            write=write,
            key=key,
            except_token=except_token,
        )

    async def _run(
        self,
        wants: list[tuple[Want, bool]],
        now: datetime,
        *,
        series: bool,
        write: _Writer,
        key: Idempotency | None = None,
        except_token: str | None = None,
        moving: Sequence[int] = (),
    ) -> list[BookingInfo]:
        """Look, lock, re-check and write in one transaction (see the module docstring),
        again on fresh data when the re-check loses; ``moving`` are the bookings being
        moved (their own time does not count as busy)."""
        rules: Rules | None = None
        head = wants[0][0]
        looked: Rules | None = None
        for _ in range(MAX_ATTEMPTS):
            refused: _Refused | None = None
            choice = True
            held: tuple[Busy, ...] = ()
            if self._holds is not None:  # before the transaction, see the module docstring
                if looked is None:
                    looked = await self._rules_or_none(head)
                if looked is not None:
                    held = await self._others_holds(wants, looked, now, except_token=except_token)
            try:
                async with write_transaction(self._lock_timeout) as tx:
                    if key is not None and (earlier := await replay(key)):
                        return earlier
                    base = await self._base(head)
                    pools = len(base.services[head.service_id].requires)
                    # With one candidate per pool (a provider asked for, a hold's own
                    # resources) the candidates are what will be booked: lock them
                    # before reading anything, and what is read needs no re-check.
                    # Looking again after losing could only find them taken.
                    choice = base.wanted is None or len(base.wanted) > pools
                    busy: tuple[Busy, ...] | None = None
                    if not choice and base.wanted is not None:
                        await tx.lock_resources(base.business_id, base.wanted)
                        await tx.lock("booking", moving)
                        if len(wants) == 1 and wants[0][1]:
                            busy = await self._busy_if_room(base, head, moving)
                            if busy is None:  # full: one query under the lock, no more
                                raise _Lost(full=True)
                    rules = await complete_rules(base)
                    placed, view, failures = await self._plan(
                        wants, now, rules=rules, busy=busy, held=held, except_bookings=moving
                    )
                    if failures:
                        refused = _Refused(view, failures)
                    else:
                        if choice:
                            ids = [rules.resource_ids[r] for p in placed for r in p.resources]
                            await tx.lock("resource", ids)
                            await tx.lock("booking", moving)
                            await self._recheck(view, placed, now, except_bookings=moving)
                        return await write(tx.conn, placed, view)
            except LockBusy as exc:
                log.debug("%s: lock wait timed out (%s)", wants[0][0].service_id, exc)
                break
            except _Lost as lost:
                what = "full under lock" if lost.full else "lost under lock"
                log.debug("%s at %s: %s", head.service_id, head.start, what)
                if not choice:
                    break
                continue
            except IntegrityError as exc:
                if key is not None and (earlier := await replay(key)):
                    return earlier
                if not is_exclusion_violation(exc):
                    raise
                log.debug("%s: refused by the exclusion constraint", wants[0][0].service_id)
                continue
            assert refused is not None  # every other way out of the block returns or raises
            raise await self._refusal(
                refused.view,
                refused.failures,
                now,
                series=series,
                except_token=except_token,
                except_bookings=moving,
            )
        if series:
            raise SlotTaken("these times are being booked by someone else right now; try again")
        want = wants[0][0]
        alternatives = await self._nearest(
            want,
            now,
            rules=rules if want.fixed is None else None,
            except_token=except_token,
            except_bookings=moving,
        )
        raise SlotTaken(taken(want.start), alternatives=alternatives)

    async def _busy_if_room(
        self, base: ServiceRules, want: Want, moving: Sequence[int]
    ) -> tuple[Busy, ...] | None:
        """Under the lock of a request's only candidates: their busy time over the window,
        or ``None`` when the bookings alone already leave no room (capacities as read
        before the lock; the engine checks the fresh ones when there is room)."""
        service = adapt(base.services[want.service_id], want)
        lo, hi = window(service, want.start)
        ids = {r: base.members[r][0] for r in base.wanted or () if r in base.members}
        busy = await load_busy(ids, lo, hi, except_bookings=moving)
        for r in ids:
            capacity = base.members[r][1]
            # More seats than the resource has is the rules' answer, not "taken".
            if service.seats <= capacity < peak(busy, r, lo, hi) + service.seats:
                return None
        return busy

    async def _recheck(
        self,
        view: View,
        placed: Sequence[Placed],
        now: datetime,
        *,
        except_bookings: Collection[int] = (),
    ) -> None:
        """Under lock: is there still room for every placed appointment? :class:`_Lost` if not.

        First the occupancy rows overlapping the windows against the capacities (one
        query, so that losers of a race leave the lock quickly), then the engine on
        the freshly read rules of just these resources, with the holds seen before.
        """
        rules = view.rules
        slugs = {r for p in placed for r in p.resources}
        lo = min(p.occupied[0] for p in placed)
        hi = max(p.occupied[1] for p in placed)
        busy = await load_busy(
            {r: rules.resource_ids[r] for r in slugs}, lo, hi, except_bookings=except_bookings
        )
        ours: list[Busy] = []
        for p in placed:
            p_lo, p_hi = p.occupied
            for r in p.resources:
                capacity = rules.snapshot.resources[r].capacity
                if peak((*busy, *ours), r, p_lo, p_hi) + p.seats > capacity:
                    raise _Lost()
            ours.extend(p.busy("this request"))
        fresh = await load_resources(rules.business_id, slugs)
        held = tuple(h for h in view.holds if h.resource_id in slugs)
        ours = []
        for p in placed:
            fixed = replace(p.service, requires=tuple((r,) for r in p.resources))
            snapshot = Snapshot(
                timezone=rules.snapshot.timezone,
                resources=fresh,
                services={fixed.id: fixed},
                busy=(*busy, *held, *ours),
            )
            if not explain(snapshot, fixed.id, p.start, now).is_slot:
                raise _Lost()
            ours.extend(p.busy("this request"))

    # --- looking and refusing -------------------------------------------------------------

    async def _base(self, want: Want, *, every_service: bool = False) -> ServiceRules:
        """The service and the resources the request can use; an unknown service is the
        engine's error, naming the services there are."""
        base = await load_service_rules(
            [want.service_id],
            provider=None if want.fixed is not None else want.provider,
            resources=want.fixed,
            every_service=every_service,
        )
        service = base.services.get(want.service_id)
        if service is None:
            if not every_service:
                return await self._base(want, every_service=True)
            raise UnknownService(want.service_id, sorted(base.services))
        if want.fixed is not None and not _serves(want.fixed, service.requires):
            raise HoldExpired("the service changed since the hold was taken", field="token")
        return base

    async def _rules(self, want: Want) -> Rules:
        return await complete_rules(await self._base(want))

    async def _view(
        self,
        want: Want,
        now: datetime,
        lo: datetime,
        hi: datetime,
        *,
        rules: Rules | None = None,
        busy: tuple[Busy, ...] | None = None,
        held: tuple[Busy, ...] = (),
        except_bookings: Collection[int] = (),
    ) -> View:
        """The rules and the busy time of ``[lo, hi)``: bookings (unless already read, as
        ``busy``) and others' holds (``held``, read by :meth:`_held` before the
        transaction; those on other resources or outside the window are left out)."""
        if rules is None:
            rules = await self._rules(want)
        if busy is None:
            busy = await load_busy(rules.resource_ids, lo, hi, except_bookings=except_bookings)
        holds = tuple(
            h for h in held if h.resource_id in rules.resource_ids and h.start < hi and lo < h.end
        )
        service = service_of(rules.snapshot, want.service_id)
        snapshot = with_service(replace(rules.snapshot, busy=busy), adapt(service, want), holds)
        return View(rules, snapshot, holds, lo, hi)

    async def _plan(
        self,
        wants: list[tuple[Want, bool]],
        now: datetime,
        *,
        rules: Rules | None = None,
        busy: tuple[Busy, ...] | None = None,
        held: tuple[Busy, ...] = (),
        except_bookings: Collection[int] = (),
    ) -> tuple[list[Placed], View, list[Failure]]:
        """Step 1 for one or more appointments, each also checked against those before
        it; ``False`` marks a start whose local wall time does not exist. ``held``: see
        :meth:`_others_holds`."""
        head = wants[0][0]
        if rules is None:
            rules = await self._rules(head)
        service = service_of(rules.snapshot, head.service_id)
        lo, hi = _span(rules, wants)
        view = await self._view(
            head, now, lo, hi, rules=rules, busy=busy, held=held, except_bookings=except_bookings
        )
        placed: list[Placed] = []
        failures: list[Failure] = []
        ours: list[Busy] = []
        prefer = head.prefer
        for want, exists in wants:
            want = replace(want, prefer=want.prefer or prefer)
            adapted = adapt(service, want)
            snapshot = with_service(view.snapshot, adapted, ours)
            if not exists:
                failures.append(Failure(want, None, snapshot))
                continue
            explanation = explain_want(snapshot, want, now)
            if explanation.slot is None:
                failures.append(Failure(want, explanation, snapshot))
                continue
            p = Placed(adapted, want.start, explanation.slot.resources)
            placed.append(p)
            ours.extend(p.busy("series"))
            prefer = prefer or p.resources  # later occurrences keep the first one's staff
        return placed, view, failures

    async def _others_holds(
        self,
        wants: list[tuple[Want, bool]],
        rules: Rules,
        now: datetime,
        *,
        except_token: str | None = None,
    ) -> tuple[Busy, ...]:
        """Others' live holds over the window :meth:`_plan` will look at, for its
        ``held``; read with no transaction open (see the module docstring)."""
        lo, hi = _span(rules, wants)
        return await self._held(rules, lo, hi, now, except_token=except_token)

    async def _rules_or_none(self, want: Want) -> Rules | None:
        """The rules, to find others' holds before a write transaction; ``None`` when
        reading them fails, so that the transaction gives the real answer (an earlier
        booking under the same key, the unknown service named)."""
        try:
            async with in_transaction():  # one connection for all the reads
                return await self._rules(want)
        except (SlotwiseError, EngineError):
            return None

    async def _refusal(
        self,
        view: View,
        failures: list[Failure],
        now: datetime,
        *,
        series: bool,
        except_token: str | None = None,
        except_bookings: Collection[int] = (),
    ) -> SlotUnavailable:
        """``SlotTaken`` when only bookings and holds are in the way, else ``NotASlot``;
        for a series, a :class:`SeriesConflict` listing every failing date."""
        conflicts: list[OccurrenceConflict] = []
        for failure in failures:
            want = failure.want
            alternatives = await self._nearest(
                want,
                now,
                rules=view.rules if want.fixed is None else None,
                except_token=except_token,
                except_bookings=except_bookings,
                extra=failure.snapshot.busy[len(view.snapshot.busy) :],
                near=view if series else None,  # a single window is too narrow to help
            )
            why = failure.explanation
            if why is None:
                when = want.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
                message = f"{when}: that local time does not exist that day (clock change)"
                conflict = OccurrenceConflict(want.start, "not_a_slot", message, alternatives)
            elif _only_taken(why, failure.snapshot, want, now):
                conflict = OccurrenceConflict(
                    want.start, "slot_taken", taken(want.start), alternatives
                )
            else:
                conflict = OccurrenceConflict(
                    want.start, "not_a_slot", describe(want.start, why), alternatives, why
                )
            if not series:
                if conflict.code == "slot_taken" or why is None:
                    return SlotTaken(conflict.message, alternatives=alternatives)
                return NotASlot(conflict.message, why, alternatives=alternatives)
            conflicts.append(conflict)
        dates = ", ".join(c.start.astimezone(UTC).date().isoformat() for c in conflicts)
        return SeriesConflict(
            f"{len(conflicts)} of the dates cannot be booked ({dates}); nothing was booked",
            conflicts,
        )

    async def _nearest(
        self,
        want: Want,
        now: datetime,
        *,
        rules: Rules | None = None,
        except_token: str | None = None,
        except_bookings: Collection[int] = (),
        extra: Sequence[Busy] = (),
        near: View | None = None,
    ) -> tuple[Slot, ...]:
        """The alternatives to offer with a refusal (see :meth:`_nearest_now`).

        When many requests for the same start lose at once (a hot slot), they would
        all work out the same answer: identical plain requests within the same second
        share one computation, made as of the end of that second (so that no start
        offered is too soon for any of them).
        """
        # Never called inside a transaction: the shared task may outlive its caller's.
        if except_token is not None or except_bookings or extra or near is not None:
            return await self._nearest_now(
                want,
                now,
                rules=rules,
                except_token=except_token,
                except_bookings=except_bookings,
                extra=extra,
                near=near,
            )
        second = now.replace(microsecond=0) + (
            timedelta(seconds=1) if now.microsecond else timedelta()
        )
        key = (want.service_id, want.provider, want.start, want.seats, second)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._nearest_now(want, second, rules=rules))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _nearest_now(
        self,
        want: Want,
        now: datetime,
        *,
        rules: Rules | None = None,
        except_token: str | None = None,
        except_bookings: Collection[int] = (),
        extra: Sequence[Busy] = (),
        near: View | None = None,
    ) -> tuple[Slot, ...]:
        """The engine's nearest slots to the wished start, holds counted as busy.

        ``nearest`` widens its search until it has enough, possibly over the whole
        booking window, but a busy day usually has them close by: so first the busy
        time already loaded (``near``), then two days around the start, and only when
        a slot found lies outside what was loaded, the whole window.
        """
        want = replace(want, fixed=None)
        if rules is None:
            async with in_transaction():  # one connection for all the reads
                rules = await self._rules(want)
        service = service_of(rules.snapshot, want.service_id)
        before = timedelta(minutes=service.buffer_before_min)
        after = timedelta(minutes=service.duration_min + service.buffer_after_min)
        whole = (now - MARGIN, now + timedelta(days=service.max_advance_days) + MARGIN)
        # Once, for every window below, and before the transaction (module docstring).
        held = await self._held(rules, *whole, now, except_token=except_token)
        async with in_transaction():  # one connection for all the reads
            tries: list[View | tuple[datetime, datetime]] = [
                *([near] if near is not None else []),
                (want.start - _NEAR, want.start + _NEAR),
                whole,  # every window the engine can look at: always right
            ]
            found: list[Slot] = []
            for item in tries:
                if isinstance(item, View):
                    view = item
                else:
                    view = await self._view(
                        want,
                        now,
                        *item,
                        rules=rules,
                        held=held,
                        except_bookings=except_bookings,
                    )
                snapshot = with_service(view.snapshot, adapt(service, want), extra)
                found = nearest(
                    snapshot, want.service_id, want.start, now, self._alternatives, want.provider
                )
                if item is whole or all(
                    view.lo <= s.start - before and s.start + after <= view.hi for s in found
                ):
                    break
        return tuple(found)

    # --- reading --------------------------------------------------------------------------

    async def get(self, manage_token: str) -> BookingInfo:
        """The booking with this manage token; :class:`NotFound` when there is none."""
        # A token that cannot be one of ours (the column holds 64) is simply not found.
        found = (
            await infos(m.Booking.filter(manage_token=manage_token))
            if isinstance(manage_token, str)
            and 0 < len(manage_token) <= _TOKEN_LENGTH
            and first_control(manage_token) is None
            else []
        )
        if not found:
            raise NotFound("no booking with this token", field="manage_token")
        return found[0]

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
        now = self._now()
        snapshot = await self.snapshot(service_id, first, last, provider, seats=seats, owner=owner)
        return find_slots(snapshot, service_id, first, last, now, provider)

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
        want = Want(service_id, utc_midnight(first), seat_count(seats), provider)
        now = self._now()
        lo, hi = utc_midnight(first) - MARGIN, utc_midnight(last) + MARGIN
        async with in_transaction():  # one connection for all the reads
            rules = await self._rules(want)
        held = await self._held(rules, lo, hi, now, except_owner=owner)  # no transaction open
        async with in_transaction():
            view = await self._view(want, now, lo, hi, rules=rules, held=held)
        return view.snapshot

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
        (done,) = await self._cancel_many([info], actor=actor, reason=reason, override=override)
        return done

    async def _cancel_many(
        self, bookings: list[BookingInfo], *, actor: Actor, reason: str, override: bool
    ) -> list[BookingInfo]:
        """Cancel these bookings in one transaction, all or none (a policy refusal for
        one refuses all)."""
        now = self._now()
        policy, zone = await self._policy(bookings[0].service_id)
        for info in bookings:
            _check(policy, "cancel", info, now, zone, override)
        ids = [i.id for i in bookings]
        try:
            async with write_transaction(self._lock_timeout) as tx:
                conn = tx.conn
                await tx.lock("booking", ids)
                current = await infos(m.Booking.filter(id__in=ids))
                todo = [i for i in current if i.status == CONFIRMED]
                for info in todo:  # it may have moved meanwhile
                    _check(policy, "cancel", info, now, zone, override)
                done = [i.id for i in todo]
                if todo:
                    await (
                        m.Booking.filter(id__in=done)
                        .using_db(conn)
                        .update(status=m.BookingStatus.CANCELLED, updated_at=utc_now())
                    )
                    await (
                        m.BookingResource.filter(booking_id__in=done)
                        .using_db(conn)
                        .update(active=False)
                    )
                    await m.BookingHistory.bulk_create(
                        [
                            m.BookingHistory(
                                booking_id=i.id,
                                actor=actor.label,
                                channel=actor.channel,
                                action="cancelled",
                                data={
                                    "reason": reason,
                                    "override": override,
                                    "start": i.start.isoformat(),
                                },
                            )
                            for i in todo
                        ],
                        using_db=conn,
                    )
                    await outbox.drop_reminders(conn, done)
                    customers = await customers_of(todo)
                    await outbox.write(
                        conn,
                        [
                            msg
                            for i in todo
                            for msg in outbox.cancelled(
                                replace(i, status=CANCELLED),
                                customers.get(i.id),
                                now,
                                reason=reason,
                                actor=actor.label,
                            )
                        ],
                    )
        except LockBusy as exc:
            raise ConcurrentChange(
                "the booking is being changed right now; try again", field="manage_token"
            ) from exc
        return [replace(i, status=CANCELLED) if i.id in done else i for i in current]

    async def reschedule(
        self,
        manage_token: str,
        new_start: datetime,
        *,
        actor: Actor,
        override: bool = False,
        provider: str | None = None,
    ) -> BookingInfo:
        """Move a booking, keeping its resources when they are free at the new time.

        The new time is checked under lock like a booking, and taken in the same
        transaction that lets the old one go: a move that fails leaves the booking
        exactly as it was.
        """
        check_actor(actor, override)
        start = aware(new_start, "new_start")
        info = await self.get(manage_token)
        if info.status != CONFIRMED:
            raise PolicyViolation(f"a {info.status} booking cannot be moved", field="status")
        if start == info.start and provider in (None, *info.resources):
            return info
        want = Want(info.service_id, start, info.seats, provider, prefer=info.resources)
        (moved,) = await self._move([info], [(want, True)], actor=actor, override=override)
        return moved

    async def _move(
        self,
        bookings: list[BookingInfo],
        wants: list[tuple[Want, bool]],
        *,
        actor: Actor,
        override: bool,
        series: bool = False,
    ) -> list[BookingInfo]:
        """Move each booking to its want, all or none."""
        now = self._now()
        policy, zone = await self._policy(bookings[0].service_id)
        for info in bookings:
            _check(policy, "reschedule", info, now, zone, override)
        ids = [i.id for i in bookings]

        async def write(
            conn: BaseDBAsyncClient, placed: list[Placed], view: View
        ) -> list[BookingInfo]:
            current = {i.id: i for i in await infos(m.Booking.filter(id__in=ids))}
            for info in bookings:  # cancelled or moved meanwhile?
                if current[info.id].status != CONFIRMED:
                    raise PolicyViolation(
                        "the booking was cancelled in the meantime", field="status"
                    )
                _check(policy, "reschedule", current[info.id], now, zone, override)
            # Let every old time go first, so that moving one booking of a series into
            # another's old time never meets that old row.
            await m.BookingResource.filter(booking_id__in=ids).using_db(conn).update(active=False)
            customers = await customers_of(bookings)
            moved: list[BookingInfo] = []
            messages: list[outbox.Message] = []
            for info, p in zip(bookings, placed, strict=True):
                before = current[info.id]
                after = replace(
                    before,
                    start=p.start,
                    end=p.end,
                    resources=p.resources,
                    reschedule_count=before.reschedule_count + 1,
                )
                await (
                    m.Booking.filter(id=info.id)
                    .using_db(conn)
                    .update(
                        start=after.start,
                        end=after.end,
                        reschedule_count=after.reschedule_count,
                        updated_at=utc_now(),
                    )
                )
                for k, r in enumerate(p.resources):
                    values = occupancy_values(info.id, k, view.rules, p, r)
                    await (
                        m.BookingResource.filter(booking_id=info.id, position=k)
                        .using_db(conn)
                        .update(
                            resource_id=values[1],
                            occupied_start=values[3],
                            occupied_end=values[4],
                            appointment_start=values[5],
                            appointment_end=values[6],
                            seats=values[7],
                            active=True,
                            exclusive=values[9],
                        )
                    )
                await m.BookingHistory.create(
                    booking_id=info.id,
                    actor=actor.label,
                    channel=actor.channel,
                    action="rescheduled",
                    data={
                        "from": before.start.isoformat(),
                        "to": after.start.isoformat(),
                        "resources_from": list(before.resources),
                        "resources_to": list(after.resources),
                        "override": override,
                    },
                    using_db=conn,
                )
                messages.extend(
                    outbox.rescheduled(
                        after,
                        customers.get(info.id),
                        now,
                        previous_start=before.start,
                        actor=actor.label,
                    )
                )
                moved.append(after)
            await outbox.drop_reminders(conn, ids)
            await outbox.write(conn, messages)
            return moved

        return await self._run(wants, now, series=series, write=write, moving=ids)

    async def _policy(self, service_id: str) -> tuple[ServicePolicy, str]:
        info = await load_info()
        return await load_policy(service_id), info.timezone

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
            return await self._series_info(earlier)
        zone = (await load_info()).timezone
        wants = [
            (Want(service_id, moment, seats_each, provider), exists)
            for moment, exists in recurrence.starts(first, zone)
        ]
        try:
            made = await self._new(
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
                return await self._series_info(earlier)  # see confirm
            raise
        return await self._series_info(made)

    async def series(self, manage_token: str) -> SeriesInfo:
        """The series the booking with this token belongs to; :class:`NotFound` if none."""
        info = await self.get(manage_token)
        if info.series_id is None:
            raise NotFound("this booking is not part of a series", field="manage_token")
        return await self._series_info(await infos(m.Booking.filter(series_id=info.series_id)))

    async def _series_info(self, bookings: list[BookingInfo]) -> SeriesInfo:
        series_id = bookings[0].series_id
        if series_id is None:
            raise NotFound("this booking is not part of a series", field="idempotency_key")
        row = await m.BookingSeries.get(id=series_id)
        return SeriesInfo(
            id=series_id,
            service_id=bookings[0].service_id,
            frequency=row.frequency,
            interval_days=row.interval_days,
            count=row.count,
            bookings=tuple(sorted(bookings, key=lambda i: (i.start, i.id))),
        )

    async def _future_of_series(self, manage_token: str) -> list[BookingInfo]:
        info = await self.get(manage_token)
        if info.series_id is None:
            raise InvalidRequest("this booking is not part of a series", field="manage_token")
        now = self._now()
        return [
            i
            for i in await infos(m.Booking.filter(series_id=info.series_id))
            if i.status == CONFIRMED and i.start > now
        ]

    async def cancel_series(
        self, manage_token: str, *, actor: Actor, reason: str = "", override: bool = False
    ) -> SeriesInfo:
        """Cancel every future booking of the series the token's booking belongs to, all
        or none (a policy refusal for one refuses all, naming it)."""
        check_actor(actor, override)
        todo = await self._future_of_series(manage_token)
        if todo:
            await self._cancel_many(todo, actor=actor, reason=reason, override=override)
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
        todo = await self._future_of_series(manage_token)
        if not todo:
            raise PolicyViolation("the series has no future bookings to move", field="start")
        zone = (await load_info()).timezone
        tz = zoneinfo.ZoneInfo(zone)
        shift = start.astimezone(tz).replace(tzinfo=None) - info.start.astimezone(tz).replace(
            tzinfo=None
        )
        if shift:
            wants: list[tuple[Want, bool]] = []
            for booking in todo:
                moment, exists = shift_wall(booking.start, shift, zone)
                want = Want(booking.service_id, moment, booking.seats, prefer=booking.resources)
                wants.append((want, exists))
            await self._move(todo, wants, actor=actor, override=override, series=True)
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


_CAPACITY = frozenset({"busy", "full"})


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


def _span(rules: Rules, wants: list[tuple[Want, bool]]) -> tuple[datetime, datetime]:
    """The window the appointments occupy together, buffers included."""
    service = service_of(rules.snapshot, wants[0][0].service_id)
    return (
        min(window(service, w.start)[0] for w, _ in wants),
        max(window(service, w.start)[1] for w, _ in wants),
    )


def _only_taken(explanation: Explanation, snapshot: Snapshot, want: Want, now: datetime) -> bool:
    """Whether only bookings and holds keep the start from being a slot.

    The reasons usually say so by themselves; when they mix capacity with other
    reasons, the engine is asked again with nothing booked.
    """
    codes = {reason.code for reason in explanation.reasons}
    if codes <= _CAPACITY:
        return True
    if not codes & _CAPACITY:
        return False
    return explain_want(replace(snapshot, busy=()), want, now).is_slot


def _check(
    policy: ServicePolicy,
    change: str,
    info: BookingInfo,
    now: datetime,
    zone: str,
    override: bool,
) -> None:
    if override:
        return
    check_change(
        policy,
        "cancel" if change == "cancel" else "reschedule",
        start=info.start,
        now=now,
        zone=zone,
        reschedule_count=info.reschedule_count,
    )


def _serves(resources: Sequence[str], requires: Sequence[Sequence[str]]) -> bool:
    """Whether ``resources`` are one distinct member of each pool, in the pools' order
    (as the engine chooses them): the only resources a booking of the service may take."""
    return (
        len(resources) == len(requires)
        and len(set(resources)) == len(resources)
        and all(r in pool for r, pool in zip(resources, requires, strict=True))
    )
