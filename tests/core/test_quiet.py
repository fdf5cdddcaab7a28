"""Quiet hours (core/quiet.py): the customer's wall time decides, over midnight and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.quiet import DEFAULT_QUIET, QuietHours, after_quiet, before_quiet, is_quiet

BERLIN = "Europe/Berlin"


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def test_the_default_is_nine_in_the_evening_to_eight_in_the_morning() -> None:
    assert DEFAULT_QUIET.text() == ("21:00", "08:00")
    assert not is_quiet(local(BERLIN, 2026, 12, 10, 20, 59), DEFAULT_QUIET, BERLIN)
    assert is_quiet(local(BERLIN, 2026, 12, 10, 21, 0), DEFAULT_QUIET, BERLIN)
    assert is_quiet(local(BERLIN, 2026, 12, 11, 7, 59), DEFAULT_QUIET, BERLIN)
    assert not is_quiet(local(BERLIN, 2026, 12, 11, 8, 0), DEFAULT_QUIET, BERLIN)


def test_a_moment_outside_quiet_hours_is_kept() -> None:
    noon = local(BERLIN, 2026, 12, 10, 12, 0)
    assert before_quiet(noon, DEFAULT_QUIET, BERLIN) == noon
    assert after_quiet(noon, DEFAULT_QUIET, BERLIN) == noon


def test_an_evening_reminder_goes_at_the_last_minute_before_quiet_hours() -> None:
    late = local(BERLIN, 2026, 12, 10, 22, 30)
    assert before_quiet(late, DEFAULT_QUIET, BERLIN) == local(BERLIN, 2026, 12, 10, 20, 59)


def test_an_early_morning_reminder_goes_the_evening_before() -> None:
    early = local(BERLIN, 2026, 12, 11, 7, 0)
    assert before_quiet(early, DEFAULT_QUIET, BERLIN) == local(BERLIN, 2026, 12, 10, 20, 59)


def test_held_back_messages_go_when_quiet_hours_end() -> None:
    assert after_quiet(local(BERLIN, 2026, 12, 10, 23, 0), DEFAULT_QUIET, BERLIN) == local(
        BERLIN, 2026, 12, 11, 8, 0
    )
    assert after_quiet(local(BERLIN, 2026, 12, 11, 3, 0), DEFAULT_QUIET, BERLIN) == local(
        BERLIN, 2026, 12, 11, 8, 0
    )


def test_the_customers_zone_decides_even_when_its_date_differs_from_the_business() -> None:
    # 09:00 UTC on 10 December is 10:00 in Berlin (not quiet) but 22:00 in Auckland
    # (NZDT, +13), already the 10th there... and 21:00 UTC is the 11th in Auckland.
    moment = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    assert not is_quiet(moment, DEFAULT_QUIET, BERLIN)
    assert before_quiet(moment, DEFAULT_QUIET, BERLIN) == moment
    auckland = "Pacific/Auckland"
    assert before_quiet(moment, DEFAULT_QUIET, auckland) == local(auckland, 2026, 12, 10, 20, 59)
    # 18:00 UTC on the 10th is 07:00 on the 11th in Auckland: the evening before is the 10th.
    dawn = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)
    assert dawn.astimezone(ZoneInfo(auckland)).date().day == 11
    assert before_quiet(dawn, DEFAULT_QUIET, auckland) == local(auckland, 2026, 12, 10, 20, 59)
    assert after_quiet(dawn, DEFAULT_QUIET, auckland) == local(auckland, 2026, 12, 11, 8, 0)


def test_quiet_hours_across_the_spring_dst_change() -> None:
    # Berlin skips 02:00-03:00 on 29 March 2026; 07:00 CEST is 05:00 UTC.
    morning = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    assert before_quiet(morning, DEFAULT_QUIET, BERLIN) == datetime(
        2026, 3, 28, 19, 59, tzinfo=UTC
    )  # 20:59 CET
    assert after_quiet(morning, DEFAULT_QUIET, BERLIN) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_quiet_hours_ending_inside_the_skipped_hour_end_after_it() -> None:
    quiet = QuietHours(60, 150)  # 01:00 to 02:30, and 02:30 does not exist that night
    moment = local(BERLIN, 2026, 3, 29, 1, 30)
    ends = after_quiet(moment, quiet, BERLIN)
    assert ends == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert not is_quiet(ends, quiet, BERLIN)


def test_quiet_hours_across_the_autumn_dst_change() -> None:
    # 02:30 happens twice on 25 October 2026; the second is 01:30 UTC.
    moment = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert after_quiet(moment, DEFAULT_QUIET, BERLIN) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert before_quiet(moment, DEFAULT_QUIET, BERLIN) == datetime(
        2026, 10, 24, 18, 59, tzinfo=UTC
    )  # 20:59 CEST


def test_quiet_hours_within_one_day_and_none() -> None:
    lunch = QuietHours(13 * 60, 14 * 60)
    assert before_quiet(local(BERLIN, 2026, 12, 10, 13, 30), lunch, BERLIN) == local(
        BERLIN, 2026, 12, 10, 12, 59
    )
    assert not is_quiet(local(BERLIN, 2026, 12, 10, 23, 0), lunch, BERLIN)
    never = QuietHours(0, 0)
    assert never.none
    assert before_quiet(local(BERLIN, 2026, 12, 10, 3, 0), never, BERLIN) == local(
        BERLIN, 2026, 12, 10, 3, 0
    )


def test_quiet_hours_are_minutes_of_a_day() -> None:
    with pytest.raises(ValueError, match="0 to 1439"):
        QuietHours(24 * 60, 0)


ZONES = st.sampled_from(
    [BERLIN, "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
)
MOMENTS = st.integers(0, 2 * 366 * 24 * 60).map(
    lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=17)
)
QUIETS = st.builds(QuietHours, st.integers(0, 1439), st.integers(0, 1439))


@given(MOMENTS, QUIETS, ZONES)
def test_the_answers_are_never_quiet_and_on_the_right_side(
    moment: datetime, quiet: QuietHours, zone: str
) -> None:
    earlier = before_quiet(moment, quiet, zone)
    later = after_quiet(moment, quiet, zone)
    assert not is_quiet(earlier, quiet, zone)
    assert not is_quiet(later, quiet, zone)
    assert moment - timedelta(days=1, minutes=1) <= earlier <= moment
    assert moment <= later <= moment + timedelta(days=1, hours=1)
    if not is_quiet(moment, quiet, zone):
        assert earlier == later == moment


def test_reminder_times_skip_the_past_and_move_out_of_quiet_hours() -> None:
    from core.quiet import reminder_times

    start = local(BERLIN, 2026, 12, 11, 9, 0)  # 09:00 on a Friday
    now = local(BERLIN, 2026, 12, 1, 12, 0)
    # 24 h before is 09:00 (fine); 2 h before is 07:00 (quiet): the evening before, 20:59.
    assert reminder_times(start, (1440, 120), now, DEFAULT_QUIET, BERLIN) == [
        (1440, local(BERLIN, 2026, 12, 10, 9, 0)),
        (120, local(BERLIN, 2026, 12, 10, 20, 59)),
    ]
    # Booked at 20:00 the evening before: the 24 h reminder has passed, the 2 h one goes
    # at 20:59 that evening, on its own.
    evening = local(BERLIN, 2026, 12, 10, 20, 0)
    assert reminder_times(start, (1440, 120), evening, DEFAULT_QUIET, BERLIN) == [
        (120, local(BERLIN, 2026, 12, 10, 20, 59))
    ]
    # Booked at 22:00: the 2 h reminder would have to go before now: none is queued.
    assert (
        reminder_times(start, (1440, 120), evening + timedelta(hours=2), DEFAULT_QUIET, BERLIN)
        == []
    )
    # Two offsets landing on the same minute stay two reminders.
    assert reminder_times(start, (600, 660), now, DEFAULT_QUIET, BERLIN) == [
        (600, local(BERLIN, 2026, 12, 10, 20, 59)),
        (660, local(BERLIN, 2026, 12, 10, 20, 59)),
    ]
