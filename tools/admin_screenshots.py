"""Screenshots of the admin panel for docs/admin.md: ``python -m tools.admin_screenshots``.

A throwaway SQLite database gets the demo business, a few weeks of bookings (some
cancelled, a no-show, one that an hours edit no longer fits), a waitlist entry and a
user of each role. The app runs in this process under hypercorn on a loopback port,
with a clock pinned to Tuesday 8 December 2026, 10:40 in Berlin, so the pictures show
the same days each time. Headless Chromium (Debian's, through Playwright) enrols the
sysadmin through the one-time link, signs in with a TOTP code of the pinned clock and
saves a 1280×800 PNG of each main page, and Today and the calendar at 390×844.

Pages are found by their addresses and a few stable marks (a booking link, the
preview button); when one is missing or answers an error the shot is skipped with a
warning and the rest are still taken, so a page that changed does not stop the run.
The exit status is 1 when any shot was skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
from hypercorn.asyncio import serve
from hypercorn.config import Config
from playwright.async_api import Browser, Page, ViewportSize, async_playwright
from pydantic import SecretStr
from quart import Quart

from admin.access import CONFIG
from channels.services import SERVICES, services_of
from core import rules
from core.bookings.types import Actor
from core.customers import CustomerInput
from core.errors import SlotUnavailable
from core.users import enrolment, invite
from slotwise.app import create_app
from slotwise.settings import Settings

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "slotwise" / "demo" / "demo.yaml"
CHROMIUM = Path("/usr/bin/chromium")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 8, 10, 40, tzinfo=BERLIN).astimezone(UTC)
"""A Tuesday: the clinic, the salon and the studio are all open."""
PASSWORD = "a long and lovely password"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
ADMIN = Actor("admin", "office@example.org", "admin")


@dataclass
class Clock:
    """The one "now" of the app: pinned, moved only on purpose (a fresh TOTP step)."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


PEOPLE = [
    CustomerInput("Ada Lovelace", phone="+4915112345601", email="ada@example.org"),
    CustomerInput("Grace Hopper", phone="+4915112345602"),
    CustomerInput("Alan Turing", email="alan@example.org"),
    CustomerInput("Emmy Noether", phone="+4915112345604"),
    CustomerInput("Kurt Gödel", phone="+4915112345605", email="kurt@example.org"),
    CustomerInput("Lise Meitner", phone="+4915112345606"),
    CustomerInput("Max Planck", email="max@example.org"),
    CustomerInput("Marie Curie", phone="+4915112345608"),
]

# (service, provider or None, local start, lead days, channel)
BOOKINGS: list[tuple[str, str | None, datetime, int, str]] = [
    # today, Tuesday 8 December
    ("consult", "dr-lee", local(8, 8, 30), 3, "telegram"),
    ("consult", "dr-lee", local(8, 9, 30), 1, "webchat"),
    ("checkup", "dr-lee", local(8, 11, 0), 6, "sms"),
    ("consult", "dr-lee", local(8, 14, 0), 2, "api"),
    ("consult", "dr-kim", local(8, 9, 0), 4, "slack"),
    ("checkup", "dr-kim", local(8, 13, 30), 1, "webchat"),
    ("consult", "dr-novak", local(8, 10, 0), 8, "sms"),
    ("consult", "dr-novak", local(8, 15, 0), 2, "telegram"),
    ("haircut", "ana", local(8, 10, 0), 5, "webchat"),
    ("colour", "ana", local(8, 13, 0), 9, "webchat"),
    ("haircut", "ben", local(8, 11, 30), 2, "sms"),
    ("haircut", "ben", local(8, 16, 0), 1, "telegram"),
    # the rest of the week
    ("consult", "dr-lee", local(9, 9, 0), 2, "webchat"),
    ("checkup", "dr-kim", local(9, 14, 0), 3, "sms"),
    ("consult", "dr-lee", local(10, 16, 0), 5, "api"),  # an hours edit will not fit it
    ("haircut", "ana", local(11, 15, 0), 4, "telegram"),
    ("colour", "ben", local(12, 10, 0), 6, "webchat"),
    ("consult", "dr-novak", local(11, 9, 0), 3, "sms"),
]


