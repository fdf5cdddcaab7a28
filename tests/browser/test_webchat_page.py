"""The chat page in headless Chromium on a phone-sized screen, talking to the real bot.

The phone's browser says en-GB and Europe/Lisbon, so the bot answers in English
with times labelled "(Lisbon)" (the demo business is in Berlin). Network
trouble is made by the browser (``page.route``): a request held back, dropped,
or answered with a 500.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, timedelta

from playwright.async_api import Browser, Page, Route, expect

from tests.browser.chat import (
    ASK_DAY,
    ERROR,
    GREETING,
    TUESDAY,
    answered,
    bot_count,
    bot_messages,
    live_options,
    press,
    say,
    slot_buttons,
)
from tests.browser.conftest import PHONE, Shots

MESSAGES = "**/chat/messages"
MENU = ["Consultation", "Check-up", "Haircut", "Colour", "Yoga class", "My bookings", "Help"]
DAY_BUTTONS = ["Today", "Tomorrow", "This week", "First available"]


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


def a_tuesday_ahead() -> date:
    """A Tuesday two to eight days from now: ahead in every time zone, and a working day."""
    soon = datetime.now(UTC).date() + timedelta(days=2)
    return soon + timedelta(days=(1 - soon.weekday()) % 7)


async def test_smoke(slotwise_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(slotwise_server + "/")
    await expect(phone).to_have_title("Slotwise Demo")
    await expect(phone.locator("h1")).to_have_text("Slotwise Demo")
    await shots.take(phone, "loaded")

    greeting = await answered(phone, 0)
    await expect(greeting).to_contain_text(GREETING)
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


async def test_buttons_and_the_date_picker(slotwise_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(slotwise_server + "/")
    greeting = await answered(phone, 0)
    await expect(greeting).to_contain_text(GREETING)
    await expect(live_options(phone)).to_have_text(MENU)
    await expect(phone.locator("#date")).to_be_hidden()
    await assert_fits_the_phone(phone)
    await shots.take(phone, "greeting-with-buttons")

    asked = await press(phone, live_options(phone).filter(has_text="Haircut"))
    await expect(asked).to_have_text(ASK_DAY)
    old_buttons = phone.locator("#log .options").first.locator("button")
    await expect(old_buttons).to_have_text(MENU)
    for button in await old_buttons.all():
        await expect(button).to_be_disabled()
    await expect(old_buttons.filter(has_text="Haircut")).to_have_class("picked")
    await expect(phone.locator("#log .options button.picked")).to_have_count(1)
    await expect(live_options(phone)).to_have_text(DAY_BUTTONS)
    await expect(live_options(phone).first).to_be_focused()
    await expect(phone.locator("#date")).to_be_visible()  # the bot's hint: "date"
    await assert_fits_the_phone(phone)
    await shots.take(phone, "day-with-date-picker")

    day = a_tuesday_ahead()
    before = await bot_count(phone)
    async with phone.expect_request(lambda r: r.method == "POST") as sending:
        await phone.locator("#date").fill(day.isoformat())
    sent = json.loads((await sending.value).post_data or "{}")
    assert sent["text"] == day.isoformat()  # the picker sends YYYY-MM-DD
    offer = await answered(phone, before)
    me = phone.locator("#log .msg.me").last
    await expect(me).to_contain_text(str(day.year))  # shown as a date the customer reads
    await expect(me).to_contain_text(str(day.day))
    await expect(offer).to_have_text("Free times for Haircut:")
    on_that_day = f"Tue, {day:%b} {day.day}, "
    await expect(slot_buttons(phone).first).to_be_visible()
    for label in await slot_buttons(phone).all_text_contents():
        assert label.startswith(on_that_day), label
        assert "(Lisbon)" in label  # the browser's zone reached the bot
    await expect(phone.locator("#date")).to_be_hidden()
    await assert_fits_the_phone(phone)
    await shots.take(phone, "slots-of-the-picked-day")


async def test_bot_text_is_shown_as_text(slotwise_server: str, phone: Page, shots: Shots) -> None:
    """The bot repeats the customer's name in its summary: markup in it stays characters."""
    await phone.goto(slotwise_server + "/")
    await answered(phone, 0)
    await say(phone, TUESDAY)
    asked = await press(phone, slot_buttons(phone).first)
    await expect(asked).to_contain_text("What name")
    attack = "<img src=x onerror=\"document.title='pwned'\"><b>Ada</b>"
    await say(phone, attack)
    summary = await say(phone, "ada@example.com")
    await expect(summary).to_contain_text(f"Name: {attack}, contact: ada@example.com.")
    await expect(phone.locator("#log img, #log b")).to_have_count(0)
    await expect(phone).not_to_have_title("pwned")
    await shots.take(phone, "markup-as-text")
    await press(phone, live_options(phone).filter(has_text="Cancel"))  # give the slot back


