"""The ``.ics`` calendar file of a booking, so a customer can add it to their calendar."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

__all__ = ["booking_ics"]


def booking_ics(
    *,
    token: str,
    service: str,
    business: str,
    start: datetime,
    end: datetime,
    url: str,
    stamp: datetime,
) -> bytes:
    """One VEVENT in UTC. Its uid is the booking's manage token, which stays the same when
    the booking moves, so a calendar that imports the file again updates the event."""
    calendar = Calendar()
    calendar.add("prodid", "-//Slotwise//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{token}@slotwise")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{service} · {business}")
    event.add("location", business)
    event.add("url", url)
    event.add("description", url)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
