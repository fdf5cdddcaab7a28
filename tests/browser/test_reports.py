"""The reports page in headless Chromium: an admin signs in, opens the reports of the
hand-made business (``tests/core/test_reports.py``), and every chart is drawn, under the
panel's strict CSP, without one violation or failed request; without script the tables
are all there and no empty chart box shows. Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from admin.blueprint import vendored
from admin.reports import REPORTS
from tests.browser.admin_signin import enrol_and_sign_in, one_time_link
from tests.browser.conftest import ROOT, Shots, free_port, run_server
from tests.core.test_reports import business_file

EMAIL = "boss@example.org"
PASSWORD = "a long and lovely password"
PERIOD = "from=2026-11-30&to=2026-12-04"
HEATMAPS = {"peak", "empty-hours"}


def slotwise(args: list[str]) -> str:
    """What a ``slotwise`` command prints."""
    done = subprocess.run(
        [sys.executable, "-m", "slotwise", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout


@pytest.fixture(scope="module")
def reports_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the server's URL, the admin's one-time link path), with the hand-made business."""
    folder = tmp_path_factory.mktemp("slotwise-reports")
    url, port = f"sqlite://{folder / 'slotwise.db'}", free_port()
    source = folder / "business.yaml"
    source.write_text(business_file())
    slotwise(["import", str(source), "--db", url])
    link = one_time_link(url, EMAIL, "admin")
    command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
    for base in run_server(command, port, folder / "server.log"):
        yield base, link


async def signed_in_page(browser: Browser, base: str, link: str) -> tuple[Page, list[str]]:
    """A page signed in as the admin (enrolled through the link), and the problems seen:
    console errors (CSP violations are reported there) and failed responses."""
    context: BrowserContext = await browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", watch)
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    await enrol_and_sign_in(page, base, link, EMAIL)
    return page, problems


async def test_the_reports_draw_their_charts_and_work_without_script(
    reports_server: tuple[str, str], browser: Browser, shots: Shots
) -> None:
    base, link = reports_server
    page, problems = await signed_in_page(browser, base, link)
    await page.click("nav >> text=Reports")
    await expect(page).to_have_url(base + "/admin/reports")
    await expect(page.locator("h1")).to_contain_text("Reports")
    await page.goto(f"{base}/admin/reports?{PERIOD}")
    drawn = set(REPORTS) if vendored("chart.umd.min.js") else HEATMAPS
    await expect(page.locator(".chart[data-drawn=true]")).to_have_count(len(drawn))
    for name in drawn:
        box = page.locator(f'.chart[data-report="{name}"]')
        await expect(box).to_be_visible()
        canvas = box.locator("canvas")
        size = await canvas.evaluate("c => [c.width, c.height]")
        assert size[0] > 100, name
        assert size[1] > 50, name
    # A drawn heatmap has colour in it: the Monday 9:00 cell of the peak hours is the darkest.
    painted = await page.locator('.chart[data-report="peak"] canvas').evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 0; i < d.length; i += 4) { if (d[i + 2] > 150 && d[i] < 100)"
        " n++; } return n; }"
    )
    assert painted > 100
    await expect(page.locator("#table-providers tbody tr")).to_have_count(2)
    # Every axis says each value once: a share axis of small numbers ("0.05%, 0.1%, 0.15%")
    # once read "0.1%, 0.1%, 0.2%" because its labels kept one decimal whatever the step.
    axes = await page.evaluate(
        "() => [...document.querySelectorAll('.chart canvas')]"
        ".map(c => window.Chart && window.Chart.getChart(c)).filter(Boolean)"
        ".flatMap(ch => Object.entries(ch.scales).map(([id, s]) =>"
        " [ch.canvas.closest('.chart').dataset.report + ' ' + id,"
        " s.ticks.map(t => String(t.label))]))"
    )
    for axis, labels in axes:
        assert len(labels) == len(set(labels)), (axis, labels)
    steps = {"small shares": [0, 0.05, 0.1, 0.15, 0.2], "halves": [0, 2.5, 5, 7.5, 10]}
    for name, values in steps.items():
        labels = await page.evaluate(
            "values => values.map((v, i, all) => window.slotwiseAxisLabel("
            "'en-GB', true, v, all.map(value => ({value}))))",
            values,
        )
        assert len(labels) == len(set(labels)), (name, labels)
    assert labels == ["0%", "2.5%", "5%", "7.5%", "10%"]
    await shots.take(page, "reports")
    await page.screenshot(path=str(shots.folder / "reports-full.png"), full_page=True)
    assert problems == []

    # Without script (the same session): the tables are the report, no empty chart box.
    cookies = await page.context.cookies()
    await page.context.close()
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", java_script_enabled=False
    )
    await context.add_cookies(cookies)  # type: ignore[arg-type]
    plain = await context.new_page()
    await plain.goto(f"{base}/admin/reports?{PERIOD}")
    await expect(plain.locator("table.report-table")).to_have_count(len(REPORTS))
    await expect(plain.locator(".chart:visible")).to_have_count(0)
    await expect(plain.locator("#table-services tbody tr").first).to_contain_text("Haircut")
    await shots.take(plain, "without-script")
    assert problems == []
    await context.close()
