"""The ``.ics`` calendar file of a booking, so a customer can add it to their calendar.

Every file of one booking carries the same UID (``booking-<id>@<host>``, the host
of ``SLOTWISE_PUBLIC_URL``) and a SEQUENCE that grows with each move, so a
calendar that imports a newer file updates the event instead of adding a
second one. A booking is sent as ``METHOD:REQUEST``; a cancelled one as
``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and a SEQUENCE one above the last
move's, which removes the event. Pure: no I/O, the time stamp is a parameter.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from core.text.links import host_of

__all__ = ["booking_ics", "booking_uid"]


def booking_uid(booking_id: int, public_url: str) -> str:
    """``booking-42@book.example``: the same in every file of that booking, on every server
    that shares its public address (the manage token is not used: it must stay secret)."""
    return f"booking-{booking_id}@{host_of(public_url)}"


def booking_ics(
    *,
    booking_id: int,
    public_url: str,
    moves: int,
    cancelled: bool,
    service: str,
    business: str,
    start: datetime,
    end: datetime,
    url: str,
    stamp: datetime,
) -> bytes:
    """One VEVENT in UTC. ``moves`` is the booking's ``reschedule_count`` (its SEQUENCE);
    ``cancelled`` writes the CANCEL form, one SEQUENCE later than the last REQUEST."""
    calendar = Calendar()
    calendar.add("prodid", "-//Slotwise//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", booking_uid(booking_id, public_url))
    event.add("sequence", moves + 1 if cancelled else moves)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
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
