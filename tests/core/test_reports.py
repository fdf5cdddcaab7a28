"""The reports on a small business worked out by hand, on SQLite and PostgreSQL.

The business is in Berlin (UTC+1 in winter), so a figure placed on the wrong day or hour
by a forgotten timezone shows. The period is Monday 30 November to Friday 4 December
2026. Each booking's comment says what it is there to check; the numbers each test
expects are worked out from this table, in the test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core import models as m
from core.businessfile import parse_business
from core.reports import (
    LEAD_BUCKETS,
    Outcome,
    Period,
    Tally,
    by_channel,
    by_service,
    default_period,
    empty_time,
    lead_times,
    outcomes,
    peak_hours,
    utilization,
)
from core.store import replace_business
from tests.conftest import TestDatabase

BERLIN = ZoneInfo("Europe/Berlin")
PERIOD = Period(date(2026, 11, 30), date(2026, 12, 4), "Europe/Berlin")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=BERLIN)  # Wednesday noon, local

BUSINESS = """
business: {name: Report studio, timezone: Europe/Berlin}
resources:
  - id: ana
    name: Ana
    weekly_hours: {mon: [["09:00", "17:00"]], tue: [["09:00", "17:00"]],
      wed: [["09:00", "17:00"]], thu: [["09:00", "17:00"]], fri: [["09:00", "17:00"]]}
    blocks: [{start: "2026-12-02T12:00", end: "2026-12-02T13:00"}]
  - {id: bo, name: Bo, weekly_hours: {mon: [["10:00", "14:00"]], wed: [["10:00", "14:00"]]}}
  - id: room
    name: Room
    kind: room
    capacity: 2
    weekly_hours: {mon: [["09:00", "13:00"]], tue: [["09:00", "13:00"]],
      wed: [["09:00", "13:00"]], thu: [["09:00", "13:00"]], fri: [["09:00", "13:00"]]}
services:
  - {id: cut, name: Haircut, duration_min: 60, requires: [[ana, bo]]}
  - {id: class, name: Class, duration_min: 30, requires: [[room]]}
  - {id: idle, name: Idle, duration_min: 30, requires: [[bo]]}
