"""Holds kept in this process's memory: the embedded default, one process only.

``take`` never awaits between its check and its write, so within one event
loop no other ``take`` can slip in between. Expired holds are dropped lazily:
a heap ordered by expiry is popped at the start of every call, so a hold on a
resource that is never asked about again does not linger.

Time is taken to move forward: once a call has seen ``now``, holds that expired
by then are gone for good, even if a later call passes an earlier ``now``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from datetime import datetime

from core.holds.base import Hold

__all__ = ["MemoryHoldStore", "check_new_hold", "overlaps"]


def check_new_hold(hold: Hold, now: datetime) -> None:
    """Reject holds no store could keep sensibly; these are caller bugs, not refusals.

    A refusal (``False``) tells the customer the slot is taken, which would be a
    lie for a hold with no seats or an empty window, so those raise instead.
    """
    for name in ("start", "occupied_start", "occupied_end", "expires_at"):
        if getattr(hold, name).utcoffset() is None:
            raise ValueError(f"hold.{name} must be timezone-aware")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not hold.resources:
        raise ValueError("a hold must name at least one resource")
    if hold.seats < 1:
        raise ValueError("a hold must take at least one seat")
    if hold.occupied_end <= hold.occupied_start:
        raise ValueError("a hold's occupied window must not be empty")
    if hold.expires_at <= now:
        raise ValueError("a hold must expire after now")


def overlaps(hold: Hold, start: datetime, end: datetime) -> bool:
    """Half-open windows: one ending when the other starts do not meet."""
    return hold.occupied_start < end and start < hold.occupied_end


class MemoryHoldStore:
    """Plain dicts with a per-resource index, so a check reads only its resources.

    A missing entry in ``limits`` refuses the hold: no limit known means no room
    known, and guessing room would let holds hide slots that are not there.
    """

    def __init__(self) -> None:
        self._holds: dict[str, Hold] = {}
        self._by_resource: dict[str, set[str]] = {}
        self._expiry: list[tuple[datetime, str]] = []

    async def take(self, hold: Hold, limits: Mapping[str, int], now: datetime) -> bool:
        check_new_hold(hold, now)
        self._prune(now)
        if hold.token in self._holds:
            return False
        resources = tuple(dict.fromkeys(hold.resources))
        for resource in resources:
            limit = limits.get(resource)
            if limit is None:
                return False
            used = sum(
                h.seats
                for h in self._on(resource)
                if overlaps(h, hold.occupied_start, hold.occupied_end)
            )
            if used + hold.seats > limit:
                return False
        self._holds[hold.token] = hold
        for resource in resources:
            self._by_resource.setdefault(resource, set()).add(hold.token)
        heapq.heappush(self._expiry, (hold.expires_at, hold.token))
        return True

    async def get(self, token: str, now: datetime) -> Hold | None:
        self._prune(now)
        return self._holds.get(token)

    async def release(self, token: str, owner: str) -> bool:
        hold = self._holds.get(token)
        if hold is None or hold.owner != owner:
            return False
        self._drop(hold)
        return True

    async def overlapping(
        self, resource_ids: list[str], start: datetime, end: datetime, now: datetime
    ) -> list[Hold]:
        self._prune(now)
        found = {
            h.token: h
            for resource in resource_ids
            for h in self._on(resource)
            if overlaps(h, start, end)
        }
        return sorted(found.values(), key=lambda h: (h.occupied_start, h.token))

    async def close(self) -> None:
        self._holds.clear()
        self._by_resource.clear()
        self._expiry.clear()

    def _on(self, resource: str) -> list[Hold]:
        return [self._holds[t] for t in self._by_resource.get(resource, ())]

    def _prune(self, now: datetime) -> None:
        while self._expiry and self._expiry[0][0] <= now:
            _, token = heapq.heappop(self._expiry)
            hold = self._holds.get(token)
            # The heap entry may be stale (released, or the token taken again later).
            if hold is not None and hold.expires_at <= now:
                self._drop(hold)

    def _drop(self, hold: Hold) -> None:
        del self._holds[hold.token]
        for resource in hold.resources:
            tokens = self._by_resource.get(resource)
            if tokens is not None:
                tokens.discard(hold.token)
                if not tokens:
                    del self._by_resource[resource]
