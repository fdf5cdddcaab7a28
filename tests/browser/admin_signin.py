"""Signing in to the admin panel from a browser test: a user made with ``slotwise user
create`` enrols through their one-time link (password and TOTP), then signs in with a fresh
code. One copy for the browser tests that need a signed-in admin and are not about signing in
(``test_admin.py`` walks the same steps itself, with a look at each page, as its subject).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pyotp
from playwright.async_api import Page, expect

from tests.browser.conftest import ROOT

PASSWORD = "a long and lovely password"


def one_time_link(url: str, email: str, role: str) -> str:
    """The path of the enrolment link ``slotwise user create`` prints for a new user."""
    made = subprocess.run(
        [sys.executable, "-m", "slotwise", "user", "create", email, "--role", role,
         "--db", url],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return "/admin/" + made.stdout.strip().split("/admin/", 1)[1]


def away_from_a_step_edge() -> None:
    """Wait out the last seconds of a 30-second TOTP step, so that the code typed now is
    still within the server's window (this step or the one before) when the form arrives."""
    into_step = time.time() % 30
    if into_step > 26:
        time.sleep(30.5 - into_step)


async def enrol_and_sign_in(page: Page, base: str, link: str, email: str) -> None:
    """Enrol through ``link`` with the code of the step before (inside the one step of drift
    allowed), then sign in with the current one (newer, as a second use must be); sign-in
    lands on Today."""
    await page.goto(base + link)
    secret = (await page.locator("#secret").text_content() or "").strip()
    await page.fill("#password", PASSWORD)
    await page.fill("#password_again", PASSWORD)
    away_from_a_step_edge()
    await page.fill("#code", str(pyotp.TOTP(secret).at(time.time() - 30)))
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Your sign-in is ready")
    await page.goto(base + "/admin/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    away_from_a_step_edge()
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("button[type=submit]")
    await expect(page).to_have_url(base + "/admin/today")
