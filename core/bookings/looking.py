"""Looking for room: the rules a request can use, its busy time, and the engine's answer.

Step 1 of every hold, booking and move (see :mod:`core.bookings.service`), and
what the offer of free slots hands the engine. Only reads: the rules of just the
resources a request can use, the busy time of exactly the window it needs, and
others' live holds, read by :class:`~core.bookings.leases.Leases` with no
transaction open and handed in as ``held``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime

from tortoise.transactions import in_transaction

from core.availability import MARGIN, utc_midnight
from core.bookings.ignoring import NOTHING, Ignoring
from core.bookings.inputs import seat_count
from core.bookings.leases import Leases
from core.bookings.plan import (
    Failure,
    Placed,
    View,
    Want,
    adapt,
    explain_want,
    window,
    with_service,
)
from core.engine import Busy, Slot, Snapshot, Taken, UnknownService, find_slots
from core.engine.errors import EngineError
from core.engine.slots import service_of
from core.errors import HoldExpired, SlotwiseError
from core.store import (
    Rules,
    ServiceRules,
    complete_rules,
    load_busy,
    load_service_rules,
    load_taken,
)

__all__ = ["Looked", "Looking", "Wants", "rules_kept", "span"]

Wants = list[tuple[Want, bool]]
"""The appointments of a request; ``False`` marks a start whose local wall time does not exist."""


_KEPT: ContextVar[dict[tuple[str, str | None], Rules] | None] = ContextVar(
    "kept_rules", default=None
)


@contextmanager
def rules_kept() -> Iterator[None]:
    """Within the block (one chat turn), the rules a slot offer reads are read once per
    service and provider and reused: a turn asks for slots, then for those nearby, then
    why a time is not free, all of the same rules, as they were when it began. Busy time
    and live holds are read afresh every time, so a slot just booked is never offered;
    holds and bookings never use kept rules (they read them, and re-check under lock)."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


@dataclass(frozen=True, slots=True)
class Looked:
    """Rules read before a write transaction (to ask for others' holds), handed in to it."""

    base: ServiceRules
    rules: Rules


