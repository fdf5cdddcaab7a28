"""The booking service on real databases: booking, holds, idempotency, outbox, seats.

The other ``test_booking_*`` modules import the business and helpers defined here.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError

from core import models as m
from core.bookings import Actor, BookingService, CustomerInput
from core.businessfile import parse_business
from core.db import connection
from core.engine import UnknownProvider, UnknownService
from core.errors import HoldExpired, HoldNotYours, InvalidRequest, NotASlot, SlotTaken
from core.holds import Hold, HoldStoreUnavailable, RedisHoldStore
from core.holds.memory import MemoryHoldStore
from core.store import replace_business
from tests.conftest import TestDatabase

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


CLINIC = """
business: {name: Test clinic, timezone: UTC}
resources:
  - {id: ana, name: Ana, weekly_hours: &week {mon: [["09:00", "17:00"]], tue: [["09:00", "17:00"]],
      wed: [["09:00", "17:00"]], thu: [["09:00", "17:00"]], fri: [["09:00", "17:00"]]}}
  - {id: ben, name: Ben, weekly_hours: *week}
  - {id: room, name: Room, kind: room, weekly_hours: *week}
  - {id: studio, name: Studio, kind: room, capacity: 5, weekly_hours: *week}
services:
  - id: cut
    name: Haircut
    duration_min: 30
    requires: [[ana, ben]]
    cancel_notice_min: 120
    reschedule_notice_min: 60
    max_reschedules: 2
    blackouts:
      - {start: "2026-12-24T00:00", end: "2026-12-27T00:00", reason: holidays}
  - {id: solo, name: Solo, duration_min: 60, requires: [[ana]]}
  - {id: massage, name: Massage, duration_min: 45, buffer_after_min: 15, slot_step_min: 15,
     requires: [[ana, ben], [room]]}
  - {id: yoga, name: Yoga, duration_min: 60, requires: [[studio]]}
"""

ALICE = CustomerInput("Alice", phone="+4912345", email="alice@example.org", locale="de")


def customer(n: int) -> CustomerInput:
    return CustomerInput(f"Customer {n}")


@dataclass
class Clock:
    """The service's clock, moved by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Setup:
    service: BookingService
    clock: Clock
    holds: MemoryHoldStore = field(default_factory=MemoryHoldStore)


async def load_clinic() -> None:
    await replace_business(parse_business(CLINIC))


async def make_setup() -> Setup:
    """The clinic loaded, and a service with a memory hold store and a hand-moved clock."""
    await load_clinic()
    clock = Clock()
    holds = MemoryHoldStore()
    return Setup(BookingService(holds, clock=clock), clock, holds)


@pytest.fixture
async def setup(db: TestDatabase) -> Setup:
    return await make_setup()


async def rows(sql: str) -> list[tuple[object, ...]]:
    _, found = await connection().execute_query(sql)
    return [tuple(r) for r in found]


async def count(table: str, where: str = "1 = 1") -> int:
    return int((await rows(f'SELECT COUNT(*) FROM "{table}" WHERE {where}'))[0][0])


async def assert_capacity_never_exceeded() -> None:
    """The guarantee, read straight from the occupancy table: no two active rows overlap
    on a capacity-one resource, and at no row's start do the active seats exceed capacity
    (the most seats are in use at some row's start)."""
    overlapping = await rows(
        "SELECT a.id, b.id FROM booking_resource a JOIN booking_resource b "
        "ON a.resource_id = b.resource_id AND a.id < b.id "
        "JOIN resource r ON r.id = a.resource_id "
        "WHERE a.active AND b.active AND r.capacity = 1 "
        "AND a.occupied_start < b.occupied_end AND b.occupied_start < a.occupied_end"
    )
    assert overlapping == []
    over = await rows(
        "SELECT a.id, r.capacity, SUM(b.seats) FROM booking_resource a "
        "JOIN resource r ON r.id = a.resource_id "
        "JOIN booking_resource b ON b.resource_id = a.resource_id AND b.active "
        "AND b.occupied_start <= a.occupied_start AND a.occupied_start < b.occupied_end "
        "WHERE a.active GROUP BY a.id, r.capacity HAVING SUM(b.seats) > r.capacity"
    )
    assert over == []
    wrong_flag = await rows(
        "SELECT br.id FROM booking_resource br JOIN resource r ON r.id = br.resource_id "
        "WHERE br.active AND (br.exclusive <> (r.capacity = 1))"
    )
    assert wrong_flag == []
    # Cancelled bookings occupy nothing.
    assert (
        await rows(
            "SELECT br.id FROM booking_resource br JOIN booking b ON b.id = br.booking_id "
            "WHERE br.active AND b.status <> 'confirmed'"
        )
        == []
    )


