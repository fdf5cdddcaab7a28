"""The widget on another site: one script tag gives a chat button that opens the chat."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.chat import ASK_DAY, GREETING, answered, say
from tests.browser.conftest import PHONE, Shots

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Another site</title>
<style>
  /* A site's styles that would wreck a widget living in its DOM. */
  button, div, iframe {{ all: unset; font-size: 40px !important; color: red !important; }}
  body {{ font-family: serif; margin: 40px; }}
</style></head>
<body><h1>Another site</h1><p>Some text of this site.</p>
<script src="{chat}/widget.js" async></script>
</body></html>
"""


async def open_host_page(page: Page, other_site: tuple[str, Path], chat: str, name: str) -> None:
    base, folder = other_site
    (folder / name).write_text(HOST_PAGE.format(chat=chat))
    await page.goto(f"{base}/{name}")
    await expect(page).to_have_title("Another site")


async def test_the_widget_opens_the_chat_on_another_site(
    browser: Browser, slotwise_server: str, other_site: tuple[str, Path], shots: Shots
) -> None:
    context = await browser.new_context(viewport={"width": 1024, "height": 720})
    context.set_default_timeout(10_000)
    page = await context.new_page()
    try:
        await open_host_page(page, other_site, slotwise_server, "desktop.html")
        assert not page.url.startswith(slotwise_server)  # really another origin
        button = page.get_by_role("button", name="Chat with Slotwise Demo")
        await expect(button).to_be_visible()
        box = await button.bounding_box()
        assert box is not None
        assert box["width"] == 60  # the site's styles did not reach it
        assert box["x"] + box["width"] > 1024 - 40
        assert box["y"] + box["height"] > 720 - 40
        colour = await button.evaluate("b => getComputedStyle(b).backgroundColor")
        assert colour == "rgb(15, 118, 110)"  # the demo business's colour
        await expect(page.locator("iframe")).to_have_count(0)  # nothing loads until opened
        await shots.take(page, "button")

        await button.click()
        chat = page.frame_locator("iframe[title='Slotwise Demo']")
        await expect(chat.locator("h1")).to_have_text("Slotwise Demo")
        await expect(await answered(chat, 0)).to_contain_text(GREETING)
        assert page.frames[1].url == f"{slotwise_server}/?embed=1"
        await shots.take(page, "open")
        reply = await say(chat, "haircut")
        await expect(reply).to_have_text(ASK_DAY)
        await shots.take(page, "chatting")

        await chat.locator("#close").click()
        await expect(page.locator("iframe")).to_be_hidden()
        await expect(button).to_be_visible()
        await expect(button).to_have_attribute("aria-expanded", "false")
        await shots.take(page, "closed")
    finally:
        await context.close()


async def test_the_widget_fills_a_phone_screen(
    browser: Browser, slotwise_server: str, other_site: tuple[str, Path], shots: Shots
) -> None:
    # Scale 1: Chromium renders a cross-origin iframe at scale 1 whatever the page's, and
    # with a mismatch its taps intermittently land beside the target.
    context = await browser.new_context(viewport=PHONE, device_scale_factor=1, has_touch=True)
    context.set_default_timeout(10_000)
    phone = await context.new_page()
    await open_host_page(phone, other_site, slotwise_server, "phone.html")
    button = phone.get_by_role("button", name="Chat with Slotwise Demo")
    await shots.take(phone, "button")
    await button.tap()
    frame = phone.locator("iframe[title='Slotwise Demo']")
    await expect(frame).to_be_visible()
    box = await frame.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    chat = phone.frame_locator("iframe[title='Slotwise Demo']")
    await answered(chat, 0)
    await shots.take(phone, "open")
    await chat.locator("#close").tap()
    await expect(frame).to_be_hidden()
    await expect(button).to_be_visible()
    await context.close()
