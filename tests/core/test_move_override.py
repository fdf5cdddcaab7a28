"""An admin's override on a move: it passes the service's notice and booking window, never
the hours, a block, capacity or another booking; the reason is kept in the history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import models as m
from core.bookings import Actor
from core.errors import NotASlot, SlotUnavailable
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, TUESDAY, Setup, at, customer, make_setup

ADMIN = Actor("admin", "Root", "admin")
FAR = TUESDAY + timedelta(days=70)  # a Tuesday beyond the 60 days the service is booked ahead


@pytest.fixture
async def setup(db: TestDatabase) -> Setup:
    return await make_setup()


async def test_the_override_passes_the_booking_window_and_keeps_the_reason(setup: Setup) -> None:
    service = setup.service
    info = await service.book("cut", at(TUESDAY, 10), ALICE, provider="ana")
    with pytest.raises(NotASlot) as refused:
        await service.reschedule(info.manage_token, at(FAR, 10), actor=ADMIN, reason="abroad")
    assert [r.code for r in refused.value.explanation.reasons] == ["too_far"]
    moved = await service.reschedule(
        info.manage_token, at(FAR, 10), actor=ADMIN, override=True, reason="abroad until then"
    )
    assert moved.start == at(FAR, 10)
    last = await m.BookingHistory.filter(booking_id=info.id).order_by("-id").first()
    assert last is not None
    assert last.data["reason"] == "abroad until then"
    assert last.data["override"] is True


async def test_the_override_never_passes_hours_or_another_booking(setup: Setup) -> None:
    service = setup.service
    info = await service.book("cut", at(TUESDAY, 10), ALICE, provider="ana")
    await service.book("cut", at(TUESDAY, 11), customer(2), provider="ana")
    with pytest.raises(SlotUnavailable):
        await service.reschedule(
            info.manage_token, at(TUESDAY, 11), actor=ADMIN, override=True, provider="ana"
        )
    with pytest.raises(NotASlot) as closed:
        await service.reschedule(info.manage_token, at(TUESDAY, 20), actor=ADMIN, override=True)
    assert {r.code for r in closed.value.explanation.reasons} == {"closed"}
    assert (await service.get(info.manage_token)).start == at(TUESDAY, 10)
