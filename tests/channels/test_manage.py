"""The "manage my booking" page, its calendar file and its cancel button, on a real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from channels.services import services_of
from core import models as m
from core.bookings import Actor, BookingInfo, CustomerInput
from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings


def next_tuesday_afternoon() -> datetime:
    """14:15 in Berlin on a Tuesday one to two weeks ahead: the demo's Ana works then."""
    berlin = ZoneInfo("Europe/Berlin")
    today = datetime.now(UTC).astimezone(berlin).date()
    day = today + timedelta(days=7 + (1 - today.weekday()) % 7)
    return datetime.combine(day, time(14, 15), tzinfo=berlin).astimezone(UTC)


START = next_tuesday_afternoon()


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url))
    async with application.test_app():
        business = load_business_file(DEMO_FILE)
        await replace_business(business)
        yield application


@pytest.fixture
async def booking(app: Quart) -> BookingInfo:
    service = services_of(app).bookings
    return await service.book("haircut", START, CustomerInput("Ada"), provider="ana")


async def test_the_page_shows_the_booking_in_the_business_language(
    app: Quart, booking: BookingInfo
) -> None:
    response = await app.test_client().get(f"/b/{booking.manage_token}")
    assert response.status_code == 200
    page = await response.get_data(as_text=True)
    assert "Haircut" in page
    assert "Ana" in page
    assert "Tue, " in page
    assert "2:15" in page
    assert "Slotwise Demo" in page
    assert "#0f766e" in page
    assert f'href="/b/{booking.manage_token}.ics"' in page


async def test_the_calendar_file(app: Quart, booking: BookingInfo) -> None:
    response = await app.test_client().get(f"/b/{booking.manage_token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    data = await response.get_data()
    assert f"DTSTART:{START:%Y%m%dT%H%M%SZ}".encode() in data
    assert f"DTEND:{START + timedelta(minutes=45):%Y%m%dT%H%M%SZ}".encode() in data
    assert f"UID:booking-{booking.id}@127.0.0.1\r\n".encode() in data  # SLOTWISE_PUBLIC_URL's host
    assert b"METHOD:REQUEST" in data
    assert b"SEQUENCE:0" in data


async def calendar_lines(app: Quart, token: str) -> dict[str, str]:
    response = await app.test_client().get(f"/b/{token}.ics")
    assert response.status_code == 200
    text = (await response.get_data()).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


async def test_the_calendar_file_keeps_its_uid_across_a_move_and_counts_the_moves(
    app: Quart, booking: BookingInfo
) -> None:
    service = services_of(app).bookings
    before = await calendar_lines(app, booking.manage_token)
    moved = await service.reschedule(
        booking.manage_token, START + timedelta(hours=1), actor=Actor("customer", "Ada", "web")
    )
    after = await calendar_lines(app, moved.manage_token)
    assert after["UID"] == before["UID"] == f"booking-{booking.id}@127.0.0.1"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1 == moved.reschedule_count
    assert after["DTSTART"] == f"{START + timedelta(hours=1):%Y%m%dT%H%M%SZ}"
    assert after["METHOD"] == "REQUEST"


async def test_the_calendar_file_of_a_cancelled_booking_is_the_cancel_form(
    app: Quart, booking: BookingInfo
) -> None:
    service = services_of(app).bookings
    before = await calendar_lines(app, booking.manage_token)
    await service.cancel(booking.manage_token, actor=Actor("customer", "Ada", "web"))
    after = await calendar_lines(app, booking.manage_token)
    assert after["METHOD"] == "CANCEL"
    assert after["STATUS"] == "CANCELLED"
    assert after["UID"] == before["UID"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])  # it supersedes the last request


async def test_cancel_from_the_page(app: Quart, booking: BookingInfo) -> None:
    client: Client = app.test_client()
    response = await client.post(f"/b/{booking.manage_token}/cancel")
    assert response.status_code == 302
    page = await (await client.get(response.headers["Location"])).get_data(as_text=True)
    assert "Your booking is cancelled." in page
    assert "Cancel booking" not in page
    stored = await m.Booking.get(id=booking.id)
    assert stored.status == m.BookingStatus.CANCELLED
    history = await m.BookingHistory.filter(booking_id=booking.id, action="cancelled").first()
    assert history is not None
    assert history.channel == "web"


@pytest.mark.parametrize("token", ["nope", "x" * 40, "y" * 65])
async def test_an_unknown_booking_is_a_plain_404(app: Quart, token: str) -> None:
    for path in (f"/b/{token}", f"/b/{token}.ics"):
        response = await app.test_client().get(path)
        assert response.status_code == 404
        assert "does not exist" in await response.get_data(as_text=True)


async def test_the_page_speaks_the_readers_language(app: Quart, booking: BookingInfo) -> None:
    headers = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    response = await app.test_client().get(f"/b/{booking.manage_token}", headers=headers)
    page = await response.get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Di., " in page
    missing = await app.test_client().get("/b/nope-nope-nope", headers=headers)
    assert "Diesen Termin gibt es nicht" in await missing.get_data(as_text=True)


async def test_the_page_and_calendar_file_name_the_service_in_the_readers_language(
    app: Quart, booking: BookingInfo
) -> None:
    headers = {"Accept-Language": "ru"}
    page = await (
        await app.test_client().get(f"/b/{booking.manage_token}", headers=headers)
    ).get_data(as_text=True)
    assert "Стрижка" in page
    assert "Ана" in page
    assert "Haircut" not in page
    response = await app.test_client().get(
        f"/b/{booking.manage_token}.ics", headers={"Accept-Language": "de"}
    )
    assert "SUMMARY:Haarschnitt · Slotwise Demo" in (await response.get_data()).decode()
