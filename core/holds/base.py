"""What a hold is, and what every hold store must do."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.errors import HoldStoreUnavailable

__all__ = ["Hold", "HoldStore", "HoldStoreUnavailable", "new_hold_token"]


def new_hold_token() -> str:
    """An unguessable token: whoever holds it owns the hold."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Hold:
    token: str
    owner: str
    """Who may use or release it (an API client, a chat user); compared on release and use."""
    service_id: str
    start: datetime
    """The appointment's start (aware, UTC)."""
    resources: tuple[str, ...]
    occupied_start: datetime
    """The window the hold keeps busy on each resource: start minus buffer before..."""
    occupied_end: datetime
    """...to end plus buffer after."""
    seats: int
    expires_at: datetime


class HoldStore(Protocol):
    """A lease store. ``now`` is always passed in, so tests control time."""

    async def take(self, hold: Hold, limits: Mapping[str, int], now: datetime) -> bool:
        """Store ``hold`` unless, on some resource, the seats of the live holds that
        overlap its window plus its own seats would exceed ``limits[resource]``.

        Check and take happen atomically with respect to other ``take`` calls, in
        every process that shares the store. Returns whether the hold was taken.
        A resource missing from ``limits`` refuses the hold; a malformed hold (naive
        datetimes, no seats, no resources, an empty window, already expired) raises
        ``ValueError``, because it is the caller's mistake, not a taken slot.
        """
        ...

    async def get(self, token: str, now: datetime) -> Hold | None:
        """The live hold with this token, or ``None`` when unknown, released or expired."""
        ...

    async def release(self, token: str, owner: str) -> bool:
        """Drop the hold if ``owner`` owns it; ``False`` when unknown or someone else's."""
        ...

    async def overlapping(
        self, resource_ids: list[str], start: datetime, end: datetime, now: datetime
    ) -> list[Hold]:
        """Live holds on any of the resources whose window meets ``[start, end)``."""
        ...

    async def close(self) -> None: ...
