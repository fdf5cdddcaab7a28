"""Busy time in a calendar object: what of someone's own calendar keeps them from work.

Pure (no I/O): one iCalendar object in, UTC intervals out. Recurring events are
expanded over a window (``recurring_ical_events``: RRULE, RDATE, EXDATE and
moved or cancelled occurrences by RECURRENCE-ID), so a weekly meeting with one
week skipped blocks the right days, across a change to or from summer time too.
Events marked free (``TRANSP:TRANSPARENT``) or cancelled are not busy. An all-day
event covers the whole day in the staff member's zone; a floating time (no zone)
is read in that zone too. Titles, places and attendees are never read out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component, Event

__all__ = ["Interval", "busy_of", "uids_of"]

Interval = tuple[datetime, datetime]

MAX_OCCURRENCES = 5_000
"""The most occurrences one rule may have in the window read (an event every hour over two
months is 1,464): more is a runaway rule, not a schedule, and is refused before anything
expands it (anyone can send a staff member an invitation that repeats every second)."""

MAX_WALK = 50_000
"""The most occurrences one rule may have from its first to the window's end: expanding
walks a rule from its start whatever the window (``dateutil``); a daily event since 1990 is
13,000."""

_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3_600,
    "DAILY": 86_400,
    "WEEKLY": 7 * 86_400,
    "MONTHLY": 28 * 86_400,
    "YEARLY": 365 * 86_400,
}
"""The shortest time between two periods of each frequency (RFC 5545 ``FREQ``)."""


def busy_of(ics: str | bytes, start: datetime, end: datetime, zone: ZoneInfo) -> list[Interval]:
    """The busy intervals of the events in ``ics`` that overlap ``[start, end)``, in UTC,
    sorted, without repeats. ``ValueError`` when ``ics`` is not iCalendar at all, or when
    one of its rules repeats too often to be a schedule (:data:`MAX_OCCURRENCES`)."""
    calendar = Calendar.from_ical(ics)
    for event in calendar.walk("VEVENT"):
        in_window, walked = _most_occurrences(event, start, end, zone)
        if in_window > MAX_OCCURRENCES or walked > MAX_WALK:
            raise ValueError(f"event {_uid(event)} repeats too often to be a schedule")
    found: set[Interval] = set()
    # One query for the window: asking for the occurrences "after" a time (in growing spans)
    # was thirty times slower.
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        # A forged object the libraries trip over is unreadable, like one that does not parse.
        raise ValueError(f"the calendar object could not be expanded: {error}") from error
    for event in occurrences:
        interval = _interval(event, zone)
        if interval is not None and _busy(event) and interval[0] < end and interval[1] > start:
            found.add(interval)
    return sorted(found)


def uids_of(ics: str | bytes) -> set[str]:
    """The UIDs of the events in ``ics`` (to recognise the bookings we wrote there)."""
    return {str(e.get("UID", "")) for e in Calendar.from_ical(ics).walk("VEVENT")}


def _busy(event: Event) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    return str(event.get("STATUS", "")).upper() != "CANCELLED"


def _interval(event: Event, zone: ZoneInfo) -> Interval | None:
    if "DTSTART" not in event:
        return None
    first = event.decoded("DTSTART")
    if "DTEND" in event:
        last = event.decoded("DTEND")
    elif "DURATION" in event:
        last = first + event.decoded("DURATION")
    else:  # RFC 5545: a date lasts one day, a date-time no time at all
        last = first + timedelta(days=1) if not isinstance(first, datetime) else first
    begin, finish = _instant(first, zone), _instant(last, zone)
    return (begin, finish) if finish > begin else None


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), zone).astimezone(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def _most_occurrences(
    event: Component, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[float, float]:
    """At most how many occurrences ``event``'s rules have in ``[start, end)``, and from
    the event's start to ``end`` (bounded by ``COUNT`` and ``UNTIL``; every ``BY`` list
    counted as if it multiplied): measured before anything expands them."""
    rules = event.get("RRULE")
    if rules is None or "DTSTART" not in event:
        return 0, 0
    first = _instant(event.decoded("DTSTART"), zone)
    in_window = walked = 0.0
    for rule in rules if isinstance(rules, list) else [rules]:
        frequency = str((rule.get("FREQ") or [""])[0]).upper()
        interval = int((rule.get("INTERVAL") or [1])[0])
        if frequency not in _SECONDS or interval < 1:  # INTERVAL=0 made dateutil loop for ever
            raise ValueError(
                f"event {_uid(event)} has a repeat rule without a valid FREQ or INTERVAL"
            )
        period = _SECONDS[frequency] * interval
        last = end
        if until := rule.get("UNTIL"):
            last = min(last, _instant(until[0], zone))
        per_period = 1
        for part, values in rule.items():
            if part.startswith("BY") and part != "BYSETPOS":
                per_period *= max(1, len(values))
        count = float(int(rule["COUNT"][0])) if rule.get("COUNT") else float("inf")
        in_window += min(count, _periods(max(first, start), last, period) * per_period)
        walked += min(count, _periods(first, last, period) * per_period)
    return in_window, walked


def _uid(event: Component) -> str:
    """The event's UID for a log line: cut short, control characters escaped."""
    return repr(str(event.get("UID", ""))[:80])


def _periods(lo: datetime, hi: datetime, period: int) -> float:
    """At most how many periods of ``period`` seconds begin in ``[lo, hi]``."""
    return max(0.0, (hi - lo).total_seconds()) / period + 1