bookings:
"""

# token: (service, local start, resource, channel, status, made at (local))
BOOKINGS: dict[str, tuple[str, str, str, str, str, str | None]] = {
    # Monday: the busy morning.
    "b01-monday-nine-ana": ("cut", "2026-11-30T09:00", "ana", "telegram", "completed",
                            "2026-11-20T09:00"),  # 10 days ahead
    "b02-monday-ten-ana": ("cut", "2026-11-30T10:00", "ana", "web", "no_show",
                           "2026-11-30T08:30"),  # 90 minutes ahead; a no-show booked the time
    "b03-monday-ten-bo-": ("cut", "2026-11-30T10:00", "bo", "telegram", "confirmed",
                           "2026-11-29T10:00"),  # exactly a day ahead: the 1-2 days range
    "b04-tuesday-cancel": ("cut", "2026-12-01T14:00", "ana", "sms", "cancelled",
                           "2026-11-01T10:00"),  # cancelled: counted only as cancelled
    "b05-wednesday-late": ("cut", "2026-12-02T16:30", "ana", "web", "confirmed",
                           "2026-11-30T00:00"),  # half of it after Ana's hours
    "b06-monday-class-a": ("class", "2026-11-30T09:00", "room", "file", "confirmed",
                           None),  # imported: no lead time
    "b07-monday-class-b": ("class", "2026-11-30T09:00", "room", "telegram", "confirmed",
                           "2026-11-27T09:00"),  # the room's second seat; 3 days ahead
    "b08-thursday-class": ("class", "2026-12-03T12:30", "room", "web", "confirmed",
                           "2026-10-01T12:30"),  # 63 days ahead
    "b09-next-monday---": ("cut", "2026-12-07T09:00", "ana", "telegram", "confirmed",
                           "2026-11-20T09:00"),  # after the period
    "b10-friday-before-": ("cut", "2026-11-27T09:00", "ana", "telegram", "confirmed",
                           "2026-11-20T09:00"),  # before the period
}  # fmt: skip


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def business_file() -> str:
    """The business file of the business and its bookings (all confirmed, from a file)."""
    lines = [
        f'  - {{service: {service}, start: "{local(start).astimezone(UTC).isoformat()}", '
        f"resources: [{resource}], token: {token}}}"
        for token, (service, start, resource, *_) in BOOKINGS.items()
    ]
    return BUSINESS + "\n".join(lines) + "\n"


async def load_report_business() -> None:
    """The business with its bookings as the table says (channels, statuses, made at)."""
    await replace_business(parse_business(business_file()))
    for token, (*_, channel, status, made) in BOOKINGS.items():
        changes: dict[str, object] = {"source_channel": channel, "status": status}
        if made is not None:
            changes["created_at"] = local(made)
        await m.Booking.filter(manage_token=token).update(**changes)
        if status == "cancelled":
            booking = await m.Booking.get(manage_token=token)
            await m.BookingResource.filter(booking_id=booking.id).update(active=False)


@pytest.fixture
async def business(db: TestDatabase) -> None:
    await load_report_business()


def test_a_period_is_local_dates_both_included() -> None:
    assert PERIOD.days == 5
    assert PERIOD.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert PERIOD.end == datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    assert not PERIOD.weekly
    default = default_period(date(2026, 12, 1), "UTC")
    assert (default.first, default.last, default.days) == (
        date(2026, 11, 1),
        date(2026, 12, 30),
        60,
    )
    with pytest.raises(ValueError, match="ends on or after"):
        Period(date(2026, 12, 2), date(2026, 12, 1), "UTC")
    with pytest.raises(ValueError, match="at most 366"):
        Period(date(2026, 1, 1), date(2027, 1, 2), "UTC")


async def test_utilization_is_booked_over_open_minutes(business: None) -> None:
    found = {u.resource: u for u in await utilization(PERIOD)}
    assert list(found) == ["ana", "bo", "room"]
    # Ana: 5 days of 8 hours less the 1-hour block; b01, b02 (no-show), b05 (all of it).
    assert (found["ana"].open_min, found["ana"].booked_min) == (5 * 480 - 60, 180)
    assert found["ana"].share == pytest.approx(180 / 2340)
    # Bo: Monday and Wednesday, 4 hours each; b03.
    assert (found["bo"].open_min, found["bo"].booked_min, found["bo"].share) == (480, 60, 0.125)
    # The room: 5 mornings of 4 hours, 2 seats; b06, b07 and b08 take one seat for 30 minutes.
    assert (found["room"].open_min, found["room"].booked_min) == (1200, 90)
    assert found["room"].share == pytest.approx(90 / 2400)
    assert (found["room"].kind, found["ana"].kind) == ("room", "staff")


async def test_utilization_clips_bookings_to_the_period(business: None) -> None:
    monday = await utilization(Period(date(2026, 11, 30), date(2026, 11, 30), "Europe/Berlin"))
    assert {u.resource: u.booked_min for u in monday} == {"ana": 120, "bo": 60, "room": 60}
    # A booking across the period's end counts only its part inside: b05 moved to
    # Wednesday 23:30 - Thursday 00:30 counts 30 minutes of Wednesday.
    start, end = local("2026-12-02T23:30"), local("2026-12-03T00:30")
    booking = await m.Booking.get(manage_token="b05-wednesday-late")
    await m.Booking.filter(id=booking.id).update(start=start, end=end)
    await m.BookingResource.filter(booking_id=booking.id).update(
        appointment_start=start, appointment_end=end
    )
    wednesday = await utilization(Period(date(2026, 12, 2), date(2026, 12, 2), "Europe/Berlin"))
    assert {u.resource: u.booked_min for u in wednesday}["ana"] == 30
    thursday = await utilization(Period(date(2026, 12, 3), date(2026, 12, 3), "Europe/Berlin"))
    assert {u.resource: u.booked_min for u in thursday}["ana"] == 30


async def test_peak_hours_are_local_weekday_and_hour_of_the_start(business: None) -> None:
    grid = await peak_hours(PERIOD)
    assert len(grid) == 7
    assert all(len(day) == 24 for day in grid)
    cells = {(d, h): n for d, day in enumerate(grid) for h, n in enumerate(day) if n}
    # Monday 9:00 (b01, b06, b07), Monday 10:00 (b02, b03), Wednesday 16:00 (b05),
    # Thursday 12:00 (b08); the cancelled b04 is not there.
    assert cells == {(0, 9): 3, (0, 10): 2, (2, 16): 1, (3, 12): 1}


async def test_peak_hours_in_a_zone_half_an_hour_off(db: TestDatabase) -> None:
    await load_report_business()
    await m.Business.all().update(timezone="Asia/Kolkata")  # UTC+5:30
    grid = await peak_hours(Period(date(2026, 11, 30), date(2026, 12, 4), "Asia/Kolkata"))
    # b01 starts at 08:00 UTC: 13:30 in Kolkata, in the 13:00 hour.
    assert grid[0][13] == 3
    assert grid[0][14] == 2


async def test_bookings_by_channel_and_by_service(business: None) -> None:
    assert await by_channel(PERIOD) == [
        Tally("telegram", "telegram", total=3),  # b01, b03, b07
        Tally("web", "web", total=3, no_show=1),  # b02, b05, b08
        Tally("file", "file", total=1),  # b06
        Tally("sms", "sms", total=1, cancelled=1),  # b04
    ]
    services = await by_service(PERIOD)
    assert services == [
        Tally("cut", "Haircut", total=5, cancelled=1, no_show=1),
        Tally("class", "Class", total=3),
        Tally("idle", "Idle"),
    ]
    assert services[0].kept == 3


async def test_lead_times_leave_out_cancelled_and_imported_bookings(business: None) -> None:
    found = {b.key: b.count for b in await lead_times(PERIOD)}
    assert list(found) == [key for key, _, _ in LEAD_BUCKETS]
    assert found == {
        "under-2h": 1,  # b02
        "2h-1d": 0,
        "1-2d": 1,  # b03, a day exactly
        "2-7d": 2,  # b05, b07
        "7-14d": 1,  # b01
        "14-30d": 0,
        "30-60d": 0,  # b04 is cancelled
        "60d-": 1,  # b08
    }


async def test_cancellations_and_no_shows_by_day_and_by_week(business: None) -> None:
    assert await outcomes(PERIOD) == [
        Outcome(date(2026, 11, 30), total=5, no_show=1),
        Outcome(date(2026, 12, 1), total=1, cancelled=1),
        Outcome(date(2026, 12, 2), total=1),
        Outcome(date(2026, 12, 3), total=1),
        Outcome(date(2026, 12, 4)),
    ]
    long = Period(date(2026, 10, 1), date(2027, 1, 31), "Europe/Berlin")
    assert long.weekly
    weeks = await outcomes(long)
    assert weeks[0].start == date(2026, 9, 28)  # the Monday of the week of the first day
    assert {w.start: w.total for w in weeks if w.total} == {
        date(2026, 11, 23): 1,  # b10
        date(2026, 11, 30): 8,
        date(2026, 12, 7): 1,  # b09
    }
    assert sum(w.cancelled for w in weeks) == 1
    assert sum(w.no_show for w in weeks) == 1


async def test_empty_time_is_open_time_with_nothing_booked_until_now(business: None) -> None:
    empty = await empty_time(PERIOD, NOW)
    assert empty.until == NOW
    found = {u.resource: u for u in empty.by_resource}
    # Until Wednesday noon. Ana: Monday and Tuesday 8 hours, Wednesday 3; b01 and b02 booked.
    assert (found["ana"].open_min, empty.empty_min(found["ana"])) == (1140, 1020)
    # Bo: Monday 4 hours, Wednesday 2; b03.
    assert (found["bo"].open_min, empty.empty_min(found["bo"])) == (360, 300)
    # The room: b06 and b07 share the same half hour; one booked seat is not empty.
    assert (found["room"].open_min, empty.empty_min(found["room"])) == (660, 630)
    hours = empty.hours
    assert hours[0][9] == 0.5  # the room's second half hour; Ana is booked
    assert hours[0][10] == 1  # Ana and Bo are booked, the room is empty
    assert sum(map(sum, hours)) == pytest.approx((1020 + 300 + 630) / 60)
    assert hours[2][11] == 3  # Wednesday 11:00: all three empty
    assert hours[2][12] == 0  # after now


async def test_empty_time_of_a_period_in_the_future_is_none(business: None) -> None:
    empty = await empty_time(PERIOD, datetime(2026, 11, 1, tzinfo=UTC))
    assert empty.until == PERIOD.start
    assert empty.by_resource == ()
    assert sum(map(sum, empty.hours)) == 0
    done = await empty_time(PERIOD, datetime(2027, 1, 1, tzinfo=UTC))
    assert done.until == PERIOD.end
