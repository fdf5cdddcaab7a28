"""The waitlist cascade: freed time offered in turn, held, accepted, declined, lapsed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core import models as m
from core.bookings import Actor, BookingService
from core.bookings.cascade import Cascade, OfferHolds, Step
from core.businessfile import parse_business
from core.customers import CustomerInput
from core.errors import OfferGone, SlotTaken
from core.holds import MemoryHoldStore
from core.store import replace_business
from tests.conftest import TestDatabase
from tests.core.test_booking import CLINIC, TUESDAY, Clock, at

STAFF = Actor("staff", "Ana", "slack")
XAVIER = CustomerInput("Xavier", phone="+4911111")
AMY = CustomerInput("Amy", email="amy@example.org", locale="de")
BEA = CustomerInput("Bea", email="bea@example.org")
TEN = at(TUESDAY, 10)


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.service = BookingService(OfferHolds(MemoryHoldStore()), clock=self.clock)
        self.cascade = Cascade(self.service)

    async def waiting(self, customer: CustomerInput) -> str:
        entry = await self.service.join_waitlist(
            "solo", TEN, TEN + timedelta(minutes=30), customer, channel="api"
        )
        return entry.token

    async def run_freed(self) -> list[Step]:
        """What the worker does with the pending ``capacity_freed`` rows."""
        steps: list[Step] = []
        rows = await m.Outbox.filter(kind="capacity_freed", status="pending").order_by("id")
        for row in rows:
            payload: dict[str, Any] = row.payload

            start = datetime.fromisoformat(payload["start"])
            end = datetime.fromisoformat(payload["end"])
            steps.extend(await self.cascade.freed(start, end, self.clock()))
            await m.Outbox.filter(id=row.id).update(status="sent")
        return steps

    async def free_at_ten(self) -> bool:
        slots = await self.service.offer("solo", TUESDAY, TUESDAY)
        return TEN in [s.start for s in slots]


@pytest.fixture
async def world(db: TestDatabase) -> World:
    await replace_business(parse_business(CLINIC))
    return World()


async def offer_rows() -> list[tuple[str, str]]:
    rows = await m.WaitlistOffer.all().order_by("id").select_related("entry__customer")
    return [(r.entry.customer.name, r.status) for r in rows]


async def test_freed_time_is_offered_in_the_order_of_joining_and_held(world: World) -> None:
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await world.waiting(BEA)
    assert await world.run_freed() == []
    await world.service.cancel(taken.manage_token, actor=STAFF)
    steps = await world.run_freed()
    assert [(s.action, s.start) for s in steps] == [("offered", TEN)]
    assert await offer_rows() == [("Amy", "open")]
    # Held: nobody else sees the time, in this process or in another one.
    assert not await world.free_at_ten()
    other = BookingService(OfferHolds(MemoryHoldStore()), clock=world.clock)
    assert TEN not in [s.start for s in await other.offer("solo", TUESDAY, TUESDAY)]
    with pytest.raises(SlotTaken):
        await other.book("solo", TEN, XAVIER)
    message = await m.Outbox.get(kind="waitlist_offer")
    assert message.payload["start"] == TEN.isoformat()
    assert message.dedup_key.startswith("waitlist:")


async def test_a_declined_offer_goes_to_the_next_and_a_lapsed_one_frees_the_time(
    world: World,
) -> None:
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await world.waiting(BEA)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    await world.run_freed()
    (amy,) = await m.WaitlistOffer.all()
    await world.cascade.decline(amy.token, world.clock())
    with pytest.raises(OfferGone):
        await world.cascade.decline(amy.token, world.clock())
    await world.run_freed()
    assert await offer_rows() == [("Amy", "declined"), ("Bea", "open")]
    world.clock.advance(minutes=14)
    assert await world.cascade.tick(world.clock()) == []
    world.clock.advance(minutes=1, seconds=1)
    steps = await world.cascade.tick(world.clock())
    assert [s.action for s in steps] == ["lapsed"]
    assert await world.run_freed() == []  # both had their turn at this time
    assert await offer_rows() == [("Amy", "declined"), ("Bea", "expired")]
    assert await world.free_at_ten()
    with pytest.raises(OfferGone):
        await world.cascade.accept(amy.token, world.clock())


async def test_accepting_books_through_the_normal_path_once(world: World) -> None:
    taken = await world.service.book("solo", TEN, XAVIER)
    entry = await world.waiting(AMY)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    await world.run_freed()
    (offer,) = await m.WaitlistOffer.all()
    world.clock.advance(minutes=10)
    info = await world.cascade.accept(offer.token, world.clock())
    assert (info.start, info.status, info.customer_name) == (TEN, "confirmed", "Amy")
    assert await world.cascade.accept(offer.token, world.clock()) == info
    assert await m.Booking.filter(status="confirmed").count() == 1
    found = await world.cascade.find(offer.token)
    assert (found.status, found.booking_token) == ("accepted", info.manage_token)
    row = await m.WaitlistEntry.get(token=entry)
    assert (row.status, row.booking_id) == ("booked", info.id)
    assert await world.service.waitlist() == []  # no longer waiting
    kinds = await m.Outbox.filter(booking_id=info.id).values_list("kind", flat=True)
    assert "customer_confirmation" in kinds


async def test_a_lapsed_offer_cannot_be_accepted(world: World) -> None:
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    await world.run_freed()
    (offer,) = await m.WaitlistOffer.all()
    world.clock.advance(minutes=16)
    with pytest.raises(OfferGone, match="ended"):
        await world.cascade.accept(offer.token, world.clock())


async def test_a_move_frees_the_old_time_too(world: World) -> None:
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await world.service.reschedule(taken.manage_token, at(TUESDAY, 14), actor=STAFF)
    steps = await world.run_freed()
    assert [(s.action, s.start) for s in steps] == [("offered", TEN)]


async def test_the_book_setting_books_the_first_entry_directly(world: World) -> None:
    await replace_business(
        parse_business(
            CLINIC.replace(
                "  - {id: solo, name: Solo, duration_min: 60, requires: [[ana]]}",
                "  - {id: solo, name: Solo, duration_min: 60, requires: [[ana]], waitlist: book}",
            )
        )
    )
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await world.waiting(BEA)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    steps = await world.run_freed()
    assert [s.action for s in steps] == ["booked"]
    booked = await m.Booking.filter(status="confirmed").select_related("customer")
    assert [(b.customer.name if b.customer else "", b.start) for b in booked] == [("Amy", TEN)]
    history = await m.BookingHistory.get(booking_id=booked[0].id, action="booked")
    assert history.actor == "system:waitlist"
    assert await offer_rows() == []


async def test_entries_expire_after_their_window(world: World) -> None:
    await world.waiting(AMY)
    assert await world.cascade.tick(world.clock()) == []
    world.clock.now = TEN + timedelta(minutes=30)
    steps = await world.cascade.tick(world.clock())
    assert [s.action for s in steps] == ["expired"]
    assert await world.service.waitlist() == []
    assert (await m.WaitlistEntry.get()).status == "expired"


async def test_a_removed_block_is_offered_to_the_waitlist(world: World) -> None:
    from core.rules import add_block, remove_block

    block = {"start": "2026-12-01T09:00", "end": "2026-12-01T12:00", "reason": "training"}
    await add_block("ana", block, actor=STAFF, now=world.clock())
    assert await m.Outbox.filter(kind="capacity_freed").count() == 0  # a block frees nothing
    await world.waiting(AMY)
    assert await world.run_freed() == []
    await remove_block("ana", block, actor=STAFF, now=world.clock())
    steps = await world.run_freed()
    assert [(s.action, s.start) for s in steps] == [("offered", TEN)]
    (row,) = await m.Outbox.filter(kind="capacity_freed")
    assert row.dedup_key.startswith("rules:")