async def test_reload_continues_the_conversation(
    slotwise_server: str, phone: Page, shots: Shots
) -> None:
    await phone.goto(slotwise_server + "/")
    await answered(phone, 0)
    asked = await say(phone, "haircut")
    await expect(asked).to_have_text(ASK_DAY)
    session = await phone.evaluate("localStorage.getItem('slotwise.chat.session')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", session)

    await phone.reload()
    await expect(phone.locator("#log .msg.me")).to_have_text(["haircut"])
    await expect(bot_messages(phone)).to_have_count(2)  # kept, and no second greeting
    await expect(phone.locator("#log .options").first.locator("button:enabled")).to_have_count(0)
    await expect(live_options(phone)).to_have_text(DAY_BUTTONS)  # the last answer's stay live
    await expect(phone.locator("#date")).to_be_visible()
    await shots.take(phone, "after-reload")
    assert await phone.evaluate("localStorage.getItem('slotwise.chat.session')") == session
    offer = await say(phone, "Tuesday afternoon")  # the bot still knows it is a haircut
    await expect(offer).to_have_text("Free times for Haircut:")
    await expect(slot_buttons(phone).first).to_contain_text("(Lisbon)")
    await shots.take(phone, "continued")

    await phone.locator("#start-over").click()
    await expect(phone.locator("#log .msg.me")).to_have_count(0)
    await expect(bot_messages(phone)).to_have_count(1)
    await expect(bot_messages(phone).first).to_contain_text(GREETING)
    await expect(live_options(phone)).to_have_text(MENU)
    await expect(phone.locator("#date")).to_be_hidden()
    await shots.take(phone, "started-over")


async def test_the_bot_speaks_the_browsers_language_and_zone(
    browser: Browser, slotwise_server: str, shots: Shots
) -> None:
    context = await browser.new_context(
        viewport=PHONE, locale="es-ES", timezone_id="America/New_York"
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    try:
        await page.goto(slotwise_server + "/")
        await expect(page.locator("#start-over")).to_have_text("Empezar de nuevo")
        greeting = await answered(page, 0)
        await expect(greeting).to_contain_text("Soy el asistente de reservas de Slotwise Demo")
        offer = await say(page, "corte de pelo el martes por la tarde")
        await expect(offer).to_have_text("Horas libres para Corte de pelo:")
        await expect(slot_buttons(page).first).to_contain_text("(Nueva York)")
        await shots.take(page, "spanish-in-new-york")
    finally:
        await context.close()


async def test_waiting_then_failing(slotwise_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(slotwise_server + "/")
    await answered(phone, 0)
    haircut = live_options(phone).filter(has_text="Haircut")

    await phone.route(MESSAGES, lambda route: route.abort("internetdisconnected"), times=1)
    await haircut.click()
    await expect(phone.locator("#log .msg.error")).to_have_text([ERROR])
    await expect(live_options(phone)).to_have_text(MENU)  # the buttons work again for a retry
    await expect(phone.locator("#log .options button.picked")).to_have_count(0)
    await shots.take(phone, "could-not-send")
    await phone.reload()  # what the bot never got is not kept: the buttons stay usable
    await expect(phone.locator("#log .msg.me, #log .msg.error")).to_have_count(0)
    await expect(live_options(phone)).to_have_text(MENU)
    asked = await press(phone, haircut)
    await expect(asked).to_have_text(ASK_DAY)

    async def slowly(route: Route) -> None:
        await asyncio.sleep(1)
        await route.continue_()

    await phone.route(MESSAGES, slowly, times=1)
    await phone.locator("#text").fill("Tuesday afternoon")
    await phone.locator("#text").press("Enter")
    await expect(phone.locator("#typing")).to_be_visible()
    await expect(phone.locator("#send")).to_be_disabled()
    await expect(phone.locator("#text")).to_be_focused()
    await shots.take(phone, "typing")
    await expect(bot_messages(phone).last).to_have_text("Free times for Haircut:")
    await expect(phone.locator("#typing")).to_be_hidden()
    await expect(phone.locator("#send")).to_be_enabled()

    problem = {"type": "about:blank", "title": "Internal Server Error", "status": 500}
    await phone.route(
        MESSAGES,
        lambda route: route.fulfill(
            status=500, content_type="application/problem+json", body=json.dumps(problem)
        ),
        times=1,
    )
    slots = await slot_buttons(phone).count()
    await phone.locator("#text").fill("later")
    await phone.locator("#text").press("Enter")
    await expect(phone.locator("#log .msg.error")).to_have_text([ERROR])
    await expect(phone.locator("#text")).to_have_value("later")  # given back to try again
    await expect(slot_buttons(phone)).to_have_count(slots)  # and the slots can still be taken
    await shots.take(phone, "server-error")
    first_slot = await slot_buttons(phone).first.text_content()
    await expect(await say(phone, "later")).to_have_text("Free times for Haircut:")
    await expect(slot_buttons(phone).first).not_to_have_text(first_slot or "")