def past_bookings() -> list[tuple[str, str | None, datetime, int, str]]:
    """Four weeks back, on weekdays, so the reports have something to draw."""
    made: list[tuple[str, str | None, datetime, int, str]] = []
    services = [("consult", "dr-lee"), ("checkup", "dr-kim"), ("haircut", "ana"),
                ("haircut", "ben"), ("consult", "dr-novak")]  # fmt: skip
    channels = ["webchat", "telegram", "sms", "slack", "api"]
    for back in range(1, 29):
        day = (NOW.astimezone(BERLIN) - timedelta(days=back)).replace(second=0, microsecond=0)
        if day.weekday() >= 5:
            continue
        for n in range(back % 4 + 6):
            service, provider = services[(back + n) % len(services)]
            start = day.replace(hour=9 + (back + n * 5) % 8, minute=0)
            made.append((service, provider, start, (back + n) % 9 + 1, channels[(back + n) % 5]))
    return made


async def seed(app_clock: Clock, app: Quart) -> None:
    """Bookings made at their own moments (so lead times vary), some cancelled, one a
    no-show; a waitlist entry; an hours edit that one booking no longer fits."""
    bookings = services_of(app).bookings
    made = []
    for i, (service, provider, wished, lead, channel) in enumerate(past_bookings() + BOOKINGS):
        for start in (wished + timedelta(minutes=m) for m in range(0, 60, 5)):
            app_clock.now = min(start.astimezone(UTC) - timedelta(days=lead, hours=i % 7), NOW)
            try:
                info = await bookings.book(
                    service, start, PEOPLE[i % len(PEOPLE)], provider=provider, channel=channel
                )
            except SlotUnavailable:  # off the service's grid, or taken: a bit later
                continue
            made.append((info, start))
            break
    app_clock.now = NOW
    print(f"  {len(made)} bookings")
    past = [(info, start) for info, start in made if start.astimezone(UTC) < NOW]
    for info, _ in past[3::7]:
        await bookings.cancel(
            info.manage_token, actor=ADMIN, reason="Customer called", override=True
        )
    for info, _ in past[5::7]:
        await bookings.mark_no_show(info.manage_token, actor=ADMIN)
    await bookings.join_waitlist(
        "consult",
        local(9, 8).astimezone(UTC),
        local(9, 12).astimezone(UTC),
        PEOPLE[6],
        provider="dr-lee",
        channel="webchat",
    )
    week = {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed")}
    week["thu"] = [["08:00", "12:00"], ["13:00", "15:00"]]
    week["fri"] = [["08:00", "12:00"], ["13:00", "15:00"]]
    await rules.set_weekly_hours("dr-lee", week, actor=ADMIN, now=NOW)


@dataclass
class Shooter:
    base: str
    out: Path
    skipped: list[str]

    async def shot(
        self,
        page: Page,
        name: str,
        path: str | None,
        then: Callable[[Page], Awaitable[None]] | None = None,
    ) -> None:
        try:
            if path is not None:
                response = await page.goto(self.base + path)
                if response is None or response.status != 200:
                    status = response.status if response else "no answer"
                    raise RuntimeError(f"{path} answered {status}")
            await page.wait_for_load_state("networkidle")
            if then is not None:
                await then(page)
                await page.wait_for_load_state("networkidle")
            await page.wait_for_timeout(300)  # charts and the calendar finish drawing
            await page.screenshot(path=str(self.out / f"{name}.png"))
            print(f"  {name}.png")
        except Exception as error:
            self.skipped.append(f"{name}: {error}")
            print(f"  skipped {name}: {error}", file=sys.stderr)


async def open_link(page: Page, selector: str, *, last: bool = False) -> None:
    links = page.locator(selector)
    link = links.last if last else links.first
    href = await link.get_attribute("href", timeout=5_000)
    if href is None:
        raise RuntimeError(f"no {selector}")
    await page.goto(href if href.startswith("http") else page.url.split("/admin")[0] + href)


async def preview(page: Page) -> None:
    await page.click("button[name=action][value=preview]", timeout=5_000)
    await page.wait_for_load_state("networkidle")
    await page.locator("form[action$='/hours']").first.evaluate("e => e.scrollIntoView()")


async def scroll_to(selector: str, page: Page) -> None:
    await page.locator(selector).first.scroll_into_view_if_needed(timeout=5_000)


async def take_all(browser: Browser, shooter: Shooter, clock: Clock, links: dict[str, str]) -> None:
    context = await browser.new_context(
        viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin", device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    base = shooter.base

    async def fill_enrolment(p: Page) -> None:
        await p.fill("#password", PASSWORD)
        await p.fill("#password_again", PASSWORD)

    await shooter.shot(page, "enrol", links["admin"], fill_enrolment)
    await page.goto(base + links["sysadmin"])
    await page.fill("#password", PASSWORD)
    await page.fill("#password_again", PASSWORD)
    secret = (await page.locator("#secret").text_content() or "").strip()
    await page.fill("#code", pyotp.TOTP(secret).at(clock()))
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")

    async def fill_login(p: Page) -> None:
        await p.fill("#email", "root@example.org")
        await p.fill("#password", PASSWORD)

    await shooter.shot(page, "login", "/admin/login", fill_login)
    clock.now += timedelta(seconds=31)  # a code is never accepted twice
    await page.fill("#code", pyotp.TOTP(secret).at(clock()))
    await page.click("button[type=submit]")
    await page.wait_for_url("**/admin/today**")

    pages: list[tuple[str, str, Callable[[Page], Awaitable[None]] | None]] = [
        ("today", "/admin/today", None),
        ("calendar-day", "/admin/calendar?date=2026-12-08&view=day", None),
        ("calendar-week", "/admin/calendar?date=2026-12-08&view=week&resource=dr-lee", None),
        ("bookings", "/admin/bookings?from=2026-12-07&to=2026-12-13", None),
        ("booking", "/admin/bookings?date=2026-12-08&resource=dr-lee",
         lambda p: open_link(p, "main a[href*='/admin/bookings/']", last=True)),
        ("rules", "/admin/rules", None),
        ("rules-resource", "/admin/rules/dr-lee", None),
        ("rules-preview", "/admin/rules/dr-lee", preview),
        ("rules-dates", "/admin/rules/dr-lee", lambda p: scroll_to("#override-form", p)),
        ("services", "/admin/services", None),
        ("service", "/admin/services/consult", None),
        ("customers", "/admin/customers", None),
        ("customer", "/admin/customers",
         lambda p: open_link(p, "main a[href*='/admin/customers/']")),
        ("waitlist", "/admin/waitlist", None),
        ("reports", "/admin/reports?from=2026-11-09&to=2026-12-08", None),
        ("reports-peak", "/admin/reports?from=2026-11-09&to=2026-12-08",
         lambda p: scroll_to("#report-peak", p)),
        ("audit", "/admin/audit", None),
        ("settings", "/admin/settings", None),
        ("users", "/admin/users", None),
        ("calendars", "/admin/calendars", None),
    ]  # fmt: skip
    for name, path, then in pages:
        await shooter.shot(page, name, path, then)
    session = await context.cookies()  # the phone uses it: a second sign-in needs a new step
    await context.close()

    phone = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/Berlin",
    )
    phone.set_default_timeout(10_000)
    await phone.add_cookies(session)  # type: ignore[arg-type]
    small = await phone.new_page()
    await shooter.shot(small, "phone-today", "/admin/today")
    await shooter.shot(small, "phone-calendar", "/admin/calendar?date=2026-12-08&view=day")
    await phone.close()


async def main(out: Path) -> int:
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}: apt-get install chromium", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slotwise-shots-") as folder:
        url = f"sqlite://{Path(folder) / 'slotwise.db'}"
        subprocess.run(
            [sys.executable, "-m", "slotwise", "import", str(DEMO), "--db", url],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = Settings(
            database_url=url,
            public_url=base,
            secret_key=SecretStr("screenshots-only-" + "x" * 32),
            secret_key_file=Path(folder) / "secret_key",
        )
        clock = Clock()
        app = create_app(settings, clock=clock)
        app.extensions[CONFIG] = replace(app.extensions[CONFIG], clock=clock)
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.accesslog = None
        config.errorlog = None
        stop = asyncio.Event()
        server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
        for _ in range(300):
            if SERVICES in app.extensions and _answers(port):
                break
            await asyncio.sleep(0.1)
        skipped: list[str] = []
        try:
            await seed(clock, app)
            links = {}
            for role, email, resource in (
                ("sysadmin", "root@example.org", None),
                ("admin", "office@example.org", None),
                ("staff", "lee@example.org", "dr-lee"),
            ):
                _, token = await invite(email, role, resource, now=clock())
                await enrolment(token, now=clock())
                links[role] = f"/admin/enrol/{token}"
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
                )
                try:
                    await take_all(browser, Shooter(base, out, skipped), clock, links)
                finally:
                    await browser.close()
        finally:
            stop.set()
            await server
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    return 1 if skipped else 0


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "admin")
    sys.exit(asyncio.run(main(parser.parse_args().out)))