# --- booking ------------------------------------------------------------------------------


async def test_book_writes_booking_occupancy_history_and_outbox(setup: Setup) -> None:
    info = await setup.service.book("massage", at(TUESDAY, 10), ALICE, channel="telegram")
    assert info.resources == ("ana", "room")
    assert (info.start, info.end) == (at(TUESDAY, 10), at(TUESDAY, 10, 45))
    assert (info.status, info.seats, info.customer_name) == ("confirmed", 1, "Alice")
    assert (info.source_channel, info.reschedule_count, info.series_id) == ("telegram", 0, None)
    assert len(info.manage_token) >= 32
    assert await setup.service.get(info.manage_token) == info

    occupancy = await m.BookingResource.filter(booking_id=info.id).order_by("position")
    assert [(o.position, o.seats, o.active, o.exclusive) for o in occupancy] == [
        (0, 1, True, True),
        (1, 1, True, True),
    ]
    assert occupancy[0].occupied_start == at(TUESDAY, 10)
    assert occupancy[0].occupied_end == at(TUESDAY, 11)  # 15 minutes of buffer after
    assert occupancy[0].appointment_end == at(TUESDAY, 10, 45)

    history = await m.BookingHistory.filter(booking_id=info.id)
    assert [(h.action, h.actor, h.channel) for h in history] == [
        ("booked", "customer:Alice", "telegram")
    ]

    messages = {
        o.kind + ":" + str(o.payload.get("offset_min", "")): o
        for o in await m.Outbox.filter(booking_id=info.id)
    }
    assert sorted(messages) == [
        "customer_confirmation:",
        "reminder:120",
        "reminder:1440",
        "staff_notice:",
    ]
    assert messages["customer_confirmation:"].available_at == NOW
    assert messages["reminder:1440"].available_at == at(TUESDAY, 10) - timedelta(hours=24)
    assert messages["reminder:120"].available_at == at(TUESDAY, 8)
    assert all(o.sent_at is None for o in messages.values())
    assert len({o.dedup_key for o in messages.values()}) == 4
    payload = messages["customer_confirmation:"].payload
    assert payload["customer"]["phone"] == "+4912345"
    assert payload["resources"] == ["ana", "room"]
    assert (payload["booking_id"], payload["series_id"]) == (info.id, None)
    assert messages["staff_notice:"].dedup_key == f"booking:{info.id}:staff_notice"
    assert history[0].data["resources"] == ["ana", "room"]
    await assert_capacity_never_exceeded()


async def test_reminders_already_due_are_not_written(setup: Setup) -> None:
    info = await setup.service.book("cut", at(MONDAY, 9, 30), ALICE)  # in 90 minutes
    kinds = sorted(await m.Outbox.filter(booking_id=info.id).values_list("kind", flat=True))
    assert kinds == ["customer_confirmation", "staff_notice"]


