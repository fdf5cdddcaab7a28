"""What to offer with a refusal: the nearest free slots, and the refusal itself.

Never called inside a transaction: it asks the hold store, and the computation
shared by the losers of a hot slot may outlive the request that started it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core.availability import MARGIN
from core.bookings.ignoring import NOTHING, Ignoring
from core.bookings.leases import Leases
from core.bookings.looking import Looking
from core.bookings.plan import (
    Failure,
    View,
    Want,
    adapt,
    describe,
    explain_want,
    taken,
    with_service,
)
from core.engine import Busy, Explanation, Slot, Snapshot, nearest
from core.engine.slots import service_of
from core.errors import (
    NotASlot,
    OccurrenceConflict,
    SeriesConflict,
    SlotTaken,
    SlotUnavailable,
)
from core.store import Rules

__all__ = ["Alternatives"]

_NEAR = timedelta(days=2)
"""Busy time loaded around a wished start for alternatives, before trying the whole window."""
_CAPACITY = frozenset({"busy", "full"})


class Alternatives:
    """The ``count`` nearest slots to a wished start, holds counted, and the refusals."""

    def __init__(self, looking: Looking, leases: Leases, count: int) -> None:
        self._looking = looking
        self._leases = leases
        self._count = count
        self._inflight: dict[tuple[Any, ...], asyncio.Future[tuple[Slot, ...]]] = {}

    async def refusal(
        self,
        view: View,
        failures: list[Failure],
        now: datetime,
        *,
        series: bool,
        ignoring: Ignoring = NOTHING,
    ) -> SlotUnavailable:
        """``SlotTaken`` when only bookings and holds are in the way, else ``NotASlot``;
        for a series, a :class:`SeriesConflict` listing every failing date."""
        conflicts: list[OccurrenceConflict] = []
        for failure in failures:
            want = failure.want
            alternatives = await self.nearest(
                want,
                now,
                rules=view.rules if want.fixed is None else None,
                ignoring=ignoring,
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

    async def nearest(
        self,
        want: Want,
        now: datetime,
        *,
        rules: Rules | None = None,
        ignoring: Ignoring = NOTHING,
        extra: Sequence[Busy] = (),
        near: View | None = None,
    ) -> tuple[Slot, ...]:
        """The alternatives to offer with a refusal (see :meth:`_nearest_now`).

        When many requests for the same start lose at once (a hot slot), they would
        all work out the same answer: identical plain requests within the same second
        share one computation, made as of the end of that second (so that no start
        offered is too soon for any of them).
        """
        if not ignoring.nothing or extra or near is not None:
            return await self._nearest_now(
                want, now, rules=rules, ignoring=ignoring, extra=extra, near=near
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
        ignoring: Ignoring = NOTHING,
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
            rules = await self._looking.read_rules(want)
        service = adapt(service_of(rules.snapshot, want.service_id), want)  # an override's window
        before = timedelta(minutes=service.buffer_before_min)
        after = timedelta(minutes=service.duration_min + service.buffer_after_min)
        whole = (now - MARGIN, now + timedelta(days=service.max_advance_days) + MARGIN)
        # Once, for every window below, and before the transaction.
        held = await self._leases.busy(rules, *whole, now, ignoring)
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
                    view = await self._looking.view(
                        want, now, *item, rules=rules, held=held, ignoring=ignoring
                    )
                snapshot = with_service(view.snapshot, adapt(service, want), extra)
                found = nearest(
                    snapshot, want.service_id, want.start, now, self._count, want.provider
                )
                if item is whole or all(
                    view.lo <= s.start - before and s.start + after <= view.hi for s in found
                ):
                    break
        return tuple(found)


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
