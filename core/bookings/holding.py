"""Holding a slot for a while: take, look up and give back leases in the hold store.

A hold is checked like a booking (:class:`~core.bookings.looking.Looking`) and
stored with a TTL. With no store, or while it is away, the hold is a signed,
unstored token (:mod:`core.bookings.tokens`) that ``confirm`` re-checks under
lock like any request: only the lease is lost.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from core.bookings.alternatives import Alternatives
from core.bookings.leases import Leases
from core.bookings.looking import Looking
from core.bookings.plan import Want, peak, taken
from core.bookings.tokens import UNSTORED, HoldSigner
from core.errors import HoldExpired, HoldNotYours, SlotTaken
from core.holds import Hold, HoldStoreUnavailable, new_hold_token
from core.text import first_control

__all__ = ["MAX_ATTEMPTS", "Holding"]

log = logging.getLogger("core.bookings")

MAX_ATTEMPTS = 3
"""Tries per request; each looks again at fresh data."""


class Holding:
    """Takes, finds and releases holds."""

    def __init__(
        self,
        looking: Looking,
        alternatives: Alternatives,
        leases: Leases,
        signer: HoldSigner,
        ttl: timedelta,
    ) -> None:
        self._looking = looking
        self._alternatives = alternatives
        self._leases = leases
        self._signer = signer
        self.ttl = ttl
        self._warned_no_store = False

    async def hold(self, want: Want, owner: str, now: datetime) -> Hold:
        wants = [(want, True)]
        for _ in range(MAX_ATTEMPTS):
            async with in_transaction():  # one connection for all the reads
                rules = await self._looking.rules(want)
            held = await self._looking.others_holds(wants, rules, now)  # no transaction: Redis
            async with in_transaction():
                placed, view, failures = await self._looking.plan(
                    wants, now, rules=rules, held=held
                )
            if failures:
                raise await self._alternatives.refusal(view, failures, now, series=False)
            (chosen,) = placed
            lo, hi = chosen.occupied
            hold = Hold(
                token=new_hold_token(),
                owner=owner,
                service_id=want.service_id,
                start=want.start,
                resources=chosen.resources,
                occupied_start=lo,
                occupied_end=hi,
                seats=chosen.seats,
                expires_at=now + self.ttl,
            )
            store = self._leases.store
            if store is None:
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
                if await store.take(hold, limits, now):
                    self._leases.back()
                    return hold
            except HoldStoreUnavailable as exc:
                self._leases.off(exc)
                return replace(hold, token=self._signer.token(hold))
            # Someone's hold slipped in since we looked: look again with it counted.
        raise SlotTaken(taken(want.start), alternatives=await self._alternatives.nearest(want, now))

    async def release(self, token: str, owner: str, now: datetime) -> None:
        hold = await self.live(token, owner, now)
        store = self._leases.store
        if token.startswith(UNSTORED) or store is None:
            return
        try:
            released = await store.release(token, hold.owner)
        except HoldStoreUnavailable as exc:
            self._leases.off(exc)
            return  # it expires by itself
        if not released:
            raise HoldExpired("this hold has expired or was already released", field="token")

    async def consumed(self, token: str, owner: str) -> None:
        """A confirmed hold's lease given back; when the store is away it expires by itself."""
        store = self._leases.store
        if store is None or token.startswith(UNSTORED):
            return
        try:
            await store.release(token, owner)
        except HoldStoreUnavailable as exc:
            self._leases.off(exc)

    async def live(self, token: str, owner: str, now: datetime) -> Hold:
        """The live hold ``owner`` has under ``token``. :class:`HoldExpired` when gone or
        unknown, :class:`HoldNotYours` for another's."""
        if not isinstance(token, str) or not token or first_control(token) is not None:
            raise HoldExpired("unknown hold", field="token")
        hold: Hold | None
        store = self._leases.store
        if token.startswith(UNSTORED):
            # Forged, altered and someone else's tokens all fail the signature alike.
            hold = self._signer.hold(token, owner)
            if hold is not None and hold.expires_at <= now:
                hold = None
        elif store is None:
            hold = None
        else:
            try:
                hold = await store.get(token, now)
            except HoldStoreUnavailable as exc:
                self._leases.off(exc)
                raise HoldExpired(
                    "holds are unavailable right now; choose the slot again", field="token"
                ) from exc
        if hold is None:
            raise HoldExpired("this hold has expired or was released", field="token")
        if hold.owner != owner:
            raise HoldNotYours("this hold belongs to someone else", field="token")
        return hold
