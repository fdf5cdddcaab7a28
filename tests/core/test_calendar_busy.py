"""Busy time read out of one calendar object: recurrences, exceptions, DST, free and
cancelled events, all-day and floating times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.calendars.busy import busy_of, uids_of

BERLIN = ZoneInfo("Europe/Berlin")
LO = datetime(2026, 10, 1, tzinfo=UTC)
HI = datetime(2026, 12, 1, tzinfo=UTC)


def calendar(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}END:VCALENDAR\n"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_weekly_event_keeps_its_wall_time_across_dst_and_skips_its_exceptions() -> None:
    ics = calendar(
        """UID:weekly@x
DTSTART;TZID=Europe/Berlin:20261019T090000
DTEND;TZID=Europe/Berlin:20261019T100000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Berlin:20261102T090000
SUMMARY:private""",
        """UID:weekly@x
RECURRENCE-ID;TZID=Europe/Berlin:20261026T090000
DTSTART;TZID=Europe/Berlin:20261026T140000
DTEND;TZID=Europe/Berlin:20261026T150000""",
    )
    assert busy_of(ics, LO, HI, BERLIN) == [
        (utc(2026, 10, 19, 7), utc(2026, 10, 19, 8)),  # 09:00 summer time
        (utc(2026, 10, 26, 13), utc(2026, 10, 26, 14)),  # moved that week, now winter time
        (utc(2026, 11, 9, 8), utc(2026, 11, 9, 9)),  # 09:00 winter time; 2 Nov was skipped
    ]


def test_free_and_cancelled_events_are_not_busy() -> None:
    ics = calendar(
        "UID:a@x\nDTSTART:20261020T100000Z\nDTEND:20261020T110000Z\nTRANSP:TRANSPARENT",
        "UID:b@x\nDTSTART:20261021T100000Z\nDTEND:20261021T110000Z\nSTATUS:CANCELLED",
        "UID:c@x\nDTSTART:20261022T100000Z\nDTEND:20261022T110000Z\nSTATUS:CONFIRMED",
    )
    assert busy_of(ics, LO, HI, BERLIN) == [(utc(2026, 10, 22, 10), utc(2026, 10, 22, 11))]


def test_all_day_floating_and_duration_events_are_read_in_the_staff_members_zone() -> None:
    ics = calendar(
        "UID:a@x\nDTSTART;VALUE=DATE:20261110\nDTEND;VALUE=DATE:20261112",
        "UID:b@x\nDTSTART:20261113T090000\nDURATION:PT90M",
        "UID:c@x\nDTSTART;VALUE=DATE:20261120",
    )
    assert busy_of(ics, LO, HI, BERLIN) == [
        (utc(2026, 11, 9, 23), utc(2026, 11, 11, 23)),  # two whole days in Berlin
        (utc(2026, 11, 13, 8), utc(2026, 11, 13, 9, 30)),
        (utc(2026, 11, 19, 23), utc(2026, 11, 20, 23)),  # a date alone is one day
    ]


def test_only_what_overlaps_the_window_is_read() -> None:
    ics = calendar("UID:a@x\nDTSTART:20261020T100000Z\nDTEND:20261020T110000Z\nRRULE:FREQ=DAILY")
    found = busy_of(ics, utc(2026, 10, 20, 10, 30), utc(2026, 10, 23), BERLIN)
    assert [start.day for start, _ in found] == [20, 21, 22]


def test_uids_and_junk() -> None:
    assert uids_of(calendar("UID:booking-4@book.example\nDTSTART:20261020T100000Z")) == {
        "booking-4@book.example"
    }
    with pytest.raises(ValueError, match="could not be parsed"):
        busy_of("this is not a calendar", LO, HI, BERLIN)


@pytest.mark.parametrize(
    "rule",
    [
        "DTSTART:20261020T100000Z\nRRULE:FREQ=SECONDLY",
        "DTSTART:20261020T100000Z\nRRULE:FREQ=MINUTELY;INTERVAL=1",
        "DTSTART:20200101T100000Z\nRRULE:FREQ=HOURLY",  # from years before the window
        "DTSTART:20261001T000000Z\nRRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
        "15,16,17,18,19,20,21,22,23;BYMINUTE=0,15,30,45",  # every 15 minutes, spelled out
        "DTSTART:19000101T100000Z\nRRULE:FREQ=HOURLY;UNTIL=20261002T000000Z",  # a long walk
    ],
)
def test_a_runaway_rule_is_refused_before_it_is_expanded(rule: str) -> None:
    """Expanding a rule walks it from its start: refused on sight instead of keeping the
    worker busy (a rule every second took over 20 seconds here)."""
    ics = calendar(f"UID:runaway@x\n{rule}\nDTEND:20261020T100001Z")
    with pytest.raises(ValueError, match="'runaway@x' repeats too often"):
        busy_of(ics, LO, HI, BERLIN)


@pytest.mark.parametrize(
    ("rule", "days"),
    [
        ("DTSTART:19900101T090000Z\nRRULE:FREQ=DAILY", 61),  # every day since 1990
        ("DTSTART:20261001T000000Z\nRRULE:FREQ=HOURLY", 61),  # every hour of the window
        ("DTSTART:20261001T090000Z\nRRULE:FREQ=HOURLY;COUNT=30", 2),  # bounded by its count
        ("DTSTART:20001001T090000Z\nRRULE:FREQ=HOURLY;UNTIL=20001101T000000Z", 0),  # ended
    ],
)
def test_long_or_bounded_rules_are_read(rule: str, days: int) -> None:
    ics = calendar(f"UID:long@x\n{rule}\nDURATION:PT1M")
    assert len({start.date() for start, _ in busy_of(ics, LO, HI, BERLIN)}) == days


@pytest.mark.timeout(30)  # INTERVAL=0 once made the expansion loop for ever
@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=DAILY;INTERVAL=0",
        "RRULE:FREQ=DAILY;INTERVAL=-5",
        "RRULE:COUNT=3",  # no FREQ: the library raised a TypeError, which stopped the sync
        "RRULE:FREQ=FOO",
        "RRULE:FREQ=DAILY;COUNT=abc",
        "RRULE:FREQ=DAILY;UNTIL=garbage",
        "RRULE:FREQ=DAILY;INTERVAL=99999999999999999999999",
        "RRULE:FREQ=DAILY\x01;COUNT=2",
    ],
)
def test_a_forged_rule_is_an_unreadable_object_not_a_hang_or_a_crash(rule: str) -> None:
    ics = calendar(f"UID:forged\x07@x\nDTSTART:20261020T100000Z\nDTEND:20261020T110000Z\n{rule}")
    # Refused by our check, or by icalendar's parser for what it cannot read at all.
    with pytest.raises(
        ValueError, match=r"without a valid FREQ or INTERVAL|broken property"
    ) as refused:
        busy_of(ics, LO, HI, BERLIN)
    assert "\x07" not in str(refused.value)  # what is logged has no control characters
