"""The ``.ics`` calendar file of a booking, so a customer can add it to their calendar."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

__all__ = ["booking_ics"]


def booking_ics(
    *,
    uid: str,
    title: str,
    start: datetime,
    end: datetime,
    organizer: str,
    url: str,
    stamp: datetime,
) -> bytes:
    """One VEVENT in UTC; ``uid`` stays the same when the booking moves, so calendars update."""
    calendar = Calendar()
    calendar.add("prodid", "-//Slotwise//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", title)
    event.add("location", organizer)
    event.add("url", url)
    event.add("description", url)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
