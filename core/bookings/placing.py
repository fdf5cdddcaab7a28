"""Placing appointments: look, lock, re-check and write, in one transaction.

The four steps of :mod:`core.bookings.service`'s docstring live here, for new
bookings, series and moves alike; what is written is the caller's ``write``
(new rows through :mod:`core.bookings.rows`, a move's updates in
:mod:`core.bookings.changing`). Losing the re-check starts again on fresh
data, a few times, then answers :class:`~core.errors.SlotTaken` with alternatives
computed after the transaction, so that no lock is held meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from core.bookings import outbox
from core.bookings.alternatives import Alternatives
from core.bookings.holding import MAX_ATTEMPTS
from core.bookings.ignoring import NOTHING, Ignoring
from core.bookings.inputs import Idempotency
from core.bookings.leases import Leases
from core.bookings.locking import LockBusy, is_exclusion_violation, write_transaction
from core.bookings.looking import Looked, Looking, Wants
from core.bookings.plan import Failure, Placed, View, Want, adapt, peak, taken, window
from core.bookings.recurring import Recurrence
from core.bookings.rows import insert_bookings, replay
from core.bookings.types import Actor, BookingInfo, CustomerInput
from core.customers import Identity
from core.engine import Busy, Snapshot, explain
from core.errors import SlotTaken
from core.store import Rules, ServiceRules, load_fresh

__all__ = ["Placing", "Writer"]

log = logging.getLogger("core.bookings")

Writer = Callable[[BaseDBAsyncClient, list[Placed], View], Awaitable[list[BookingInfo]]]
"""Writes what was placed, in the transaction that checked it."""


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


class Placing:
    """Books and moves under lock; the only path by which a booking takes time."""

    def __init__(
        self,
        looking: Looking,
        alternatives: Alternatives,
        leases: Leases,
        lock_timeout: timedelta,
    ) -> None:
        self._looking = looking
        self._alternatives = alternatives
        self._leases = leases
        self._lock_timeout = lock_timeout

    async def new(
        self,
        wants: Wants,
        now: datetime,
        *,
        customer: CustomerInput,
        identity: Identity | None = None,
        channel: str,
        actor: Actor,
        key: Idempotency | None,
        ignoring: Ignoring = NOTHING,
        history: dict[str, Any] | None = None,
        recurrence: Recurrence | None = None,
    ) -> list[BookingInfo]:
        """New bookings (one, or a series' all or none), written by the one row writer."""

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

        return await self.run(
            wants, now, series=recurrence is not None, write=write, key=key, ignoring=ignoring
        )

    async def run(
        self,
        wants: Wants,
        now: datetime,
        *,
        series: bool,
        write: Writer,
        key: Idempotency | None = None,
        ignoring: Ignoring = NOTHING,
    ) -> list[BookingInfo]:
        """Look, lock, re-check and write in one transaction, again on fresh data when the
        re-check loses; ``ignoring.bookings`` are the bookings being moved."""
        rules: Rules | None = None
        head = wants[0][0]
        moving = ignoring.bookings
        looked: Looked | None = None
        for attempt in range(MAX_ATTEMPTS):
            refused: _Refused | None = None
            choice = True
            held: tuple[Busy, ...] = ()
            if self._leases.store is not None:  # before the transaction: Redis
                if looked is None or attempt:
                    looked = await self._looking.looked(head)
                if looked is not None:
                    held = await self._looking.others_holds(wants, looked.rules, now, ignoring)
            try:
                async with write_transaction(self._lock_timeout, deferred=True) as tx:
                    # The caller looked for an earlier booking under the key just before;
                    # one racing in between fails the key's unique index (below).
                    if key is not None and attempt and (earlier := await replay(key)):
                        return earlier
                    # The rules read for the holds, handed in: read again they would say
                    # the same (they too were read before any lock is taken).
                    base = looked.base if looked is not None else await self._looking.base(head)
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
                        # Under the lock, as they are now: the rules and the busy time of
                        # the window, in one query; when the bookings alone leave no room,
                        # no more (the losers of a race leave the lock at once).
                        single = len(wants) == 1 and wants[0][1]
                        fresh, busy = await _fresh(
                            base, wants, moving, partial(_full, base, head) if single else None
                        )
                        if fresh is None:
                            raise _Lost(full=True)
                        rules = fresh
                    elif looked is not None:
                        rules = looked.rules  # re-read under the lock by the re-check
                    else:  # re-read under the lock by the re-check
                        fresh, busy = await _fresh(base, wants, moving)
                        assert fresh is not None  # nothing to stop at
                        rules = fresh
                    placed, view, failures = await self._looking.plan(
                        wants, now, rules=rules, busy=busy, held=held, ignoring=ignoring
                    )
                    if failures:
                        refused = _Refused(view, failures)
                    else:
                        if choice:
                            ids = [rules.resource_ids[r] for p in placed for r in p.resources]
                            await tx.lock("resource", ids)
                            await tx.lock("booking", moving)
                            await _recheck(base, view, placed, now, moving)
                        await tx.begin()
                        return await write(tx.conn, placed, view)
            except LockBusy as exc:
                log.debug("%s: lock wait timed out (%s)", head.service_id, exc)
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
                log.debug("%s: refused by the exclusion constraint", head.service_id)
                continue
            assert refused is not None  # every other way out of the block returns or raises
            raise await self._alternatives.refusal(
                refused.view, refused.failures, now, series=series, ignoring=ignoring
            )
        if series:
            raise SlotTaken("these times are being booked by someone else right now; try again")
        alternatives = await self._alternatives.nearest(
            head, now, rules=rules if head.fixed is None else None, ignoring=ignoring
        )
        raise SlotTaken(taken(head.start), alternatives=alternatives)


async def _fresh(
    base: ServiceRules,
    wants: Wants,
    moving: Sequence[int],
    stop: Callable[[tuple[Busy, ...]], bool] | None = None,
) -> tuple[Rules | None, tuple[Busy, ...]]:
    """The rules of the resources the request can use and their busy time over the window
    of its appointments (:func:`~core.store.load_fresh`: one query on PostgreSQL; no rules
    when ``stop`` says so of the busy time)."""
    service = base.services[wants[0][0].service_id]
    lo = min(window(service, want.start)[0] for want, _ in wants)
    hi = max(window(service, want.start)[1] for want, _ in wants)
    slugs = base.members if base.wanted is None else base.wanted
    return await load_fresh(base, slugs, lo, hi, except_bookings=moving, stop=stop)


def _full(base: ServiceRules, want: Want, busy: Sequence[Busy]) -> bool:
    """Whether the bookings alone leave no room on a request's only candidates (capacities
    as read before the lock; the engine checks the fresh ones when there is room)."""
    service = adapt(base.services[want.service_id], want)
    lo, hi = window(service, want.start)
    for r in base.wanted or ():
        if r not in base.members:
            continue
        capacity = base.members[r][1]
        # More seats than the resource has is the rules' answer, not "taken".
        if service.seats <= capacity < peak(busy, r, lo, hi) + service.seats:
            return True
    return False


async def _recheck(
    base: ServiceRules,
    view: View,
    placed: Sequence[Placed],
    now: datetime,
    moving: Sequence[int],
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
    fresh, busy = await load_fresh(base, slugs, lo, hi, except_bookings=moving)
    assert fresh is not None  # nothing to stop at
    ours: list[Busy] = []
    for p in placed:
        p_lo, p_hi = p.occupied
        for r in p.resources:
            capacity = rules.snapshot.resources[r].capacity
            if peak((*busy, *ours), r, p_lo, p_hi) + p.seats > capacity:
                raise _Lost()
        ours.extend(p.busy("this request"))
    held = tuple(h for h in view.holds if h.resource_id in slugs)
    ours = []
    for p in placed:
        fixed = replace(p.service, requires=tuple((r,) for r in p.resources))
        snapshot = Snapshot(
            timezone=rules.snapshot.timezone,
            resources=dict(fresh.snapshot.resources),
            services={fixed.id: fixed},
            busy=(*busy, *held, *ours),
        )
        if not explain(snapshot, fixed.id, p.start, now).is_slot:
            raise _Lost()
        ours.extend(p.busy("this request"))
