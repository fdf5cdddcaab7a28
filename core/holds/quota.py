"""How many live holds one client has: the cap that stops one client hoarding slots.

A rate limit alone does not stop hoarding (a patient client takes a slot a
minute and keeps them all); a cap on the holds alive at once does. The count is
kept per process, in memory, like the rate limiter's buckets: behind several
processes a client gets at most that many times the cap.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

__all__ = ["HoldQuota"]


class HoldQuota:
    """Live holds per client (an API key or an address), bounded in memory."""

    def __init__(self, *, max_clients: int = 100_000) -> None:
        self._live: OrderedDict[str, dict[str, datetime]] = OrderedDict()
        self._max_clients = max_clients

    def live(self, client: str, now: datetime) -> int:
        holds = self._live.get(client)
        if holds is None:
            return 0
        for token in [t for t, expires in holds.items() if expires <= now]:
            del holds[token]
        return len(holds)

    def tokens(self, client: str, now: datetime) -> list[str]:
        """The client's live holds, oldest first."""
        self.live(client, now)
        return list(self._live.get(client, {}))

    def full(self, client: str, limit: int, now: datetime) -> bool:
        return self.live(client, now) >= limit

    def taken(self, client: str, token: str, expires_at: datetime) -> None:
        holds = self._live.setdefault(client, {})
        holds[token] = expires_at
        self._live.move_to_end(client)
        while len(self._live) > self._max_clients:  # the longest quiet client goes first
            self._live.popitem(last=False)

    def released(self, client: str, token: str) -> None:
        holds = self._live.get(client)
        if holds is not None:
            holds.pop(token, None)
