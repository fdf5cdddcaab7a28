"""Others' holds as busy time, and what to say while the hold store is away.

The hold store may be a network service (Redis), so nothing here is ever called
with a database transaction open (see :mod:`core.bookings.service`). An outage is
said once, not once per request: a stalled store would otherwise write a line for
every customer while it is away; a hold stored again ends the outage.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from core.bookings.ignoring import NOTHING, Ignoring
from core.engine import Busy
from core.holds import HoldStore, HoldStoreUnavailable
from core.store import Rules

__all__ = ["Leases"]

log = logging.getLogger("core.bookings")


class Leases:
    """The hold store (``None``: holds are off) and its outage state."""

    def __init__(self, store: HoldStore | None) -> None:
        self.store = store
        self._down = False

    def off(self, exc: BaseException) -> None:
        """The store failed: say so once per outage."""
        if self._down:
            log.debug("hold store still unavailable (%s)", exc)
            return
        self._down = True
        log.warning(
            "hold store unavailable (%s): holds are off; bookings are still checked "
            "by the database",
            exc,
        )

    def back(self) -> None:
        """A hold was stored: an outage, if any, is over."""
        if self._down:
            self._down = False
            log.info("hold store reachable again: holds are kept again")

    async def busy(
        self,
        rules: Rules,
        lo: datetime,
        hi: datetime,
        now: datetime,
        ignoring: Ignoring = NOTHING,
    ) -> tuple[Busy, ...]:
        """Others' live holds on the loaded resources as busy time; none when holds are
        off. Asks the hold store, maybe over the network: never call it in a transaction."""
        resources = list(rules.resource_ids)
        if self.store is None or not resources:
            return ()
        try:
            holds = await self.store.overlapping(resources, lo, hi, now)
        except HoldStoreUnavailable as exc:
            self.off(exc)
            return ()
        loaded = set(resources)
        services = rules.snapshot.services
        busy: list[Busy] = []
        for h in holds:
            if ignoring.hold(h.token, h.owner):
                continue
            service = services.get(h.service_id)
            end = h.start + timedelta(minutes=service.duration_min) if service else None
            busy.extend(
                Busy(r, h.occupied_start, h.occupied_end, h.seats, "hold", h.start, end)
                for r in h.resources
                if r in loaded
            )
        return tuple(busy)
