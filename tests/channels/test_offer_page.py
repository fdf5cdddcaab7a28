"""The waitlist offer page ``/w/<token>``: shown in the customer's language and zone, one
button that POSTs (refused from other sites), booking through the normal path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from channels.services import services_of
from core import models as m
from core.bookings import Actor
from core.businessfile import parse_business
from core.customers import CustomerInput
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings

PUBLIC = "https://book.example"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = ", ".join(f'{d}: [["09:00", "17:00"]]' for d in DAYS)
SALON = f"""
business: {{name: Salon, timezone: Europe/Berlin}}
resources:
  - {{id: ana, name: Ana, weekly_hours: {{{HOURS}}}}}
services:
  - {{id: solo, name: Solo, duration_min: 60, requires: [[ana]], names: {{de: Einzel}}}}
"""
# Ten o'clock in Berlin, a week ahead (winter: UTC+1): 04:00 in New York.
DAY = (datetime.now(UTC) + timedelta(days=7)).date()
TEN = datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=UTC)


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url, public_url=PUBLIC))
    async with application.test_app():
        await replace_business(parse_business(SALON))
        yield application


async def offered(app: Quart) -> str:
    found = services_of(app)
    bookings, cascade = found.bookings, found.cascade
    assert cascade is not None
    taken = await bookings.book("solo", TEN, CustomerInput("Xavier", phone="+4930111"))
    amy = CustomerInput("Amy", email="amy@x.org", locale="de", timezone="America/New_York")
    await bookings.join_waitlist("solo", TEN, TEN + timedelta(minutes=30), amy)
    await bookings.cancel(taken.manage_token, actor=Actor("staff", "Ana", "slack"))
    (step,) = await cascade.freed(TEN, TEN + timedelta(hours=1), datetime.now(UTC))
    assert step.offer is not None
    return step.offer


async def test_the_page_shows_the_offer_in_the_customers_language_and_zone(app: Quart) -> None:
    token = await offered(app)
    client: Client = app.test_client()
    page = await client.get(f"/w/{token}")
    assert page.status_code == 200
    html = await page.get_data(as_text=True)
    assert 'lang="de"' in html
    assert "Einzel" in html
    assert "04:00" in html  # New York time
    assert f'<form method="post" action="/w/{token}">' in html
    assert html.count("<button") == 1
    assert "script" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    missing = await client.get("/w/no-such-offer-token")
    assert missing.status_code == 404


async def test_the_button_books_and_other_sites_cannot_press_it(app: Quart) -> None:
    token = await offered(app)
    client: Client = app.test_client()
    forged = await client.post(f"/w/{token}", headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    cross = await client.post(f"/w/{token}", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert await m.Booking.filter(status="confirmed").count() == 0
    taken = await client.post(
        f"/w/{token}", headers={"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"}
    )
    assert taken.status_code == 302
    assert taken.headers["Location"] == f"/w/{token}"
    (booking,) = await m.Booking.filter(status="confirmed").select_related("customer")
    assert booking.start == TEN
    assert booking.customer is not None
    assert booking.customer.name == "Amy"
    page = await (await client.get(f"/w/{token}")).get_data(as_text=True)
    assert f'href="/b/{booking.manage_token}"' in page
    assert "<button" not in page
    again = await client.post(f"/w/{token}", headers={"Sec-Fetch-Site": "same-origin"})
    assert again.status_code == 302
    assert await m.Booking.filter(status="confirmed").count() == 1


async def test_the_page_cannot_take_an_offer_the_no_show_policy_refuses(app: Quart) -> None:
    policy = "names: {de: Einzel}, no_shows: {after: 1, then: refuse_chat}}"
    await replace_business(parse_business(SALON.replace("names: {de: Einzel}}", policy)))
    found = services_of(app)
    bookings, cascade = found.bookings, found.cascade
    assert cascade is not None
    taken = await bookings.book("solo", TEN, CustomerInput("Xavier", phone="+4930111"))
    amy = CustomerInput("Amy", email="amy@x.org")
    await bookings.join_waitlist("solo", TEN, TEN + timedelta(hours=1), amy, channel="telegram")
    await bookings.cancel(taken.manage_token, actor=Actor("staff", "Ana", "slack"))
    (step,) = await cascade.freed(TEN, TEN + timedelta(hours=1), datetime.now(UTC))
    assert step.offer is not None
    # Since the offer went out, Amy missed an appointment (marked by staff, set here).
    missed = await bookings.book("solo", TEN + timedelta(hours=3), amy)
    await m.Booking.filter(id=missed.id).update(status="no_show")
    client: Client = app.test_client()
    answer = await client.post(f"/w/{step.offer}", headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/w/{step.offer}?m=gone"
    assert not await m.Booking.filter(status="confirmed", start=TEN).exists()
    assert (await m.WaitlistEntry.get()).status == "expired"
