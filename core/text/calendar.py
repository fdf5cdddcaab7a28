"""The ``.ics`` calendar file of a booking, so a customer can add it to their calendar.

Every file of one booking carries the same UID (``booking-<id>@<host>``, the host
of ``SLOTWISE_PUBLIC_URL``) and a SEQUENCE that grows with each move, so a
calendar that imports a newer file updates the event instead of adding a
second one. A booking is sent as ``METHOD:REQUEST``; a cancelled one as
``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and a SEQUENCE one above the last
move's, which removes the event. Pure: no I/O, the time stamp is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from core.text.links import host_of

__all__ = ["FeedEvent", "booking_ics", "booking_uid", "calendar_object", "feed_ics"]


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


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of a subscribed calendar feed. ``start``/``end`` are aware datetimes (UTC
    for bookings; the resource's zone for a block, so that a weekly ``rrule`` keeps its wall
    time across a DST change) or dates (an all-day event: a day off)."""

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date
    stamp: datetime
    """When the event last changed (not when the feed was read: the body must not change
    while nothing does, or every calendar refetches and every ETag differs)."""
    sequence: int = 0
    rrule: str | None = None
    url: str | None = None


FEED_REFRESH = timedelta(hours=1)
"""How often we ask subscribers to refetch. Google and Outlook refetch on their own timetable
(every few hours, whatever the feed says); Apple Calendar and Thunderbird honour it."""


def feed_ics(name: str, events: Iterable[FeedEvent]) -> bytes:
    """A ``METHOD:PUBLISH`` calendar of ``events``, sorted so that the same events always make
    the same bytes. Zones used by the events get their VTIMEZONE."""
    calendar = Calendar()
    calendar.add("prodid", "-//Slotwise//Feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # the same hour, in the older Microsoft form
    for item in sorted(events, key=lambda e: (_sort_key(e.start), e.uid)):
        calendar.add_component(_event(item))
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def calendar_object(item: FeedEvent) -> bytes:
    """One event as a CalDAV server stores it: a calendar without METHOD (RFC 4791 forbids
    it in stored objects), its zones included."""
    calendar = Calendar()
    calendar.add("prodid", "-//Slotwise//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add_component(_event(item))
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def _event(item: FeedEvent) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", item.stamp)
    event.add("sequence", item.sequence)
    event.add("dtstart", item.start)
    event.add("dtend", item.end)
    event.add("summary", item.summary)
    event.add("transp", "OPAQUE")
    if item.rrule:
        event.add("rrule", vRecur.from_ical(item.rrule.removeprefix("RRULE:")))
    if item.url:
        event.add("url", item.url)
    return event


def _sort_key(moment: datetime | date) -> str:
    """Dates and datetimes in one order (a day off sorts before that day's events)."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()
