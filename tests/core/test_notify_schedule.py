"""When a booking's messages go (core/bookings/outbox.py): the service's reminder offsets,
quiet hours in the customer's zone, and what is held back, decided when they are queued."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import models as m
from core.bookings import Actor, BookingService
from core.rules import set_quiet_hours, set_reminders
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, MONDAY, NOW, TUESDAY, Clock, at, load_clinic

WEDNESDAY = date(2026, 12, 2)
ADMIN = Actor("admin", "Ada", "admin")
STAFF = Actor("staff", "Ana", "slack")
CUSTOMER = Actor("customer", "Alice", "web")
AUCKLAND = replace(ALICE, timezone="Pacific/Auckland")  # UTC+13 in December


async def rows(booking_id: int) -> list[tuple[str, Any, datetime]]:
    found = await m.Outbox.filter(booking_id=booking_id).order_by("available_at", "id")
    return [(o.kind, o.payload.get("offset_min"), o.available_at) for o in found]


async def test_a_service_sets_its_own_reminders(db: TestDatabase) -> None:
    await load_clinic()
    await set_reminders("solo", [30, 2880], actor=ADMIN)
    await set_reminders("cut", [], actor=ADMIN)
    service = BookingService(None, clock=Clock())
    solo = await service.book("solo", at(WEDNESDAY, 10), ALICE)
    assert [r for r in await rows(solo.id) if r[0] == "reminder"] == [
        ("reminder", 2880, at(MONDAY, 10)),
        ("reminder", 30, at(WEDNESDAY, 9, 30)),
    ]
    cut = await service.book("cut", at(WEDNESDAY, 10), ALICE)
    assert sorted(kind for kind, _, _ in await rows(cut.id)) == [
        "customer_confirmation",
        "staff_notice",
    ]


async def test_reminders_avoid_quiet_hours_in_the_customers_zone(db: TestDatabase) -> None:
    await load_clinic()  # the business is in UTC; its quiet hours are the default
    service = BookingService(None, clock=Clock())
    here = await service.book("solo", at(WEDNESDAY, 10), ALICE)
    assert [r for r in await rows(here.id) if r[0] == "reminder"] == [
        ("reminder", 1440, at(TUESDAY, 10)),
        ("reminder", 120, at(WEDNESDAY, 8)),
    ]
    # In Auckland 10:00 UTC on Tuesday is 23:00, and 08:00 UTC on Wednesday is 21:00:
    # both quiet there, so each goes at 20:59 Auckland time (07:59 UTC), separately.
    away = await service.book("solo", at(WEDNESDAY, 11), AUCKLAND)
    assert [r for r in await rows(away.id) if r[0] == "reminder"] == [
        ("reminder", 1440, at(TUESDAY, 7, 59)),
        ("reminder", 120, at(WEDNESDAY, 7, 59)),
    ]


async def test_a_reminder_quiet_hours_would_push_into_the_past_is_not_queued(
    db: TestDatabase,
) -> None:
    await load_clinic()
    # NOW is Monday 08:00 UTC, 21:00 in Auckland: the 24 h reminder of a Tuesday 10:00
    # booking falls at 23:00 there, and the last minute before quiet hours has passed.
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), AUCKLAND)
    assert [r for r in await rows(info.id) if r[0] == "reminder"] == [
        ("reminder", 120, at(MONDAY, 7, 59) + timedelta(days=1)),
    ]


async def test_the_business_sets_its_quiet_hours(db: TestDatabase) -> None:
    await load_clinic()
    await set_quiet_hours("07:00", "09:00", actor=ADMIN)
    info = await BookingService(None, clock=Clock()).book("solo", at(WEDNESDAY, 10), ALICE)
    assert [r for r in await rows(info.id) if r[0] == "reminder"] == [
        ("reminder", 1440, at(TUESDAY, 10)),
        ("reminder", 120, at(WEDNESDAY, 6, 59)),
    ]


async def test_what_staff_did_waits_for_the_morning_what_the_customer_did_goes_at_once(
    db: TestDatabase,
) -> None:
    await load_clinic()
    service = BookingService(None, clock=Clock())  # 21:00 in Auckland: quiet there
    theirs = await service.book("solo", at(TUESDAY, 10), AUCKLAND)
    await service.cancel(theirs.manage_token, actor=CUSTOMER)
    by_staff = await service.book("solo", at(TUESDAY, 12), AUCKLAND)
    await service.cancel(by_staff.manage_token, actor=STAFF)
    moved = await service.book("solo", at(TUESDAY, 14), AUCKLAND)
    await service.reschedule(moved.manage_token, at(TUESDAY, 15), actor=STAFF)
    morning = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # 08:00 on Tuesday in Auckland

    async def when(booking_id: int, kind: str) -> datetime:
        row = await m.Outbox.get(booking_id=booking_id, kind=kind)
        return row.available_at

    assert await when(theirs.id, "customer_cancellation") == NOW
    assert await when(by_staff.id, "customer_cancellation") == morning
    assert await when(by_staff.id, "staff_cancellation") == NOW  # the staff hear at once
    assert await when(moved.id, "customer_rescheduled") == morning
    assert await when(moved.id, "staff_rescheduled") == NOW
    assert await when(theirs.id, "customer_confirmation") == NOW