async def test_the_next_resource_of_the_pool_is_taken_when_the_first_is_busy(
    setup: Setup,
) -> None:
    first = await setup.service.book("cut", at(TUESDAY, 10), customer(1))
    second = await setup.service.book("cut", at(TUESDAY, 10), customer(2))
    assert (first.resources, second.resources) == (("ana",), ("ben",))
    with pytest.raises(SlotTaken) as caught:
        await setup.service.book("cut", at(TUESDAY, 10), customer(3))
    starts = [s.start for s in caught.value.alternatives]
    assert at(TUESDAY, 9, 30) in starts
    assert at(TUESDAY, 10, 30) in starts


async def test_a_provider_narrows_the_choice(setup: Setup) -> None:
    info = await setup.service.book("cut", at(TUESDAY, 10), customer(1), provider="ben")
    assert info.resources == ("ben",)
    with pytest.raises(SlotTaken) as caught:
        await setup.service.book("cut", at(TUESDAY, 10), customer(2), provider="ben")
    assert all(s.resources == ("ben",) for s in caught.value.alternatives)


async def test_a_start_against_the_rules_is_not_a_slot_with_explanation_and_alternatives(
    setup: Setup,
) -> None:
    with pytest.raises(NotASlot) as caught:
        await setup.service.book("cut", at(TUESDAY, 18), ALICE)  # closed
    error = caught.value
    assert {r.code for r in error.explanation.reasons} == {"closed"}
    assert "not open" in error.message
    assert error.alternatives
    assert all(s.start.hour < 17 for s in error.alternatives)
    with pytest.raises(NotASlot) as off_grid:
        await setup.service.book("cut", at(TUESDAY, 10, 10), ALICE)
    assert {r.code for r in off_grid.value.explanation.reasons} == {"off_grid"}
    assert await count("booking") == 0


async def test_unknown_names_and_bad_input_are_clear_errors(setup: Setup) -> None:
    service = setup.service
    with pytest.raises(UnknownService):
        await service.book("nails", at(TUESDAY, 10), ALICE)
    with pytest.raises(UnknownProvider):
        await service.book("cut", at(TUESDAY, 10), ALICE, provider="room")
    with pytest.raises(InvalidRequest) as seats:
        await service.book("cut", at(TUESDAY, 10), ALICE, seats=0)
    assert seats.value.field == "seats"
    with pytest.raises(InvalidRequest) as naive:
        await service.book("cut", datetime(2026, 12, 1, 10), ALICE)  # noqa: DTZ001
    assert naive.value.field == "start"
    with pytest.raises(InvalidRequest) as name:
        await service.book("cut", at(TUESDAY, 10), CustomerInput(" "))
    assert name.value.field == "customer.name"
    with pytest.raises(InvalidRequest) as zone:
        await service.book("cut", at(TUESDAY, 10), CustomerInput("A", timezone="Mars/Base"))
    assert zone.value.field == "customer.timezone"
    with pytest.raises(InvalidRequest) as key:
        await service.book("cut", at(TUESDAY, 10), ALICE, idempotency_key=" ")
    assert key.value.field == "idempotency_key"
    with pytest.raises(NotASlot):
        await service.book("solo", at(TUESDAY, 10), ALICE, seats=2)  # ana holds one
    assert await count("booking") == 0
    assert await count("customer") == 0


# --- group sessions -----------------------------------------------------------------------


async def test_a_group_session_books_seats_until_full(setup: Setup) -> None:
    service = setup.service
    await service.book("yoga", at(TUESDAY, 10), customer(1), seats=2)
    slots = await service.offer("yoga", TUESDAY, TUESDAY)
    ten = next(s for s in slots if s.start == at(TUESDAY, 10))
    assert ten.seats_free == 3
    await service.book("yoga", at(TUESDAY, 10), customer(2), seats=3)
    assert at(TUESDAY, 10) not in [s.start for s in await service.offer("yoga", TUESDAY, TUESDAY)]
    with pytest.raises(SlotTaken):
        await service.book("yoga", at(TUESDAY, 10), customer(3))
    occupancy = await m.BookingResource.all().order_by("id")
    assert [(o.seats, o.exclusive) for o in occupancy] == [(2, False), (3, False)]
    await assert_capacity_never_exceeded()


