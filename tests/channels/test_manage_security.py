"""The manage page's defences, found by an outside probe: its address holds the manage
token, so it leaks it nowhere; its cancel form refuses other sites; the calendar file's
link comes from the configured public address, not from the ``Host`` header."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core import models as m
from core.bookings import BookingInfo
from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings
from tests.channels.test_manage import booking

__all__ = ["booking"]

PUBLIC = "https://book.example"


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url, public_url=PUBLIC))
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


async def test_the_page_sends_no_referrer_is_not_cached_and_cannot_be_framed(
    app: Quart, booking: BookingInfo
) -> None:
    client: Client = app.test_client()
    for path in (f"/b/{booking.manage_token}", f"/b/{booking.manage_token}.ics", "/b/nothing-here"):
        response = await client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        policy = response.headers["Content-Security-Policy"]
        assert policy.startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in policy
    page = await client.get(f"/b/{booking.manage_token}")
    policy = page.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<style nonce="{nonce}">' in await page.get_data(as_text=True)
    assert "form-action 'self'" in policy
    assert "script-src" not in policy  # the page has no script


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://book.example"},  # another scheme is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": PUBLIC},
    ],
)
async def test_a_cross_site_cancel_is_refused_and_changes_nothing(
    app: Quart, booking: BookingInfo, headers: dict[str, str]
) -> None:
    """The cancel form used to accept a POST from any site (CSRF)."""
    response = await app.test_client().post(f"/b/{booking.manage_token}/cancel", headers=headers)
    assert response.status_code == 403
    stored = await m.Booking.get(id=booking.id)
    assert stored.status == m.BookingStatus.CONFIRMED


async def test_a_cancel_from_the_page_itself_is_done(app: Quart, booking: BookingInfo) -> None:
    headers = {"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"}
    response = await app.test_client().post(f"/b/{booking.manage_token}/cancel", headers=headers)
    assert response.status_code == 302
    stored = await m.Booking.get(id=booking.id)
    assert stored.status == m.BookingStatus.CANCELLED


async def test_the_calendar_link_ignores_the_host_header(app: Quart, booking: BookingInfo) -> None:
    """The ``.ics`` used to take its URL from the ``Host`` header, which the client picks."""
    response = await app.test_client().get(
        f"/b/{booking.manage_token}.ics", headers={"Host": "evil.example"}
    )
    data = (await response.get_data()).decode()
    assert "evil.example" not in data
    assert f"{PUBLIC}/b/{booking.manage_token}" in data.replace("\r\n ", "")


async def test_a_token_with_a_nul_is_not_found(app: Quart) -> None:
    """A NUL in the token used to reach PostgreSQL: a 500."""
    for path in ("/b/abcdefgh%00ijk", "/b/abcdefgh%00ijk.ics"):
        response = await app.test_client().get(path)
        assert response.status_code == 404
    cancel = await app.test_client().post("/b/abcdefgh%00ijk/cancel")
    assert cancel.status_code == 404


async def test_every_response_says_nosniff(app: Quart) -> None:
    client: Client = app.test_client()
    for path in ("/", "/widget.js", "/api/v1/services", "/api/v1/nothing"):
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
    api = await client.get("/api/v1/services")
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]
    embedded = await client.get("/?embed=1")
    assert "frame-ancestors *" in embedded.headers["Content-Security-Policy"]
