"""Every page of the admin panel, as each role, in headless Chromium.

A sysadmin, an admin and a staff member (Dr. Lee) enrol through their one-time links
and sign in with a TOTP code; then each opens every page its role allows, found by
walking the app's URL map (so a page added later is walked without touching this
test), at desktop size and on a phone. On every page: it answers 200, the browser
reports nothing (a CSP violation is a console error), and axe-core (from npm, in
``admin/frontend``) finds no serious or critical accessibility violation. Each role
also meets a page it may not open, which answers 403 with words, not a traceback.
Screenshots are kept in ``artifacts/browser/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from admin.access import ACCESS, Access
from core.users import UserRole
from slotwise.app import create_app
from slotwise.settings import Settings
from tests.browser.admin_signin import away_from_a_step_edge
from tests.browser.conftest import PHONE, ROOT, Shots, demo_database, free_port, run_server

AXE = ROOT / "admin" / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a long and lovely password"
STAFF_RESOURCE = "dr-lee"
USERS = {
    UserRole.SYSADMIN: "root@example.org",
    UserRole.ADMIN: "office@example.org",
    UserRole.STAFF: "lee@example.org",
}
WALK_USER = "1"
"""A user's page is walked as the first user the walk makes (the sysadmin's own)."""
SERIOUS = ("serious", "critical")
WIDEST = """(width) => [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`
              + ` ${Math.round(e.getBoundingClientRect().right)}px`)
    .slice(-3)"""
"""The innermost elements that stick out past the phone's edge (for the failure message)."""


def pages_for(role: UserRole) -> list[str]:
    """The GET pages under /admin this role may open (parameters filled where one is known)."""
    app = create_app(Settings(database_url="sqlite://:memory:"))
    found = []
    for rule in app.url_map.iter_rules():
        access: Access | None = getattr(app.view_functions[rule.endpoint], ACCESS, None)
        if (
            not rule.rule.startswith("/admin")
            or "GET" not in (rule.methods or set())
            or access is None
            or access.kind != "page"
            or role not in access.roles
        ):
            continue
        path = rule.rule.replace("<resource>", STAFF_RESOURCE).replace("<user_id>", WALK_USER)
        if "<" not in path and not path.endswith(".csv"):  # a download, not a page to look at
            found.append(path)
    return sorted(set(found))


def forbidden_for(role: UserRole) -> list[str]:
    everything = set(pages_for(UserRole.SYSADMIN))
    return sorted(everything - set(pages_for(role)))


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(the server's URL, each role's one-time enrolment link path)."""
    folder = tmp_path_factory.mktemp("slotwise-admin-walk")
    url, port = demo_database(folder), free_port()
    links = {}
    for role, email in USERS.items():
        extra = ["--resource", STAFF_RESOURCE] if role is UserRole.STAFF else []
        made = subprocess.run(
            [sys.executable, "-m", "slotwise", "user", "create", email, "--role", role.value,
             *extra, "--db", url],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        link = re.search(r"/admin/enrol/\S+", made.stdout)
        assert link is not None, made.stdout
        links[role.value] = link.group()
    command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
    for base in run_server(command, port, folder / "server.log"):
        yield base, links


class Watch:
    """What the browser complains about: console errors (CSP violations among them)."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("console", self.console)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(message.text)

    def take(self) -> list[str]:
        taken, self.problems = self.problems, []
        return taken


SECRETS: dict[UserRole, str | None] = {}
"""Each role's TOTP key once enrolled (None: the staff member chose the password only)."""


async def sign_in(page: Page, base: str, links: dict[str, str], role: UserRole) -> None:
    """Enrol through the link the first time (admins with a TOTP key, the staff member without
    one, as staff may), then sign in; a code is never used twice."""
    if role not in SECRETS:
        await page.goto(base + links[role.value])
        await page.fill("#password", PASSWORD)
        await page.fill("#password_again", PASSWORD)
        secret = None
        if role is not UserRole.STAFF:
            secret = (await page.locator("#secret").text_content() or "").strip()
            away_from_a_step_edge()
            await page.fill("#code", pyotp.TOTP(secret).at(time.time() - 30))  # within drift
        await page.click("button[type=submit]")
        await expect(page.locator("h1")).to_have_text("Your sign-in is ready")
        await expect(page.locator("#recovery-codes li")).to_have_count(0 if secret is None else 10)
        SECRETS[role] = secret
    await page.goto(base + "/admin/login")
    await page.fill("#email", USERS[role])
    await page.fill("#password", PASSWORD)
    secret = SECRETS[role]
    if secret is not None:
        away_from_a_step_edge()
        await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("button[type=submit]")
    await expect(page).not_to_have_url(re.compile(r"/admin/login"))


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands.

    axe is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the page keeps its strict policy while it is checked.
    """
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    results: dict[str, Any] = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


async def walk(
    context: BrowserContext, base: str, links: dict[str, str], role: UserRole, shots: Shots
) -> None:
    page = await context.new_page()
    watch = Watch(page)
    await sign_in(page, base, links, role)
    assert watch.take() == []
    paths = pages_for(role)
    assert paths, f"no page for {role.value}"
    findings: dict[str, list[str]] = {}
    for path in paths:
        response = await page.goto(base + path)
        assert response is not None
        assert response.status == 200, f"{role.value} {path}: {response.status}"
        await page.wait_for_load_state("networkidle")
        step = f"{role.value}{path.replace('/', '-')}"
        await shots.take(page, step)
        problems = watch.take() + await serious_violations(page)
        if problems:
            findings[path] = problems
    for path in forbidden_for(role)[:3]:
        response = await page.goto(base + path)
        assert response is not None
        assert response.status == 403, f"{role.value} {path}: {response.status}"
        await expect(page.locator("h1")).to_have_text("You may not open this page")
    assert findings == {}
    await page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core missing: npm ci --prefix admin/frontend")
@pytest.mark.parametrize("role", list(UserRole), ids=lambda r: r.value)
async def test_every_page_of_each_role_is_clean_and_accessible(
    walk_server: tuple[str, dict[str, str]], browser: Browser, shots: Shots, role: UserRole
) -> None:
    base, links = walk_server
    desktop = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    desktop.set_default_timeout(15_000)
    try:
        await walk(desktop, base, links, role, shots)
    finally:
        await desktop.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core missing: npm ci --prefix admin/frontend")
async def test_the_staff_pages_fit_a_phone(
    walk_server: tuple[str, dict[str, str]], browser: Browser, shots: Shots
) -> None:
    """Staff open the panel on a phone: no page is wider than the screen."""
    base, links = walk_server
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    phone.set_default_timeout(15_000)
    page = await phone.new_page()
    try:
        await sign_in(page, base, links, UserRole.STAFF)
        too_wide = {}
        for path in pages_for(UserRole.STAFF):
            await page.goto(base + path)
            await page.wait_for_load_state("networkidle")
            await shots.take(page, f"phone{path.replace('/', '-')}")
            width = await page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[path] = await page.evaluate(WIDEST, PHONE["width"])
        assert too_wide == {}
    finally:
        await phone.close()
