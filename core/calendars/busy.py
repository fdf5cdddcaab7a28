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
from icalendar import Calendar, Event

__all__ = ["Interval", "busy_of", "uids_of"]

Interval = tuple[datetime, datetime]

MAX_OCCURRENCES = 20_000
"""The most occurrences read from one object: a daily event over a long booking window is
a few hundred; more is a runaway rule, not a schedule."""


def busy_of(ics: str | bytes, start: datetime, end: datetime, zone: ZoneInfo) -> list[Interval]:
    """The busy intervals of the events in ``ics`` that overlap ``[start, end)``, in UTC,
    sorted, without repeats. ``ValueError`` when ``ics`` is not iCalendar at all."""
    calendar = Calendar.from_ical(ics)
    found: set[Interval] = set()
    # Occurrences come in time order, lazily: a rule that repeats every second stops at
    # MAX_OCCURRENCES instead of filling the worker's memory.
    for seen, event in enumerate(recurring_ical_events.of(calendar).after(start)):
        if seen >= MAX_OCCURRENCES:
            break
        interval = _interval(event, zone)
        if interval is None or not _busy(event):
            continue
        if interval[0] >= end:
            break
        if interval[1] > start:
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
