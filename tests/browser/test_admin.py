"""The admin panel in headless Chromium: a sysadmin follows their one-time link, sets a
password, enrols TOTP from the key on the page, signs in with password and code, and sees
the bookings page; the page runs under its strict CSP without a single violation.

The server is ``slotwise serve`` with the demo business and the real clock, so codes come
from pyotp at the real time: the enrolment takes the code of the step before (inside the
one step of drift allowed), the sign-in the current one, which is newer, as it must be.
"""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Browser, ConsoleMessage, expect

from tests.browser.admin_signin import away_from_a_step_edge, one_time_link
from tests.browser.conftest import PHONE, Shots, demo_database, free_port, run_server

EMAIL = "root@example.org"
PASSWORD = "a long and lovely password"


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the server's URL, the sysadmin's one-time link path)."""
    folder = tmp_path_factory.mktemp("slotwise-admin")
    url, port = demo_database(folder), free_port()
    link = one_time_link(url, EMAIL, "sysadmin")
    command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
    for base in run_server(command, port, folder / "server.log"):
        yield base, link


def previous_code(secret: str) -> str:
    away_from_a_step_edge()
    return str(pyotp.TOTP(secret).at(time.time() - 30))


async def test_a_sysadmin_enrols_signs_in_with_a_code_and_sees_the_bookings(
    admin_server: tuple[str, str], browser: Browser, shots: Shots, tmp_path: Path
) -> None:
    base, link = admin_server
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        """Errors, CSP violations among them, are written to the console."""
        if message.type == "error":
            problems.append(message.text)

    page.on("console", watch)
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )

    await page.goto(base + link)
    await expect(page.locator("h1")).to_have_text("Set up your sign-in")
    qr = page.locator("img.qr")
    await expect(qr).to_be_visible()
    # The QR code is drawn from the page itself (a data: URI): no outside service sees the key.
    await page.wait_for_function("document.querySelector('img.qr').naturalWidth > 0")
    secret = (await page.locator("#secret").text_content() or "").strip()
    assert len(secret) == 32
    await shots.take(page, "enrol")
    await page.fill("#password", PASSWORD)
    await page.fill("#password_again", PASSWORD)
    await page.fill("#code", previous_code(secret))
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Your sign-in is ready")
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    await shots.take(page, "recovery-codes")

    await page.click("text=Sign in")
    await expect(page).to_have_url(base + "/admin/login")
    await page.fill("#email", EMAIL)
    await page.fill("#password", PASSWORD)
    away_from_a_step_edge()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await shots.take(page, "sign-in")
    await page.click("button[type=submit]")
    await expect(page).to_have_url(base + "/admin/today")
    await expect(page.locator("h1")).to_contain_text("Today")
    await expect(page.locator("nav")).to_contain_text("Audit log")
    await shots.take(page, "today")
    today = datetime.datetime.now(datetime.UTC).date()
    tuesday = today + datetime.timedelta(days=(1 - today.weekday()) % 7 or 7)
    await page.goto(f"{base}/admin/today?date={tuesday.isoformat()}")
    await expect(page.locator("#r-ana")).to_be_visible()  # a card per resource open that day
    await shots.take(page, "today-a-tuesday")
    await page.set_viewport_size(PHONE)
    no_sideways = "document.documentElement.scrollWidth <= window.innerWidth"
    assert await page.evaluate(no_sideways)  # Today fits a phone without scrolling sideways
    await shots.take(page, "today-phone")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.click("nav >> text=Bookings")
    await expect(page.locator("h1")).to_contain_text("Bookings")
    await shots.take(page, "bookings")

    await page.click("text=Sign out")
    await expect(page).to_have_url(base + "/admin/login")
    await page.goto(base + "/admin/bookings")
    await expect(page).to_have_url(base + "/admin/login?next=/admin/bookings")
    assert problems == []
    await context.close()