async def test_asking_for_more_seats_than_are_left_is_taken(setup: Setup) -> None:
    await setup.service.book("yoga", at(TUESDAY, 10), customer(1), seats=4)
    with pytest.raises(SlotTaken) as caught:
        await setup.service.book("yoga", at(TUESDAY, 10), customer(2), seats=2)
    assert all(s.seats_free >= 2 for s in caught.value.alternatives)
    assert await setup.service.book("yoga", at(TUESDAY, 10), customer(3), seats=1)


# --- idempotency --------------------------------------------------------------------------


async def test_the_same_key_gives_the_same_booking(setup: Setup) -> None:
    first = await setup.service.book("cut", at(TUESDAY, 10), ALICE, idempotency_key="req-1")
    again = await setup.service.book("cut", at(TUESDAY, 10), ALICE, idempotency_key="req-1")
    assert again == first
    assert await count("booking") == 1
    # Keys longer than the column (a client id in front, say) are kept as their hash.
    long_key = "client-7:" + "x" * 300
    other = await setup.service.book("cut", at(TUESDAY, 11), ALICE, idempotency_key=long_key)
    assert (
        await setup.service.book("cut", at(TUESDAY, 11), ALICE, idempotency_key=long_key) == other
    )
    assert await count("booking") == 2


async def test_three_identical_requests_at_once_make_one_booking(setup: Setup) -> None:
    results = await asyncio.gather(
        *(
            setup.service.book("yoga", at(TUESDAY, 10), ALICE, idempotency_key="same")
            for _ in range(3)
        )
    )
    assert len({r.id for r in results}) == 1
    assert await count("booking") == 1
    assert await count("outbox", "kind = 'customer_confirmation'") == 1


async def test_three_identical_confirms_at_once_make_one_booking(setup: Setup) -> None:
    hold = await setup.service.hold("cut", at(TUESDAY, 10), owner="chat-1")
    results = await asyncio.gather(
        *(
            setup.service.confirm(hold.token, ALICE, owner="chat-1", idempotency_key="c-1")
            for _ in range(3)
        )
    )
    # Those that came after the first had consumed the hold get the first's answer.
    assert len({r.id for r in results}) == 1
    assert await count("booking") == 1


# --- outbox -------------------------------------------------------------------------------


async def test_a_failing_transaction_leaves_no_outbox_rows_and_no_booking(setup: Setup) -> None:
    # A message already queued under the key the next booking's confirmation will use:
    # the unique dedup key makes the booking's own transaction fail at its last write.
    await m.Outbox.create(
        dedup_key="booking:1:confirmation", kind="customer_confirmation", available_at=NOW
    )
    with pytest.raises(IntegrityError):
        await setup.service.book("cut", at(TUESDAY, 10), ALICE)
    assert await count("booking") == 0
    assert await count("booking_resource") == 0
    assert await count("booking_history") == 0
    assert await count("customer") == 0
    assert await count("outbox") == 1  # only the one put there by hand


# --- holds --------------------------------------------------------------------------------


