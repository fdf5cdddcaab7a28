"""What a customer is offered: free slots in a window, why a wish cannot be had, what is near.

The door the chat (and any other channel that talks to customers) goes through
for availability, instead of reading snapshots and asking the engine itself.
Every answer counts live holds, through :meth:`BookingService.snapshot`: a slot
someone else holds is neither offered nor explained as free or "closed", but as
taken (``busy``/``full``), the same answer the offer and the booking give.

The policy lives here once: how far an open-ended wish looks (``HORIZON``),
which windows are searched for alternatives (:meth:`Offers.nearby`), and which
reason wins when a whole window is refused (``PREFERRED_REASONS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.bookings import BookingService
from core.engine import Explanation, Reason, Slot, Snapshot, explain, explain_all

__all__ = [
    "EXPLAIN_SAMPLES",
    "HORIZON",
    "PREFERRED_REASONS",
    "Explanation",
    "Offers",
    "Reason",
    "Slot",
    "samples",
]

HORIZON = timedelta(days=14)
"""How far ahead an open-ended wish ("first available") looks, and alternatives after one."""
LOOK_BACK = timedelta(days=7)
"""How far before a wished window alternatives are looked for."""
AFTER, BEFORE = 3, 2
"""Alternatives offered after a wished window, and before it."""
EXPLAIN_SAMPLES = 48
PREFERRED_REASONS = ("busy", "full", "blocked", "too_soon", "too_far", "closed")
"""The reason told when starts across a window fail for different ones: "taken" says more
than "closed" when both happen in the afternoon."""


class Offers:
    """Availability as customers see it, over one :class:`BookingService`."""

    def __init__(self, bookings: BookingService) -> None:
        self._bookings = bookings

    async def between(
        self,
        service: str,
        start: datetime,
        end: datetime,
        zone: str,
        provider: str | None = None,
        *,
        owner: str | None = None,
    ) -> list[Slot]:
        """Free slots on the local dates (in ``zone``) that ``[start, end)`` touches, live
        holds counted except ``owner``'s; callers keep those inside the window they want."""
        first, last = _dates(start, end, zone)
        return await self._bookings.offer(service, first, last, provider, owner=owner)

    async def nearby(
        self,
        service: str,
        start: datetime,
        end: datetime,
        zone: str,
        now: datetime,
        provider: str | None = None,
        *,
        owner: str | None = None,
    ) -> list[Slot]:
        """A few slots after the wished window, and one or two before it, for when nothing
        fits inside."""
        after = await self.between(service, end, end + HORIZON, zone, provider, owner=owner)
        found = [s for s in after if s.start >= end][:AFTER]
        if start > now:
            lo = max(now, start - LOOK_BACK)
            before = await self.between(service, lo, start, zone, provider, owner=owner)
            found = [s for s in before if lo <= s.start < start][-BEFORE:] + found
        return found

    async def explain_start(
        self, service: str, start: datetime, now: datetime, provider: str | None = None
    ) -> tuple[Explanation, Snapshot]:
        """Whether ``start`` is a slot and every reason why not, live holds counted: what
        ``slotwise explain`` and the admin panel show (the snapshot names the resources)."""
        day = start.astimezone(UTC).date()
        snapshot = await self._bookings.snapshot(service, day, day, provider)
        return explain(snapshot, service, start, now, provider), snapshot

    async def explain(
        self,
        service: str,
        starts: Sequence[datetime],
        now: datetime,
        provider: str | None = None,
        *,
        owner: str | None = None,
    ) -> Reason | None:
        """The engine's reason the wished start (or, for several, the wished window) cannot
        be booked, live holds counted; ``None`` when no start gives one.

        For a window, starts across it are explained and the most telling reason wins
        (``PREFERRED_REASONS``); a start off the slot grid says nothing about a window.
        """
        first = min(starts).astimezone(UTC).date()
        last = max(starts).astimezone(UTC).date()
        snapshot = await self._bookings.snapshot(service, first, last, provider, owner=owner)
        found: dict[str, Reason] = {}
        for explanation in explain_all(snapshot, service, starts, now, provider):
            for reason in explanation.reasons:
                if reason.code == "off_grid" and len(starts) > 1:
                    continue
                found.setdefault(reason.code, reason)
                break
        for code in PREFERRED_REASONS:
            if code in found:
                return found[code]
        return next(iter(found.values()), None)


def samples(start: datetime, end: datetime) -> list[datetime]:
    """Starts across the first day of a window, half an hour apart, to ask why none is free."""
    step = timedelta(minutes=30)
    first = start.replace(second=0, microsecond=0)
    first += timedelta(minutes=(-first.minute) % 30)
    stop = min(end, start + timedelta(days=1))
    found: list[datetime] = []
    at = first
    while at < stop and len(found) < EXPLAIN_SAMPLES:
        found.append(at)
        at += step
    return found or [start]


def _dates(start: datetime, end: datetime, zone: str) -> tuple[date, date]:
    where = ZoneInfo(zone)
    first = start.astimezone(where).date()
    last = (end - timedelta(microseconds=1)).astimezone(where).date()
    return first, last
