"""Rules kept for one chat turn (``BookingService.rules_kept``): read once, but the busy
time and the holds of every offer inside it are read afresh."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.bookings import Actor, BookingService
from core.errors import NotASlot
from core.rules import add_block
from tests.conftest import TestDatabase
from tests.core.test_booking import TUESDAY, Setup, at, customer, make_setup

STAFF = Actor("staff", "Ana", "slack")


@pytest.fixture(params=["holds", "no holds"])
async def setup(request: pytest.FixtureRequest, db: TestDatabase) -> Setup:
    made = await make_setup()
    if request.param == "no holds":  # the other branch of the snapshot: one transaction
        return Setup(BookingService(None, clock=made.clock), made.clock)
    return made


async def starts(service: BookingService, owner: str | None = None) -> list[datetime]:
    return [s.start for s in await service.offer("solo", TUESDAY, TUESDAY, owner=owner)]


async def test_a_slot_booked_meanwhile_is_not_offered_again_in_the_same_turn(
    setup: Setup,
) -> None:
    other = BookingService(setup.holds, clock=setup.clock)  # another process, say
    with setup.service.rules_kept():
        assert at(TUESDAY, 10) in await starts(setup.service)
        await other.book("solo", at(TUESDAY, 10), customer(1))
        assert at(TUESDAY, 10) not in await starts(setup.service)
        await other.hold("solo", at(TUESDAY, 11), owner="someone else")
        free = await starts(setup.service)
        if setup.service._looking._leases.store is not None:
            assert at(TUESDAY, 11) not in free  # a live hold counts
        why = await setup.service.snapshot("solo", TUESDAY, TUESDAY)
        assert any(b.start == at(TUESDAY, 10) for b in why.busy)


async def test_rules_are_as_the_turn_found_them_and_new_after_it(setup: Setup) -> None:
    block = {"start": "2026-12-01T13:00", "end": "2026-12-01T15:00", "reason": "training"}
    with setup.service.rules_kept():
        assert at(TUESDAY, 13) in await starts(setup.service)
        await add_block("ana", block, actor=STAFF, now=setup.clock())
        assert at(TUESDAY, 13) in await starts(setup.service)  # one turn, one set of rules
        with pytest.raises(NotASlot, match="blocked"):  # a booking reads the rules anew
            await setup.service.book("solo", at(TUESDAY, 13), customer(2))
    assert at(TUESDAY, 13) not in await starts(setup.service)
    with setup.service.rules_kept():
        assert at(TUESDAY, 13) not in await starts(setup.service)  # a new turn reads anew
