"""The admin calendar in headless Chromium, at 1280×800 and on a phone (390×844): an admin
books a caller on a free time by clicking it, drags the booking to a later time (moved, and
so it stays after a reload), then drags it into the stylist's lunch break (refused: the
booking jumps back and the page says why in the engine's words). The page runs under the
panel's strict CSP with no violation and no script error; the only errors in the console
are the browser's notes about the refused move's 409. Screenshots go to artifacts/browser/.

On the phone the day after shows Dr. Lee's weekly block with its reason.

The browser runs in New York while the business is in Berlin: the calendar shows and sends
the business's wall clock, whatever the browser's zone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.admin_signin import enrol_and_sign_in, one_time_link
from tests.browser.conftest import ROOT, Shots, demo_database, free_port, run_server

EMAIL = "desk@example.org"
PASSWORD = "a long and lovely password"
BERLIN = ZoneInfo("Europe/Berlin")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def tuesday() -> date:
    """A Tuesday one to two weeks ahead: Ana works 9-13 and 14-18."""
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=7 + (1 - today.weekday()) % 7)


DAY = tuesday()
pytestmark = pytest.mark.skipif(
    not (ROOT / "admin" / "static" / "vendor" / "event-calendar.min.js").exists(),
    reason="the calendar library is not vendored here: make vendor (needs npm)",
)


@pytest.fixture(scope="module")
def calendar_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the server's URL, an admin's one-time link path)."""
    folder = tmp_path_factory.mktemp("slotwise-calendar")
    url, port = demo_database(folder), free_port()
    link = one_time_link(url, EMAIL, "admin")
    command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
    for base in run_server(command, port, folder / "server.log"):
        yield base, link


