"""The waitlist cascade: freed time offered in turn, held, accepted, declined, lapsed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core import models as m
from core.bookings import Actor, BookingService
from core.bookings.cascade import Cascade, OfferHolds, Step, _hold_of
from core.businessfile import parse_business
from core.customers import CustomerInput, Identity
from core.errors import NoShowLimit, OfferGone, SlotTaken
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


async def test_an_offer_found_in_quiet_hours_goes_and_is_held_from_when_they_end(
    world: World,
) -> None:
    """Quiet hours are 21:00-08:00 in the customer's zone (the clinic's is UTC)."""
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    world.clock.now = datetime(2026, 11, 30, 22, 30, tzinfo=TEN.tzinfo)  # Monday night
    await world.service.cancel(taken.manage_token, actor=STAFF)
    assert [s.action for s in await world.run_freed()] == ["offered"]
    morning = datetime(2026, 12, 1, 8, 0, tzinfo=TEN.tzinfo)
    message = await m.Outbox.get(kind="waitlist_offer")
    assert message.available_at == morning  # not in the night
    (offer,) = await m.WaitlistOffer.all()
    assert offer.expires_at == morning + world.cascade.hold  # 15 minutes to answer, awake
    assert not await world.free_at_ten()  # held for her overnight


async def test_a_time_that_starts_before_quiet_hours_end_is_not_offered(world: World) -> None:
    early = at(TUESDAY, 9)  # Ana works from 09:00
    taken = await world.service.book("solo", early, XAVIER)
    await world.service.join_waitlist(
        "solo", early, early + timedelta(minutes=30), AMY, channel="api"
    )
    tokyo = await m.Customer.get(email_key="amy@example.org")
    await m.Customer.filter(id=tokyo.id).update(timezone="Asia/Tokyo")  # 09:00 UTC is 18:00
    world.clock.now = datetime(2026, 12, 1, 8, 40, tzinfo=TEN.tzinfo)  # 17:40 in Tokyo: awake
    await world.service.cancel(taken.manage_token, actor=STAFF)
    assert [s.action for s in await world.run_freed()] == ["offered"]

    await m.WaitlistOffer.all().delete()
    await m.Outbox.filter(kind="waitlist_offer").delete()
    again = await world.service.book("solo", early, XAVIER, provider="ana")
    await m.Customer.filter(id=tokyo.id).update(timezone="America/Los_Angeles")  # 00:40 there
    await world.service.cancel(again.manage_token, actor=STAFF)
    assert await world.run_freed() == []  # asleep until 08:00, long after 09:00 UTC starts
    assert await m.WaitlistOffer.all().count() == 0


# --- the no-show policy applies to the waitlist too -------------------------------------------

MONDAY_TEN = at(TUESDAY, 10) - timedelta(days=1)
AMY_CHAT = Identity("telegram", "amy-chat")


async def solo_policy(then: str, waitlist: str = "offer") -> None:
    await replace_business(
        parse_business(
            CLINIC.replace(
                "  - {id: solo, name: Solo, duration_min: 60, requires: [[ana]]}",
                "  - {id: solo, name: Solo, duration_min: 60, requires: [[ana]], "
                f"waitlist: {waitlist}, no_shows: {{after: 1, then: {then}}}}}",
            )
        )
    )


async def missed(world: World, customer: CustomerInput) -> None:
    """``customer`` books Monday 10:00 and does not come (the clock is put back)."""
    before = world.clock.now
    info = await world.service.book("solo", MONDAY_TEN, customer)
    world.clock.now = MONDAY_TEN + timedelta(minutes=5)
    await world.service.mark_no_show(info.manage_token, actor=STAFF)
    world.clock.now = before


async def waiting_in_chat(world: World) -> str:
    entry = await world.service.join_waitlist(
        "solo", TEN, TEN + timedelta(minutes=30), AMY, channel="telegram", identity=AMY_CHAT
    )
    return entry.token


async def test_refuse_chat_refuses_a_chat_waitlist_join_not_an_api_one(world: World) -> None:
    await solo_policy("refuse_chat")
    await missed(world, AMY)
    with pytest.raises(NoShowLimit) as refused:
        await waiting_in_chat(world)
    assert (refused.value.action, refused.value.standing) == ("refuse_chat", 1)
    assert await m.WaitlistEntry.all().count() == 0
    await world.waiting(AMY)  # staff and API clients may still put them on the list
    assert await m.WaitlistEntry.all().count() == 1


async def test_refuse_chat_ends_a_chat_entry_instead_of_offering_to_it(world: World) -> None:
    await solo_policy("refuse_chat")
    taken = await world.service.book("solo", TEN, XAVIER)
    await waiting_in_chat(world)  # joined before the no-show
    await world.waiting(BEA)
    await missed(world, AMY)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    steps = await world.run_freed()
    assert [s.action for s in steps] == ["refused", "offered"]
    assert await offer_rows() == [("Bea", "open")]
    entry = await m.WaitlistEntry.filter(customer__name="Amy").get()
    assert entry.status == "expired"


async def test_refuse_chat_refuses_accepting_an_offer_made_before_the_no_show(
    world: World,
) -> None:
    await solo_policy("refuse_chat")
    taken = await world.service.book("solo", TEN, XAVIER)
    await waiting_in_chat(world)
    await world.waiting(BEA)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    await world.run_freed()
    (offer,) = await m.WaitlistOffer.all()
    await missed(world, AMY)
    with pytest.raises(NoShowLimit):
        await world.cascade.accept(offer.token, world.clock())
    assert await m.Booking.filter(status="confirmed", start=TEN).count() == 0
    assert (await m.WaitlistEntry.filter(customer__name="Amy").get()).status == "expired"
    await world.run_freed()  # the time goes to the next entry at once
    assert await offer_rows() == [("Amy", "declined"), ("Bea", "open")]


async def test_refuse_chat_keeps_a_direct_waitlist_booking_from_a_chat_entry(
    world: World,
) -> None:
    await solo_policy("refuse_chat", waitlist="book")
    taken = await world.service.book("solo", TEN, XAVIER)
    await waiting_in_chat(world)
    await missed(world, AMY)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    assert [s.action for s in await world.run_freed()] == ["refused"]
    assert await m.Booking.filter(status="confirmed", start=TEN).count() == 0
    assert await offer_rows() == []


async def test_confirm_offers_instead_of_booking_directly_and_taking_it_confirms(
    world: World,
) -> None:
    await solo_policy("confirm", waitlist="book")
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await missed(world, AMY)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    assert [s.action for s in await world.run_freed()] == ["offered"]
    assert await m.Booking.filter(status="confirmed", start=TEN).count() == 0
    (offer,) = await m.WaitlistOffer.all()
    info = await world.cascade.accept(offer.token, world.clock())
    assert (info.start, info.customer_name) == (TEN, "Amy")


async def test_confirm_lets_a_chat_customer_join_the_waitlist(world: World) -> None:
    await solo_policy("confirm")
    await missed(world, AMY)
    await waiting_in_chat(world)  # the answer to the offer will be the confirmation
    assert await m.WaitlistEntry.all().count() == 1


async def test_extended_hours_are_offered_to_the_waitlist(world: World) -> None:
    from core.rules import set_weekly_hours

    five = at(TUESDAY, 17)
    await world.service.join_waitlist("solo", five, five + timedelta(hours=1), AMY, channel="api")
    assert await world.run_freed() == []  # Ana works until 17:00
    day = [["09:00", "17:00"]]
    week = {"mon": day, "tue": [["09:00", "18:00"]], "wed": day, "thu": day, "fri": day}
    await set_weekly_hours("ana", week, actor=STAFF, now=world.clock())
    steps = await world.run_freed()
    assert [(s.action, s.start) for s in steps] == [("offered", five)]


async def test_a_morning_summary_edit_frees_no_time(world: World) -> None:
    from core.rules import set_morning_summary

    await set_morning_summary("ana", "07:30", actor=STAFF)
    assert await m.Outbox.filter(kind="capacity_freed").count() == 0


async def test_an_open_offer_is_a_hold_over_exactly_its_window_until_it_ends(
    world: World,
) -> None:
    taken = await world.service.book("solo", TEN, XAVIER)
    await world.waiting(AMY)
    await world.service.cancel(taken.manage_token, actor=STAFF)
    await world.run_freed()
    (row,) = await m.WaitlistOffer.all()
    holds = OfferHolds(MemoryHoldStore())
    now = world.clock()
    eleven = TEN + timedelta(hours=1)

    async def seen(resources: list[str], start: datetime, end: datetime) -> list[str]:
        return [h.token for h in await holds.overlapping(resources, start, end, world.clock())]

    (hold,) = await holds.overlapping(["ana"], TEN, eleven, now)
    entry = await m.WaitlistEntry.get(id=row.entry_id)
    assert hold == _hold_of(row, "solo", entry.token)  # as the model's row reads
    assert (hold.token, hold.service_id, hold.resources, hold.start) == (
        row.hold_token,
        "solo",
        ("ana",),
        TEN,
    )
    # Half-open windows: the hour before and the hour after do not meet it.
    assert await seen(["ana"], row.occupied_end, row.occupied_end + timedelta(hours=1)) == []
    assert await seen(["ana"], row.occupied_start - timedelta(hours=1), row.occupied_start) == []
    assert await seen(["ana"], row.occupied_end - timedelta(minutes=1), eleven) == [row.hold_token]
    assert await seen(["ben"], TEN, eleven) == []  # another resource
    world.clock.advance(minutes=14)
    assert await seen(["ana"], TEN, eleven) == [row.hold_token]
    world.clock.advance(minutes=1)
    assert await seen(["ana"], TEN, eleven) == []  # expired: it holds nothing any more
    world.clock.advance(minutes=-15)
    await world.cascade.decline(row.token, world.clock())
    assert await seen(["ana"], TEN, eleven) == []  # declined
