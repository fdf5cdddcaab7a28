"""Talking to the chat page the way a person does, and waiting for the bot like one."""

from __future__ import annotations

from playwright.async_api import Frame, FrameLocator, Locator, Page, expect

Where = Page | Frame | FrameLocator


def bot_messages(where: Where) -> Locator:
    return where.locator("#log .msg.bot")


def live_options(where: Where) -> Locator:
    return where.locator("#log .options button:enabled")


async def bot_count(where: Where) -> int:
    return await bot_messages(where).count()


async def answered(where: Where, before: int) -> Locator:
    """Wait until the bot has said more than ``before`` messages and stopped typing;
    the last bot message."""
    await expect(bot_messages(where)).not_to_have_count(before)
    await expect(where.locator("#typing")).to_be_hidden()
    last = bot_messages(where).last
    await expect(last).to_be_in_viewport()  # scrolled to
    return last


async def say(where: Where, text: str) -> Locator:
    """Type ``text``, press Enter, and wait for the bot's answer (its last message)."""
    before = await bot_count(where)
    await where.locator("#text").fill(text)
    await where.locator("#text").press("Enter")
    await expect(where.locator("#log .msg.me").last).to_have_text(text)
    return await answered(where, before)


async def press(where: Where, button: Locator) -> Locator:
    """Press an option button and wait for the bot's answer (its last message)."""
    before = await bot_count(where)
    label = (await button.text_content()) or ""
    await button.click()
    await expect(where.locator("#log .msg.me").last).to_have_text(label)
    return await answered(where, before)


# --- what the demo business's bot says ----------------------------------------------------

GREETING = "Hello! I'm the booking assistant of Slotwise Demo."
ASK_DAY = "When would you like to come for Haircut?"
TUESDAY = "haircut on Tuesday afternoon"
"""Ana and Ben both work Tuesday afternoons; "Tuesday" is always ahead, whatever today is."""
ERROR = "Could not reach the server, try again"


def slot_buttons(where: Where) -> Locator:
    """The live buttons that take a slot ("Tue, Dec 1, 12:00 PM (Lisbon) · Ben")."""
    return live_options(where).filter(has_text=" · ")
