"""Calendar feeds over HTTP: the manage page links the customer's, ETags give 304s, and a
token that is not ours, altered or revoked is a 404 that says no more."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner
from quart import Quart

from channels.services import services_of
from core.bookings import BookingInfo, CustomerInput
from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE, main
from slotwise.settings import Settings
from tests.channels.test_manage import START

PUBLIC = "https://book.example"


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url, public_url=PUBLIC))
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


@pytest.fixture
async def booking(app: Quart) -> BookingInfo:
    service = services_of(app).bookings
    return await service.book("haircut", START, CustomerInput("Ada"), provider="ana")


def path_of(link: str) -> str:
    assert link.startswith(f"{PUBLIC}/feeds/"), link
    return link.removeprefix(PUBLIC)


async def test_the_manage_page_offers_the_customers_feed(app: Quart, booking: BookingInfo) -> None:
    page = await (await app.test_client().get(f"/b/{booking.manage_token}")).get_data(True)
    (link,) = re.findall(r"<code>(\S+)</code>", page)
    assert f'href="webcal://{link.removeprefix("https://")}"' in page
    response = await app.test_client().get(path_of(link))
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    body = await response.get_data()
    assert f"UID:booking-{booking.id}@book.example".encode() in body
    assert f"{PUBLIC}/b/{booking.manage_token}".encode() in body


async def test_a_poll_without_changes_is_a_304(app: Quart, booking: BookingInfo) -> None:
    link = await services_of(app).feeds.resource_link("ana")
    client = app.test_client()
    first = await client.get(path_of(link))
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert first.headers["Cache-Control"].startswith("private")
    again = await client.get(path_of(link), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert await again.get_data() == b""
    other = await client.get(path_of(link), headers={"If-None-Match": '"something else"'})
    assert other.status_code == 200

    await services_of(app).bookings.book("haircut", START.replace(hour=START.hour + 1),
                                         CustomerInput("Bo"), provider="ana")  # fmt: skip
    changed = await client.get(path_of(link), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


async def test_a_token_not_ours_is_a_plain_404(app: Quart, booking: BookingInfo) -> None:
    link = await services_of(app).feeds.resource_link("ana")
    client = app.test_client()
    forged = path_of(link)[:-6] + ("A" if path_of(link)[-5] != "A" else "B") + ".ics"
    junk = (
        "/feeds/r1.YW5h.AAAAAAAAAAAAAAAAAAAAAA.ics",
        "/feeds/x.ics",
        "/feeds/" + "r1." + "A" * 5000 + ".ics",  # oversized
        "/feeds/r1.YW5h%00.AAAA.ics",  # a NUL
        "/feeds/r1.YW5h%C3%A9.AAAA.ics",  # not ASCII
    )
    for path in (forged, *junk):
        response = await client.get(path)
        assert response.status_code == 404
        assert "calendar feed does not exist" in await response.get_data(True)


def test_slotwise_feed_url_prints_and_renews_the_address(empty_db_url: str) -> None:
    runner = CliRunner()
    loaded = runner.invoke(main, ["import", str(DEMO_FILE), "--db", empty_db_url])
    assert loaded.exit_code == 0, loaded.output
    first = runner.invoke(main, ["feed", "url", "ana", "--db", empty_db_url])
    assert first.exit_code == 0, first.output
    assert "/feeds/" in first.stdout
    assert runner.invoke(main, ["feed", "url", "ana", "--db", empty_db_url]).stdout == first.stdout
    renewed = runner.invoke(main, ["feed", "url", "ana", "--new", "--db", empty_db_url])
    assert renewed.exit_code == 0
    assert renewed.stdout != first.stdout
    assert "no longer works" in renewed.stderr
    unknown = runner.invoke(main, ["feed", "url", "nobody", "--db", empty_db_url])
    assert unknown.exit_code == 1
    assert "nobody" in unknown.output
