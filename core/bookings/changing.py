"""Changing bookings: cancel and move, one booking or a whole series, all or none.

A cancellation locks the bookings and writes their new state; a move is placed
like a new booking (:class:`~core.bookings.placing.Placing`, its own old time not
counted as busy) and takes the new time in the same transaction that lets the old
one go. The rows are written by :mod:`core.bookings.rows`; the policy (notice,
how many moves) applies unless an admin overrides it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from core import models as m
from core.bookings import outbox
from core.bookings.ignoring import Ignoring
from core.bookings.locking import LockBusy, write_transaction
from core.bookings.looking import Wants
from core.bookings.placing import Placing
from core.bookings.plan import Placed, View
from core.bookings.policy import check_change
from core.bookings.rows import (
    CANCELLED,
    CONFIRMED,
    customers_of,
    infos,
    write_cancellations,
    write_moves,
)
from core.bookings.types import Actor, BookingInfo
from core.business import ServicePolicy
from core.errors import ConcurrentChange, PolicyViolation
from core.store import load_info, load_policy

__all__ = ["Changing"]


class Changing:
    """Cancels and moves bookings."""

    def __init__(self, placing: Placing, lock_timeout: timedelta) -> None:
        self._placing = placing
        self._lock_timeout = lock_timeout

    async def cancel(
        self,
        bookings: list[BookingInfo],
        now: datetime,
        *,
        actor: Actor,
        reason: str,
        override: bool,
    ) -> list[BookingInfo]:
        """Cancel these bookings in one transaction, all or none (a policy refusal for
        one refuses all)."""
        policy, zone = await self.policy(bookings[0].service_id)
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
                    await write_cancellations(
                        conn, todo, actor=actor, reason=reason, override=override
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

    async def move(
        self,
        bookings: list[BookingInfo],
        wants: Wants,
        now: datetime,
        *,
        actor: Actor,
        override: bool,
        series: bool = False,
        reason: str = "",
    ) -> list[BookingInfo]:
        """Move each booking to its want, all or none; ``reason`` goes into the history."""
        policy, zone = await self.policy(bookings[0].service_id)
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
            customers = await customers_of(bookings)
            befores = [current[info.id] for info in bookings]
            moved = await write_moves(
                conn, view.rules, befores, placed, actor=actor, override=override, reason=reason
            )
            messages: list[outbox.Message] = []
            for before, after in zip(befores, moved, strict=True):
                messages.extend(
                    outbox.rescheduled(
                        after,
                        customers.get(before.id),
                        now,
                        previous_start=before.start,
                        actor=actor.label,
                    )
                )
            await outbox.drop_reminders(conn, ids)
            await outbox.write(conn, messages)
            return moved

        return await self._placing.run(
            wants, now, series=series, write=write, ignoring=Ignoring(bookings=tuple(ids))
        )

    async def policy(self, service_id: str) -> tuple[ServicePolicy, str]:
        info = await load_info()
        return await load_policy(service_id), info.timezone


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
