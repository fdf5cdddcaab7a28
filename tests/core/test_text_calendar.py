"""A booking's calendar file: one UID for life, a SEQUENCE per move, a CANCEL form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from core.text.calendar import booking_ics, booking_uid
from core.text.links import calendar_link, calendar_path, manage_link, manage_path

START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
STAMP = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PUBLIC = "https://Book.Example:8443/salon/"


def ics(*, moves: int = 0, cancelled: bool = False, start: datetime = START) -> Calendar:
    data = booking_ics(
        booking_id=42,
        public_url=PUBLIC,
        moves=moves,
        cancelled=cancelled,
        service="Haircut",
        business="Salon",
        start=start,
        end=start + timedelta(minutes=45),
        url=manage_link(PUBLIC, "tok"),
        stamp=STAMP,
    )
    return Calendar.from_ical(data)


def event_of(calendar: Calendar) -> dict[str, str]:
    (event,) = calendar.walk("VEVENT")
    return {key: str(value) for key, value in event.items()}


def test_the_uid_names_the_booking_and_the_public_host() -> None:
    assert booking_uid(42, PUBLIC) == "booking-42@book.example"
    assert event_of(ics())["UID"] == "booking-42@book.example"


def test_the_uid_stays_across_a_move_and_the_sequence_grows() -> None:
    first = event_of(ics())
    moved = event_of(ics(moves=1, start=START + timedelta(days=1)))
    assert moved["UID"] == first["UID"]
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"]) == 0
    assert ics()["METHOD"] == "REQUEST"


def test_a_cancelled_booking_gets_the_cancel_form() -> None:
    last_move = event_of(ics(moves=2))
    calendar = ics(moves=2, cancelled=True)
    event = event_of(calendar)
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == last_move["UID"]
    assert int(event["SEQUENCE"]) > int(last_move["SEQUENCE"])


def test_links_share_one_layout() -> None:
    assert manage_path("tok") == "/b/tok"
    assert calendar_path("tok") == "/b/tok.ics"
    assert manage_link(PUBLIC, "tok") == "https://Book.Example:8443/salon/b/tok"
    assert calendar_link(PUBLIC, "tok") == "https://Book.Example:8443/salon/b/tok.ics"