class Looking:
    """Reads rules and busy time, and asks the engine; writes nothing."""

    def __init__(self, leases: Leases) -> None:
        self._leases = leases

    async def base(self, want: Want, *, every_service: bool = False) -> ServiceRules:
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
                return await self.base(want, every_service=True)
            raise UnknownService(want.service_id, sorted(base.services))
        if want.fixed is not None and not serves(want.fixed, service.requires):
            raise HoldExpired("the service changed since the hold was taken", field="token")
        return base

    async def rules(self, want: Want) -> Rules:
        return await complete_rules(await self.base(want))

    async def read_rules(self, want: Want) -> Rules:
        """:meth:`rules` in a transaction of its own (one connection for all the reads)."""
        async with in_transaction():
            return await self.rules(want)

    async def looked(self, want: Want) -> Looked | None:
        """The rules, to find others' holds before a write transaction; ``None`` when
        reading them fails, so that the transaction gives the real answer (an earlier
        booking under the same key, the unknown service named)."""
        try:
            async with in_transaction():
                base = await self.base(want)
                return Looked(base, await complete_rules(base))
        except (SlotwiseError, EngineError):
            return None

    async def others_holds(
        self, wants: Wants, rules: Rules, now: datetime, ignoring: Ignoring = NOTHING
    ) -> tuple[Busy, ...]:
        """Others' live holds over the window :meth:`plan` will look at, for its ``held``;
        read with no transaction open."""
        lo, hi = span(rules, wants)
        return await self._leases.busy(rules, lo, hi, now, ignoring)

    async def view(
        self,
        want: Want,
        now: datetime,
        lo: datetime,
        hi: datetime,
        *,
        rules: Rules | None = None,
        busy: tuple[Busy, ...] | None = None,
        held: tuple[Busy, ...] = (),
        ignoring: Ignoring = NOTHING,
        seconds: bool = False,
    ) -> View:
        """The rules and the busy time of ``[lo, hi)``: bookings (unless already read, as
        ``busy``) and others' holds (``held``; those on other resources or outside the
        window are left out). ``seconds``: the bookings as bare integers
        (:attr:`~core.engine.Snapshot.taken`), enough to find slots, not to name them."""
        if rules is None:
            rules = await self.rules(want)
        taken: dict[str, list[Taken]] = {}
        if busy is None and seconds:
            busy = ()
            taken = await load_taken(rules.resource_ids, lo, hi, except_bookings=ignoring.bookings)
        elif busy is None:
            busy = await load_busy(rules.resource_ids, lo, hi, except_bookings=ignoring.bookings)
        holds = tuple(
            h for h in held if h.resource_id in rules.resource_ids and h.start < hi and lo < h.end
        )
        service = service_of(rules.snapshot, want.service_id)
        snapshot = with_service(
            replace(rules.snapshot, busy=busy, taken=taken), adapt(service, want), holds
        )
        return View(rules, snapshot, holds, lo, hi)

    async def plan(
        self,
        wants: Wants,
        now: datetime,
        *,
        rules: Rules | None = None,
        busy: tuple[Busy, ...] | None = None,
        held: tuple[Busy, ...] = (),
        ignoring: Ignoring = NOTHING,
    ) -> tuple[list[Placed], View, list[Failure]]:
        """Step 1 for one or more appointments, each also checked against those before it."""
        head = wants[0][0]
        if rules is None:
            rules = await self.rules(head)
        service = service_of(rules.snapshot, head.service_id)
        lo, hi = span(rules, wants)
        view = await self.view(
            head, now, lo, hi, rules=rules, busy=busy, held=held, ignoring=ignoring
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

    async def snapshot(
        self,
        service_id: str,
        first: date,
        last: date,
        provider: str | None,
        now: datetime,
        *,
        seats: int | None = None,
        owner: str | None = None,
        seconds: bool = False,
    ) -> Snapshot:
        """The rules and the busy time of the local dates ``first..last``, live holds
        counted (except ``owner``'s); ``seconds``: the bookings as bare integers
        (:meth:`view`)."""
        want = Want(service_id, utc_midnight(first), seat_count(seats), provider)
        lo, hi = utc_midnight(first) - MARGIN, utc_midnight(last) + MARGIN
        kept = _KEPT.get()
        rules = None if kept is None else kept.get((service_id, provider))
        if self._leases.store is None:  # nothing to ask in between: all in one go
            async with in_transaction():
                view = await self.view(want, now, lo, hi, rules=rules, seconds=seconds)
            if kept is not None:
                kept[service_id, provider] = view.rules
            return view.snapshot
        if rules is None:
            rules = await self.read_rules(want)
            if kept is not None:
                kept[service_id, provider] = rules
        held = await self._leases.busy(rules, lo, hi, now, Ignoring(owner=owner))  # no tx open
        view = await self.view(
            want, now, lo, hi, rules=rules, held=held, seconds=seconds
        )  # one query
        return view.snapshot

    async def offer(
        self,
        service_id: str,
        first: date,
        last: date,
        provider: str | None,
        now: datetime,
        *,
        seats: int | None = None,
        owner: str | None = None,
    ) -> list[Slot]:
        snapshot = await self.snapshot(
            service_id, first, last, provider, now, seats=seats, owner=owner, seconds=True
        )
        return find_slots(snapshot, service_id, first, last, now, provider)


def span(rules: Rules, wants: Wants) -> tuple[datetime, datetime]:
    """The window the appointments occupy together, buffers included."""
    service = service_of(rules.snapshot, wants[0][0].service_id)
    return (
        min(window(service, w.start)[0] for w, _ in wants),
        max(window(service, w.start)[1] for w, _ in wants),
    )


def serves(resources: Sequence[str], requires: Sequence[Sequence[str]]) -> bool:
    """Whether ``resources`` are one distinct member of each pool, in the pools' order
    (as the engine chooses them): the only resources a booking of the service may take."""
    return (
        len(resources) == len(requires)
        and len(set(resources)) == len(resources)
        and all(r in pool for r, pool in zip(resources, requires, strict=True))
    )