class Console:
    """Errors written to the console (CSP violations are) and script errors."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def unexpected(self) -> list[str]:
        """All but the browser's note of a refused move's answer (409: it is expected)."""
        return [e for e in self.errors if "status of 409" not in e]


async def new_page(browser: Browser, size: dict[str, int], **extra: Any) -> BrowserContext:
    context = await browser.new_context(
        viewport=size,  # type: ignore[arg-type]
        locale="en-GB",
        timezone_id="America/New_York",
        **extra,
    )
    context.set_default_timeout(10_000)
    return context


async def column(page: Page, name: str) -> int:
    heads = page.locator(".ec-header .ec-col-head")
    names = [(await heads.nth(i).text_content() or "").strip() for i in range(await heads.count())]
    return names.index(name)


async def slot_top(page: Page, hour: int) -> float:
    """The y of the line where ``hour``:00 begins: the grid's top is the first label's
    hour, and the labels are as far apart as the hours (each is centred on its line)."""
    labels = page.locator(".ec-body .ec-sidebar .ec-slot")
    first = await labels.first.bounding_box()
    label = page.locator(f'.ec-body .ec-sidebar time[datetime$="T{hour:02d}:00:00"]')
    this = await label.locator("xpath=..").bounding_box()
    grid = await page.locator(".ec-body .ec-grid").bounding_box()
    assert first is not None
    assert this is not None
    assert grid is not None
    return grid["y"] + this["y"] - first["y"]


async def below_top(page: Page, target: Any) -> float:
    """How far below the calendar's first hour ``target`` is drawn (the page above it may
    grow, with a message)."""
    box = await target.bounding_box()
    grid = await page.locator(".ec-body .ec-grid").bounding_box()
    assert box is not None
    assert grid is not None
    return float(box["y"] - grid["y"])


async def hour_height(page: Page) -> float:
    return await slot_top(page, 11) - await slot_top(page, 10)


async def booking_start(page: Page, base: str, name: str) -> str:
    """Where the server has the booking now (the calendar's own data endpoint)."""
    data = await (await page.request.get(f"{base}/admin/api/calendar?date={DAY}")).json()
    (found,) = [e for e in data["events"] if e.get("title", "").startswith(name)]
    return str(found["start"])


async def drag(page: Page, target: Any, dy: float) -> None:
    box = await target.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + min(12, box["height"] / 2)
    await page.mouse.move(x, y)
    await page.mouse.down()
    steps = 8
    for n in range(1, steps + 1):
        await page.mouse.move(x, y + dy * n / steps)
    await page.mouse.up()


async def test_an_admin_books_a_caller_drags_the_booking_and_a_refused_move_jumps_back(
    calendar_server: tuple[str, str], browser: Browser, shots: Shots
) -> None:
    base, link = calendar_server
    context = await new_page(browser, DESKTOP)
    page = await context.new_page()
    console = Console(page)
    await enrol_and_sign_in(page, base, link, EMAIL)

    await page.goto(f"{base}/admin/calendar?date={DAY}")
    await expect(page.locator(".ec-header .ec-col-head").first).to_be_visible()
    await expect(page.locator(".ec-bg-event.cal-off").first).to_be_attached()
    await shots.take(page, "desktop-day")
    ana = await column(page, "Ana")
    hour = await hour_height(page)

    # Click 10:00 in Ana's column: the little form books a caller through the normal path.
    day_cell = page.locator(".ec-body .ec-grid .ec-day").nth(ana)
    cell = await day_cell.bounding_box()
    assert cell is not None
    await page.mouse.click(cell["x"] + cell["width"] / 2, await slot_top(page, 10) + hour / 8)
    await expect(page.locator("#cal-book")).to_be_visible()
    await page.select_option("#cal-service", "haircut")
    await page.fill("#cal-name", "Cleo Caller")
    await page.fill("#cal-phone", "+49 30 5550101")
    await shots.take(page, "desktop-book-form")
    await page.click("#cal-book-form button[type=submit]")
    await expect(page.locator("#cal-status")).to_contain_text("Booked Haircut for Cleo Caller")
    event = page.locator(".ec-event.cal-booking", has_text="Cleo Caller")
    await expect(event).to_contain_text("Haircut")
    assert await booking_start(page, base, "Cleo Caller") == f"{DAY}T10:00:00"

    # Drag it five hours later, in the same column: moved.
    await drag(page, event, 5 * hour)
    await expect(page.locator("#cal-status")).to_contain_text("Moved to")
    assert await booking_start(page, base, "Cleo Caller") == f"{DAY}T15:00:00"
    await shots.take(page, "desktop-moved")

    # Drag it into Ana's lunch break (13:00): refused, says why, and jumps back to 15:00.
    moved = await below_top(page, event)
    await drag(page, event, -2 * hour)
    await expect(page.locator("#cal-status")).to_contain_text("Ana is not open then.")
    await expect(page.locator("#cal-override")).to_be_hidden()  # hours are never overridden
    await shots.take(page, "desktop-refused")
    assert abs(await below_top(page, event) - moved) < 2
    assert await booking_start(page, base, "Cleo Caller") == f"{DAY}T15:00:00"

    # After a reload the calendar shows the booking where the server has it.
    await page.reload()
    await expect(page.locator(".ec-event.cal-booking", has_text="Cleo Caller")).to_be_visible()
    await page.click(".ec-button.ec-resourceTimeGridWeek")
    await expect(page).to_have_url(
        f"{base}/admin/calendar?date={DAY - timedelta(days=1)}&view=week"
    )
    await shots.take(page, "desktop-week")
    assert console.unexpected() == []
    assert len(console.errors) == 1  # the refused move's 409
    signed_in = await context.storage_state()
    await context.close()

    # On a phone (the same session): the same calendar, scrolling sideways through columns.
    context = await new_page(
        browser, PHONE, is_mobile=True, has_touch=True, storage_state=signed_in
    )
    page = await context.new_page()
    console = Console(page)
    await page.goto(f"{base}/admin/calendar?date={DAY}")
    await expect(page.locator(".ec-event.cal-booking", has_text="Cleo Caller")).to_be_attached()
    await shots.take(page, "phone-day")
    await page.goto(f"{base}/admin/calendar?date={DAY + timedelta(days=1)}")
    meeting = page.locator(".ec-event.cal-block", has_text="Team meeting").first
    await expect(meeting).to_be_visible()  # Dr. Lee's, in the first column
    await shots.take(page, "phone-block")
    assert console.unexpected() == []
    await context.close()
