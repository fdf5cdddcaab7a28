"""Cancelling and moving bookings under the service's policy, series, and the waitlist."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core import models as m
from core.bookings import Actor, BookingService, Recurrence
from core.businessfile import parse_business
from core.engine import UnknownProvider, UnknownService
from core.errors import (
    InvalidRequest,
    NotASlot,
    NotFound,
    PolicyViolation,
    SeriesConflict,
    SlotTaken,
)
from core.store import replace_business
from tests.conftest import TestDatabase
from tests.core.test_booking import (
    ALICE,
    CLINIC,
    TUESDAY,
    Clock,
    Setup,
    assert_capacity_never_exceeded,
    at,
    count,
    customer,
    make_setup,
)

CUSTOMER = Actor("customer", "Alice", "telegram")
STAFF = Actor("staff", "Ben", "slack")
ADMIN = Actor("admin", "Root", "admin")
WEDNESDAY = TUESDAY + timedelta(days=1)


@pytest.fixture
async def setup(db: TestDatabase) -> Setup:
    return await make_setup()


async def outbox_kinds(booking_id: int) -> list[str]:
    rows = (
        await m.Outbox.filter(booking_id=booking_id).order_by("id").values_list("kind", flat=True)
    )
    return list(rows)


# --- cancel -------------------------------------------------------------------------------


async def test_cancel_frees_the_time_and_queues_its_messages(setup: Setup) -> None:
    service = setup.service
    info = await service.book("cut", at(TUESDAY, 10), ALICE)
    done = await service.cancel(info.manage_token, actor=CUSTOMER, reason="ill")
    assert done.status == "cancelled"
    assert await service.get(info.manage_token) == done
    assert await count("booking_resource", "active") == 0
    offered = [s.start for s in await service.offer("cut", TUESDAY, TUESDAY, provider="ana")]
    assert at(TUESDAY, 10) in offered
    history = await m.BookingHistory.filter(booking_id=info.id).order_by("id")
    assert [(h.action, h.actor, h.channel) for h in history] == [
        ("booked", "customer:Alice", "api"),
        ("cancelled", "customer:Alice", "telegram"),
    ]
    assert history[1].data["reason"] == "ill"
    assert history[1].data["override"] is False
    assert await outbox_kinds(info.id) == [
        "customer_confirmation",
        "staff_notice",
        "customer_cancellation",
        "staff_cancellation",
        "capacity_freed",  # the waitlist cascade's turn (core.bookings.cascade)
    ]  # the reminders are gone
    # Cancelling again changes nothing.
    assert await service.cancel(info.manage_token, actor=CUSTOMER) == done
    assert await count("booking_history") == 2
    assert await service.book("cut", at(TUESDAY, 10), customer(2), provider="ana")
    await assert_capacity_never_exceeded()


async def test_cancel_too_late_is_refused_unless_an_admin_overrides(setup: Setup) -> None:
    service = setup.service
    info = await service.book("cut", at(TUESDAY, 10), ALICE)
    setup.clock.now = at(TUESDAY, 8, 30)  # 90 minutes before; the notice is 120
    with pytest.raises(PolicyViolation) as caught:
        await service.cancel(info.manage_token, actor=CUSTOMER)
    assert caught.value.field == "cancel_notice_min"
    assert "2 hours" in caught.value.message
    with pytest.raises(PolicyViolation) as staff:
        await service.cancel(info.manage_token, actor=STAFF, override=True)
    assert staff.value.field == "override"
    assert (await service.get(info.manage_token)).status == "confirmed"
    done = await service.cancel(info.manage_token, actor=ADMIN, reason="closing", override=True)
    assert done.status == "cancelled"
    last = await m.BookingHistory.filter(booking_id=info.id).order_by("-id").first()
    assert last is not None
    assert (last.action, last.actor, last.data["override"]) == ("cancelled", "admin:Root", True)


async def test_no_changes_in_a_blackout(setup: Setup) -> None:
    service = setup.service
    setup.clock.now = datetime(2026, 12, 23, 12, tzinfo=UTC)
    info = await service.book("cut", datetime(2026, 12, 29, 10, tzinfo=UTC), ALICE)
    setup.clock.now = datetime(2026, 12, 24, 12, tzinfo=UTC)  # the holidays
    with pytest.raises(PolicyViolation) as caught:
        await service.cancel(info.manage_token, actor=CUSTOMER)
    assert caught.value.field == "blackouts"
    assert "holidays" in caught.value.message
    with pytest.raises(PolicyViolation):
        await service.reschedule(
            info.manage_token, datetime(2026, 12, 29, 11, tzinfo=UTC), actor=CUSTOMER
        )
    setup.clock.now = datetime(2026, 12, 27, 0, tzinfo=UTC)  # half-open: over
    assert (await service.cancel(info.manage_token, actor=CUSTOMER)).status == "cancelled"


async def test_a_past_booking_cannot_be_cancelled(setup: Setup) -> None:
    info = await setup.service.book("solo", at(TUESDAY, 10), ALICE)
    setup.clock.now = at(TUESDAY, 10)
    with pytest.raises(PolicyViolation) as caught:
        await setup.service.cancel(info.manage_token, actor=CUSTOMER)
    assert caught.value.field == "start"


async def test_unknown_tokens_are_not_found(setup: Setup) -> None:
    with pytest.raises(NotFound):
        await setup.service.get("nope")
    with pytest.raises(NotFound):
        await setup.service.get("x" * 5000)  # longer than any token: found by nobody
    with pytest.raises(NotFound):
        await setup.service.leave_waitlist("x" * 5000)
    with pytest.raises(NotFound):
        await setup.service.cancel("nope", actor=CUSTOMER)
    with pytest.raises(NotFound):
        await setup.service.reschedule("nope", at(TUESDAY, 10), actor=CUSTOMER)


# --- reschedule ---------------------------------------------------------------------------


async def test_reschedule_moves_the_booking_and_its_messages(setup: Setup) -> None:
    service = setup.service
    info = await service.book("massage", at(TUESDAY, 10), ALICE)
    moved = await service.reschedule(info.manage_token, at(TUESDAY, 14, 15), actor=CUSTOMER)
    assert (moved.id, moved.manage_token) == (info.id, info.manage_token)
    assert (moved.start, moved.end) == (at(TUESDAY, 14, 15), at(TUESDAY, 15))
    assert (moved.resources, moved.reschedule_count) == (("ana", "room"), 1)
    assert await service.get(info.manage_token) == moved
    occupancy = await m.BookingResource.filter(booking_id=info.id).order_by("position")
    assert [(o.occupied_start, o.occupied_end, o.active) for o in occupancy] == [
        (at(TUESDAY, 14, 15), at(TUESDAY, 15, 15), True),
        (at(TUESDAY, 14, 15), at(TUESDAY, 15, 15), True),
    ]
    last = await m.BookingHistory.filter(booking_id=info.id).order_by("-id").first()
    assert last is not None
    assert last.action == "rescheduled"
    assert (last.data["from"], last.data["to"]) == (
        at(TUESDAY, 10).isoformat(),
        at(TUESDAY, 14, 15).isoformat(),
    )
    reminders = await m.Outbox.filter(
        booking_id=info.id, kind="reminder", dedup_key__contains=":reminder:120:"
    ).values_list("available_at", flat=True)
    assert list(reminders) == [at(TUESDAY, 12, 15)]
    assert "customer_rescheduled" in await outbox_kinds(info.id)
    # The old time is free again.
    assert await service.book("massage", at(TUESDAY, 10), customer(2), provider="ana")
    await assert_capacity_never_exceeded()


async def test_a_booking_can_move_into_its_own_old_window(setup: Setup) -> None:
    info = await setup.service.book("massage", at(TUESDAY, 10), ALICE)
    moved = await setup.service.reschedule(info.manage_token, at(TUESDAY, 10, 15), actor=STAFF)
    assert (moved.start, moved.resources) == (at(TUESDAY, 10, 15), ("ana", "room"))
    await assert_capacity_never_exceeded()


async def test_a_failed_reschedule_leaves_the_booking_untouched(setup: Setup) -> None:
    service = setup.service
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    await service.book("solo", at(TUESDAY, 12), customer(2))
    outbox_before = await m.Outbox.filter(booking_id=info.id).order_by("id").values()
    occupancy_before = await m.BookingResource.filter(booking_id=info.id).values()
    with pytest.raises(SlotTaken) as taken:
        await service.reschedule(info.manage_token, at(TUESDAY, 12), actor=CUSTOMER)
    assert at(TUESDAY, 11) in [s.start for s in taken.value.alternatives]
    with pytest.raises(NotASlot):
        await service.reschedule(info.manage_token, at(TUESDAY, 20), actor=CUSTOMER)
    assert await service.get(info.manage_token) == info
    assert await m.Outbox.filter(booking_id=info.id).order_by("id").values() == outbox_before
    assert await m.BookingResource.filter(booking_id=info.id).values() == occupancy_before
    assert await count("booking_history", f"booking_id = {info.id}") == 1


async def test_reschedule_keeps_the_staff_when_free_and_changes_it_when_not(
    setup: Setup,
) -> None:
    service = setup.service
    info = await service.book("cut", at(TUESDAY, 10), ALICE, provider="ben")
    moved = await service.reschedule(info.manage_token, at(TUESDAY, 11), actor=CUSTOMER)
    assert moved.resources == ("ben",)  # ana comes first in the pool, but ben is kept
    await service.book("cut", at(TUESDAY, 12), customer(2), provider="ben")
    moved = await service.reschedule(info.manage_token, at(TUESDAY, 12), actor=CUSTOMER)
    assert moved.resources == ("ana",)


async def test_the_number_of_moves_and_the_notice_are_limited(setup: Setup) -> None:
    service = setup.service
    info = await service.book("cut", at(TUESDAY, 10), ALICE)
    await service.reschedule(info.manage_token, at(TUESDAY, 11), actor=CUSTOMER)
    await service.reschedule(info.manage_token, at(TUESDAY, 12), actor=CUSTOMER)
    with pytest.raises(PolicyViolation) as caught:
        await service.reschedule(info.manage_token, at(TUESDAY, 13), actor=CUSTOMER)
    assert caught.value.field == "max_reschedules"
    moved = await service.reschedule(info.manage_token, at(TUESDAY, 13), actor=ADMIN, override=True)
    assert moved.reschedule_count == 3
    last = await m.BookingHistory.filter(booking_id=info.id).order_by("-id").first()
    assert last is not None
    assert last.data["override"] is True
    other = await service.book("cut", at(TUESDAY, 16), customer(2))
    setup.clock.now = at(TUESDAY, 15, 30)  # 30 minutes before; the notice is 60
    with pytest.raises(PolicyViolation) as late:
        await service.reschedule(other.manage_token, at(WEDNESDAY, 10), actor=CUSTOMER)
    assert late.value.field == "reschedule_notice_min"


async def test_a_cancelled_booking_cannot_be_moved(setup: Setup) -> None:
    info = await setup.service.book("cut", at(TUESDAY, 10), ALICE)
    await setup.service.cancel(info.manage_token, actor=CUSTOMER)
    with pytest.raises(PolicyViolation) as caught:
        await setup.service.reschedule(info.manage_token, at(TUESDAY, 11), actor=CUSTOMER)
    assert caught.value.field == "status"


# --- recurring ----------------------------------------------------------------------------


async def test_a_weekly_series_is_booked_whole(setup: Setup) -> None:
    series = await setup.service.book_series(
        "cut", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(4), idempotency_key="s-1"
    )
    assert [b.start for b in series.bookings] == [
        at(TUESDAY + timedelta(weeks=k), 10) for k in range(4)
    ]
    assert {b.series_id for b in series.bookings} == {series.id}
    assert {b.resources for b in series.bookings} == {("ana",)}
    assert (series.frequency, series.interval_days, series.count) == ("weekly", 7, 4)
    first = series.bookings[0]
    history = await m.BookingHistory.get(booking_id=first.id)
    assert history.data["series_id"] == series.id
    confirmation = await m.Outbox.get(booking_id=first.id, kind="customer_confirmation")
    assert confirmation.payload["series_id"] == series.id
    again = await setup.service.book_series(
        "cut", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(4), idempotency_key="s-1"
    )
    assert again == series
    assert await count("booking") == 4
    assert await count("booking_series") == 1
    assert await setup.service.series(series.bookings[2].manage_token) == series


async def test_other_frequencies(setup: Setup) -> None:
    biweekly = await setup.service.book_series(
        "solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.biweekly(3)
    )
    assert [b.start.date() for b in biweekly.bookings] == [
        TUESDAY,
        TUESDAY + timedelta(days=14),
        TUESDAY + timedelta(days=28),
    ]
    every = await setup.service.book_series(
        "solo", at(TUESDAY, 12), ALICE, recurrence=Recurrence.every(1, 4)
    )
    assert [b.start.date() for b in every.bookings] == [
        TUESDAY + timedelta(days=k) for k in range(4)
    ]
    with pytest.raises(InvalidRequest) as caught:
        await setup.service.book_series(
            "solo", at(TUESDAY, 12), ALICE, recurrence=Recurrence.every(0, 4)
        )
    assert caught.value.field == "recurrence.every_days"
    with pytest.raises(InvalidRequest):
        await setup.service.book_series(
            "solo", at(TUESDAY, 12), ALICE, recurrence=Recurrence.weekly(0)
        )


async def test_a_series_with_conflicts_books_nothing_and_says_where(setup: Setup) -> None:
    service = setup.service
    taken = TUESDAY + timedelta(weeks=2)
    await service.book("solo", at(taken, 10), customer(9))
    before = await count("booking")
    with pytest.raises(SeriesConflict) as caught:
        await service.book_series("solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(4))
    error = caught.value
    assert [c.start for c in error.conflicts] == [at(taken, 10)]
    conflict = error.conflicts[0]
    assert conflict.code == "slot_taken"
    assert [s.start for s in conflict.alternatives][:2] in (
        [at(taken, 9), at(taken, 11)],
        [at(taken, 11), at(taken, 9)],
    )
    assert str(taken) in error.message
    assert await count("booking") == before
    assert await count("booking_series") == 0


async def test_a_closed_date_is_a_not_a_slot_conflict_with_its_explanation(
    db: TestDatabase,
) -> None:
    text = CLINIC_WITH_HOLIDAY
    await replace_business(parse_business(text))
    service = BookingService(clock=Clock())
    with pytest.raises(SeriesConflict) as caught:
        await service.book_series("solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(3))
    (conflict,) = caught.value.conflicts
    assert conflict.start == at(TUESDAY + timedelta(weeks=1), 10)
    assert conflict.code == "not_a_slot"
    assert conflict.explanation is not None
    assert {r.code for r in conflict.explanation.reasons} == {"closed"}
    assert conflict.alternatives
    assert all(s.start.date() != conflict.start.date() for s in conflict.alternatives)
    assert await count("booking") == 0


async def test_a_series_keeps_local_time_across_a_clock_change(db: TestDatabase) -> None:
    await replace_business(parse_business(BERLIN))
    service = BookingService(clock=Clock(datetime(2027, 3, 1, tzinfo=UTC)))
    sunday = datetime(2027, 3, 21, 9, tzinfo=UTC)  # 10:00 in Berlin (CET)
    series = await service.book_series("visit", sunday, ALICE, recurrence=Recurrence.weekly(2))
    assert [b.start for b in series.bookings] == [sunday, datetime(2027, 3, 28, 8, tzinfo=UTC)]
    night = datetime(2027, 3, 21, 1, 30, tzinfo=UTC)  # 02:30 in Berlin: gone on 28 March
    with pytest.raises(SeriesConflict) as caught:
        await service.book_series("visit", night, ALICE, recurrence=Recurrence.weekly(3))
    (conflict,) = caught.value.conflicts
    assert conflict.code == "not_a_slot"
    assert "does not exist" in conflict.message
    assert conflict.start.date() == date(2027, 3, 28)
    assert await count("booking") == 2


async def test_a_series_is_cancelled_whole_or_one_at_a_time(setup: Setup) -> None:
    service = setup.service
    series = await service.book_series(
        "solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(4)
    )
    first, second, *_ = series.bookings
    one = await service.cancel(second.manage_token, actor=CUSTOMER)
    assert one.status == "cancelled"
    setup.clock.now = at(TUESDAY, 12)  # the first is over
    after = await service.cancel_series(first.manage_token, actor=CUSTOMER, reason="moving")
    assert [b.status for b in after.bookings] == [
        "confirmed",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    assert await count("booking_resource", "active") == 1
    await assert_capacity_never_exceeded()


async def test_a_series_cancel_is_all_or_nothing_under_the_policy(setup: Setup) -> None:
    service = setup.service
    series = await service.book_series(
        "cut", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(3)
    )
    setup.clock.now = at(TUESDAY, 9)  # the first is within the 2-hour notice
    with pytest.raises(PolicyViolation):
        await service.cancel_series(series.bookings[0].manage_token, actor=CUSTOMER)
    assert await count("booking", "status = 'cancelled'") == 0
    done = await service.cancel_series(series.bookings[0].manage_token, actor=ADMIN, override=True)
    assert {b.status for b in done.bookings} == {"cancelled"}


async def test_a_series_moves_whole_or_one_at_a_time(setup: Setup) -> None:
    service = setup.service
    series = await service.book_series(
        "solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(3)
    )
    first, second, _ = series.bookings
    moved = await service.reschedule(
        second.manage_token, at(WEDNESDAY + timedelta(weeks=1), 9), actor=CUSTOMER
    )
    assert moved.series_id == series.id
    whole = await service.reschedule_series(first.manage_token, at(TUESDAY, 14), actor=CUSTOMER)
    assert [b.start for b in whole.bookings] == [
        at(TUESDAY, 14),
        at(WEDNESDAY + timedelta(weeks=1), 13),
        at(TUESDAY + timedelta(weeks=2), 14),
    ]
    assert [b.reschedule_count for b in whole.bookings] == [1, 2, 1]
    await assert_capacity_never_exceeded()


async def test_a_series_move_with_a_conflict_moves_nothing(setup: Setup) -> None:
    service = setup.service
    series = await service.book_series(
        "solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.weekly(3)
    )
    blocker = await service.book("solo", at(TUESDAY + timedelta(weeks=2), 11), customer(2))
    with pytest.raises(SeriesConflict) as caught:
        await service.reschedule_series(
            series.bookings[0].manage_token, at(TUESDAY, 11), actor=CUSTOMER
        )
    assert [c.start for c in caught.value.conflicts] == [at(TUESDAY + timedelta(weeks=2), 11)]
    assert await service.series(series.bookings[0].manage_token) == series
    assert (await service.get(blocker.manage_token)).start == blocker.start


async def test_a_series_can_move_by_one_day_over_its_own_times(setup: Setup) -> None:
    service = setup.service
    series = await service.book_series(
        "solo", at(TUESDAY, 10), ALICE, recurrence=Recurrence.every(1, 3)
    )
    moved = await service.reschedule_series(
        series.bookings[0].manage_token, at(WEDNESDAY, 10), actor=STAFF
    )
    assert [b.start for b in moved.bookings] == [
        at(TUESDAY + timedelta(days=k), 10) for k in (1, 2, 3)
    ]
    await assert_capacity_never_exceeded()


# --- waitlist -----------------------------------------------------------------------------


async def test_waitlist_join_list_leave(setup: Setup) -> None:
    service = setup.service
    one = await service.join_waitlist("cut", at(TUESDAY, 9), at(TUESDAY, 12), ALICE, provider="ana")
    two = await service.join_waitlist("solo", at(WEDNESDAY, 9), at(WEDNESDAY, 17), customer(2))
    assert (one.service_id, one.provider, one.customer_name) == ("cut", "ana", "Alice")
    assert [e.id for e in await service.waitlist()] == [one.id, two.id]
    assert [e.id for e in await service.waitlist("cut")] == [one.id]
    assert [e.id for e in await service.waitlist(provider="ana")] == [one.id]
    assert [e.id for e in await service.waitlist(start=at(WEDNESDAY, 0))] == [two.id]
    assert [e.id for e in await service.waitlist(end=at(TUESDAY, 10))] == [one.id]
    await service.leave_waitlist(one.token)
    assert [e.id for e in await service.waitlist()] == [two.id]
    with pytest.raises(NotFound):
        await service.leave_waitlist(one.token)


async def test_waitlist_refuses_bad_entries(setup: Setup) -> None:
    service = setup.service
    with pytest.raises(InvalidRequest) as caught:
        await service.join_waitlist("cut", at(TUESDAY, 12), at(TUESDAY, 9), ALICE)
    assert caught.value.field == "wished_end"
    with pytest.raises(UnknownService):
        await service.join_waitlist("nails", at(TUESDAY, 9), at(TUESDAY, 12), ALICE)
    with pytest.raises(UnknownProvider):
        await service.join_waitlist("cut", at(TUESDAY, 9), at(TUESDAY, 12), ALICE, provider="room")
    assert await count("waitlist_entry") == 0
    assert await count("customer") == 0


CLINIC_WITH_HOLIDAY = CLINIC.replace(
    "{id: ana, name: Ana,", '{id: ana, name: Ana, date_overrides: {"2026-12-08": []},'
)

BERLIN = """
business: {name: Berlin, timezone: Europe/Berlin}
resources:
  - id: desk
    name: Desk
    weekly_hours: {sun: [["00:00", "24:00"]]}
services:
  - {id: visit, name: Visit, duration_min: 30, requires: [[desk]]}
"""