async def test_a_held_slot_is_not_offered_to_others_but_is_confirmed_by_its_owner(
    setup: Setup,
) -> None:
    service = setup.service
    hold = await service.hold("solo", at(TUESDAY, 10), owner="chat-1")
    assert hold.resources == ("ana",)
    assert hold.expires_at == NOW + timedelta(minutes=5)
    assert (hold.occupied_start, hold.occupied_end) == (at(TUESDAY, 10), at(TUESDAY, 11))
    offered = [s.start for s in await service.offer("solo", TUESDAY, TUESDAY)]
    assert at(TUESDAY, 10) not in offered
    assert at(TUESDAY, 11) in offered
    own = [s.start for s in await service.offer("solo", TUESDAY, TUESDAY, owner="chat-1")]
    assert at(TUESDAY, 10) in own
    with pytest.raises(SlotTaken):
        await service.hold("solo", at(TUESDAY, 10), owner="chat-2")
    with pytest.raises(SlotTaken):
        await service.book("solo", at(TUESDAY, 10), customer(2))
    info = await service.confirm(hold.token, ALICE, owner="chat-1")
    assert (info.start, info.resources) == (at(TUESDAY, 10), ("ana",))
    history = await m.BookingHistory.get(booking_id=info.id)
    assert history.data["hold"] is True
    # Confirmed: the hold is gone and the booking keeps the slot.
    assert await setup.holds.get(hold.token, NOW) is None
    with pytest.raises(HoldExpired):
        await service.confirm(hold.token, ALICE, owner="chat-1")
    assert await count("booking") == 1


async def test_a_hold_expires_by_itself(setup: Setup) -> None:
    service = setup.service
    hold = await service.hold("solo", at(TUESDAY, 10), owner="chat-1")
    setup.clock.advance(minutes=5)
    assert at(TUESDAY, 10) in [s.start for s in await service.offer("solo", TUESDAY, TUESDAY)]
    with pytest.raises(HoldExpired):
        await service.confirm(hold.token, ALICE, owner="chat-1")
    with pytest.raises(HoldExpired):
        await service.release(hold.token, owner="chat-1")


async def test_confirm_after_expiry_is_refused_when_someone_else_took_the_slot(
    setup: Setup,
) -> None:
    service = setup.service
    hold = await service.hold("solo", at(TUESDAY, 10), owner="chat-1")
    setup.clock.advance(minutes=6)
    other = await service.book("solo", at(TUESDAY, 10), customer(2))
    with pytest.raises(HoldExpired):
        await service.confirm(hold.token, ALICE, owner="chat-1")
    assert [b.id for b in await m.Booking.all()] == [other.id]


async def test_only_the_owner_can_release_or_confirm_a_hold(setup: Setup) -> None:
    service = setup.service
    hold = await service.hold("solo", at(TUESDAY, 10), owner="chat-1")
    with pytest.raises(HoldNotYours):
        await service.release(hold.token, owner="chat-2")
    with pytest.raises(HoldNotYours):
        await service.confirm(hold.token, ALICE, owner="chat-2")
    assert await setup.holds.get(hold.token, NOW) == hold
    await service.release(hold.token, owner="chat-1")
    with pytest.raises(HoldExpired):
        await service.release(hold.token, owner="chat-1")
    assert await service.book("solo", at(TUESDAY, 10), customer(2))


async def test_a_hold_is_kept_to_the_rules_it_was_taken_under(setup: Setup) -> None:
    # The earliest start allowed by notice is held; the customer takes two minutes to
    # confirm, by which time that start is "too soon" by the clock, not by the hold.
    await replace_business(parse_business(CLINIC.replace("requires: [[ana]]", _NOTICE)))
    hold = await setup.service.hold("solo", at(MONDAY, 10), owner="chat-1")
    setup.clock.advance(minutes=2)
    with pytest.raises(NotASlot) as caught:
        await setup.service.hold("solo", at(MONDAY, 10), owner="chat-2")
    assert "too_soon" in {r.code for r in caught.value.explanation.reasons}
    info = await setup.service.confirm(hold.token, ALICE, owner="chat-1")
    assert info.start == at(MONDAY, 10)


_NOTICE = "requires: [[ana]], min_notice_min: 120"


async def test_a_hold_whose_resource_was_booked_meanwhile_is_refused_at_confirm(
    setup: Setup,
) -> None:
    # A hold does not stop the database: a writer that ignores holds (an import, a
    # process without the hold store) can still take the time; confirm re-checks.
    hold = await setup.service.hold("solo", at(TUESDAY, 10), owner="chat-1")
    blind = BookingService(None, clock=setup.clock)
    await blind.book("solo", at(TUESDAY, 10), customer(2))
    with pytest.raises(SlotTaken) as caught:
        await setup.service.confirm(hold.token, ALICE, owner="chat-1")
    assert caught.value.alternatives
    assert await count("booking") == 1


