"""Booking an appointment through the web page, from the first message to the confirmation,
against ``slotwise serve`` with the demo business and the real bot."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser.chat import TUESDAY, answered, live_options, press, say
from tests.browser.conftest import Shots


async def test_book_through_the_page(slotwise_server: str, phone: Page, shots: Shots) -> None:
    await phone.goto(slotwise_server + "/")
    await answered(phone, 0)
    await shots.take(phone, "greeting")

    offer = await say(phone, TUESDAY)
    await expect(live_options(phone).first).to_be_visible()
    await expect(offer).not_to_be_empty()
    await shots.take(phone, "slots-offered")

    asked_name = await press(phone, live_options(phone).first)
    await expect(asked_name).to_contain_text("name")
    await shots.take(phone, "slot-held-name-asked")

    asked_contact = await say(phone, "Ada Lovelace")
    await expect(asked_contact).to_contain_text("mail")
    await shots.take(phone, "contact-asked")

    summary = await say(phone, "ada@example.com")
    await expect(summary).to_contain_text("Ada Lovelace")
    confirm = live_options(phone).filter(has_text="Confirm")
    await expect(confirm).to_have_count(1)
    await shots.take(phone, "summary")

    confirmation = await press(phone, confirm)
    await expect(confirmation).to_contain_text("Booked!")
    ics = confirmation.locator(".attachments a")
    await expect(ics).to_have_count(1)
    filename = await ics.text_content()
    assert filename is not None
    assert filename.endswith(".ics")
    await expect(ics).to_have_attribute("download", filename)
    href = await ics.get_attribute("href")
    assert href is not None
    manage = href.removesuffix(".ics")
    assert re.fullmatch(re.escape(slotwise_server) + r"/b/[A-Za-z0-9_-]+", manage), href
    link = confirmation.locator("a", has_text=manage)  # the manage link in the text
    await expect(link).to_have_attribute("href", manage)
    await expect(phone.locator("#log .msg.error")).to_have_count(0)
    await shots.take(phone, "confirmed")

    async with phone.expect_download() as waiting:
        await ics.click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".ics")
    assert "BEGIN:VCALENDAR" in (await download.path()).read_text()
