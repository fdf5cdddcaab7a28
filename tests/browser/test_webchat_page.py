"""The chat page in headless Chromium on a phone-sized screen.

The smoke test runs against ``slotwise serve`` and the real bot; the rest pin the
page's behaviour against the scripted bot (``scripted_server.py``).
"""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser.chat import answered, bot_count, bot_messages, live_options, press, say
from tests.browser.conftest import PHONE, Shots
from tests.browser.scripted_server import GREETING

ERROR = "Could not reach the server, try again"


async def assert_fits_the_phone(page: Page) -> None:
    """Full height, nothing wider than the screen, the input at the bottom, big tap targets."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    composer = await page.locator("#composer").bounding_box()
    assert composer is not None
    assert abs(composer["y"] + composer["height"] - PHONE["height"]) <= 1
    for selector in ("#text", "#send", "#start-over", "#log .options button:visible"):
        for box in [await b.bounding_box() for b in await page.locator(selector).all()]:
            assert box is not None
            assert box["height"] >= 44, selector


async def test_smoke(slotwise_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(slotwise_server + "/")
    await expect(phone).to_have_title("Slotwise Demo")
    await expect(phone.locator("h1")).to_have_text("Slotwise Demo")
    await shots.take(phone, "loaded")

    greeting = await answered(phone, 0)
    await expect(greeting).not_to_be_empty()
    await assert_fits_the_phone(phone)
    await shots.take(phone, "greeting")

    before = await bot_count(phone)
    await phone.locator("#text").fill("hello")
    await phone.locator("#send").tap()
    await expect(phone.locator("#log .msg.me")).to_have_text(["hello"])
    await shots.take(phone, "sent")
    reply = await answered(phone, before)
    await expect(reply).not_to_be_empty()
    await expect(phone.locator("#log .msg.error")).to_have_count(0)
    await assert_fits_the_phone(phone)
    await shots.take(phone, "reply")


async def test_buttons_date_picker_and_download(
    scripted_server: str, phone: Page, shots: Shots
) -> None:
    await phone.goto(scripted_server + "/")
    greeting = await answered(phone, 0)
    await expect(greeting).to_have_text(GREETING)
    await expect(live_options(phone)).to_have_text(["Haircut", "Massage"])
    await expect(phone.locator("#date")).to_be_hidden()
    await assert_fits_the_phone(phone)
    await shots.take(phone, "greeting-with-buttons")

    asked = await press(phone, live_options(phone).first)
    await expect(asked).to_have_text("Haircut, good choice. Which day?")
    old_buttons = phone.locator("#log .options").first.locator("button")
    await expect(old_buttons).to_have_text(["Haircut", "Massage"])
    for button in await old_buttons.all():
        await expect(button).to_be_disabled()
    await expect(old_buttons.first).to_have_class("picked")
    await expect(live_options(phone)).to_have_text(["Today", "Tomorrow"])
    await expect(live_options(phone).first).to_be_focused()
    await expect(phone.locator("#date")).to_be_visible()
    await assert_fits_the_phone(phone)
    await shots.take(phone, "day-with-date-picker")

    before = await bot_count(phone)
    await phone.locator("#date").fill("2031-03-14")
    booked = await answered(phone, before)
    await expect(booked).to_contain_text("Booked for 2031-03-14.")
    await expect(phone.locator("#log .msg.me").last).to_contain_text("2031")
    await expect(live_options(phone)).to_have_count(0)
    await expect(phone.locator("#date")).to_be_hidden()
    download = booked.locator(".attachments a")
    await expect(download).to_have_count(1)  # the attachment without a url is left out
    await expect(download).to_have_text("booking.ics")
    await expect(download).to_have_attribute("download", "booking.ics")
    await expect(download).to_have_attribute("href", f"{scripted_server}/test/booking.ics")
    manage = booked.locator("a", has_text="https://example.com/manage/abc123")
    await expect(manage).to_have_attribute("href", "https://example.com/manage/abc123")
    await shots.take(phone, "booked-with-download")

    async with phone.expect_download() as waiting:
        await download.click()
    assert (await waiting.value).suggested_filename == "booking.ics"


async def test_bot_text_is_shown_as_text(scripted_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(scripted_server + "/")
    await answered(phone, 0)
    attack = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    reply = await say(phone, attack)
    await expect(reply).to_have_text(f"You wrote: {attack}")
    await expect(phone.locator("#log img, #log b")).to_have_count(0)
    await expect(phone).not_to_have_title("pwned")
    await shots.take(phone, "markup-as-text")


async def test_reload_continues_the_conversation(
    scripted_server: str, phone: Page, shots: Shots
) -> None:
    await phone.goto(scripted_server + "/")
    await answered(phone, 0)
    first = await say(phone, "whoami")
    session = await phone.evaluate("localStorage.getItem('slotwise.chat.session')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", session)
    await expect(first).to_have_text(f"session {session} locale en-GB zone Europe/Lisbon")

    await phone.reload()
    await expect(phone.locator("#log .msg.me")).to_have_text(["whoami"])
    await expect(bot_messages(phone)).to_have_count(2)  # kept, and no second greeting
    await expect(live_options(phone)).to_have_count(0)  # the greeting's buttons stay used
    await shots.take(phone, "after-reload")
    again = await say(phone, "whoami")
    await expect(again).to_have_text(f"session {session} locale en-GB zone Europe/Lisbon")

    await phone.locator("#start-over").click()
    await expect(phone.locator("#log .msg.me")).to_have_count(0)
    await expect(bot_messages(phone)).to_have_text([GREETING])
    await expect(live_options(phone)).to_have_count(2)
    await shots.take(phone, "started-over")


async def test_waiting_then_failing(scripted_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(scripted_server + "/")
    await answered(phone, 0)
    await phone.context.set_offline(True)
    await live_options(phone).first.click()
    await expect(phone.locator("#log .msg.error")).to_have_text([ERROR])
    await expect(live_options(phone)).to_have_count(2)  # the buttons work again for a retry
    await shots.take(phone, "offline")
    await phone.context.set_offline(False)
    reply = await press(phone, live_options(phone).first)
    await expect(reply).to_contain_text("good choice")

    await phone.locator("#text").fill("slow")
    await phone.locator("#text").press("Enter")
    await expect(phone.locator("#typing")).to_be_visible()
    await expect(phone.locator("#text")).to_be_focused()
    await shots.take(phone, "typing")
    await expect(bot_messages(phone).last).to_have_text("Sorry for the wait.")
    await expect(phone.locator("#typing")).to_be_hidden()

    await phone.locator("#text").fill("fail")
    await phone.locator("#text").press("Enter")
    await expect(phone.locator("#log .msg.error")).to_have_count(2)
    await expect(phone.locator("#log .msg.error").last).to_have_text(ERROR)
    await expect(phone.locator("#text")).to_have_value("fail")  # given back to try again
    await shots.take(phone, "server-error")