class DownStore(MemoryHoldStore):
    """A hold store whose server is gone: every call fails as the Redis store's would."""

    async def take(self, *args: object, **kwargs: object) -> bool:
        raise HoldStoreUnavailable("connection refused")

    async def get(self, *args: object, **kwargs: object) -> Hold | None:
        raise HoldStoreUnavailable("connection refused")

    async def release(self, *args: object, **kwargs: object) -> bool:
        raise HoldStoreUnavailable("connection refused")

    async def overlapping(self, *args: object, **kwargs: object) -> list[Hold]:
        raise HoldStoreUnavailable("connection refused")


@pytest.mark.parametrize("store", [None, DownStore()], ids=["no-store", "store-down"])
async def test_holds_off_still_book_through_the_database(
    db: TestDatabase, store: MemoryHoldStore | None, caplog: pytest.LogCaptureFixture
) -> None:
    await load_clinic()
    clock = Clock()
    service = BookingService(store, clock=clock)
    with caplog.at_level(logging.WARNING, logger="core.bookings"):
        hold = await service.hold("solo", at(TUESDAY, 10), owner="chat-1")
    assert "holds are off" in caplog.text
    assert hold.resources == ("ana",)
    with pytest.raises(HoldExpired):  # signed for chat-1: to anyone else an unknown hold
        await service.confirm(hold.token, ALICE, owner="chat-2")
    second = await service.hold("solo", at(TUESDAY, 10), owner="chat-2")  # not kept out
    info = await service.confirm(hold.token, ALICE, owner="chat-1")
    assert info.start == at(TUESDAY, 10)
    with pytest.raises(SlotTaken):  # the database still refuses the second
        await service.confirm(second.token, customer(2), owner="chat-2")
    await service.release(second.token, owner="chat-2")  # nothing stored, nothing to do
    clock.advance(minutes=10)
    with pytest.raises(HoldExpired):
        await service.confirm(second.token, customer(2), owner="chat-2")
    with pytest.raises(HoldExpired):
        await service.confirm("u2.garbage", customer(2), owner="chat-2")
    assert await count("booking") == 1


async def test_the_admin_can_book_for_a_customer_and_is_named_in_history(setup: Setup) -> None:
    info = await setup.service.book(
        "cut", at(TUESDAY, 10), ALICE, actor=Actor("staff", "Ben", "slack"), channel="slack"
    )
    history = await m.BookingHistory.get(booking_id=info.id)
    assert (history.actor, history.channel) == ("staff:Ben", "slack")


async def test_holds_in_redis_keep_a_slot_from_a_second_service_process(
    db: TestDatabase, redis_url: str
) -> None:
    """Two service instances (two processes, say) sharing Redis see each other's holds."""
    await load_clinic()
    prefix = f"test-{secrets.token_hex(4)}"
    first, second = (
        RedisHoldStore.from_url(redis_url, prefix=prefix),
        RedisHoldStore.from_url(redis_url, prefix=prefix),
    )
    try:
        clock = Clock()
        mine, theirs = BookingService(first, clock=clock), BookingService(second, clock=clock)
        hold = await mine.hold("solo", at(TUESDAY, 10), owner="chat-1")
        assert at(TUESDAY, 10) not in [
            s.start for s in await theirs.offer("solo", TUESDAY, TUESDAY)
        ]
        with pytest.raises(SlotTaken):
            await theirs.hold("solo", at(TUESDAY, 10), owner="chat-2")
        info = await theirs.confirm(hold.token, ALICE, owner="chat-1")
        assert info.start == at(TUESDAY, 10)
        assert await first.get(hold.token, NOW) is None
    finally:
        await first.close()
        await second.close()
