"""Real servers and a real browser for the web chat's tests.

Chromium is Debian's (``/usr/bin/chromium``; ``.ci/run`` installs it), driven by
Playwright's async API, so these tests share the pytest process and its event
loops with the rest of the suite (the sync API breaks the async tests that run
after it: playwright-pytest #167). Without the browser the tests skip.

Every test talks to ``slotwise serve`` itself: the real bot, in its own process on
a free port, with the demo business on a fresh SQLite database, and the real
clock (so tests ask for weekdays, never "tomorrow"). Where a test needs the
network to fail or be slow, it says so to the browser (``page.route``), not to
the server. A plain static server plays "another site" that embeds the widget.
Screenshots go to ``artifacts/browser/<test>/<nn>-<step>.png``.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "slotwise" / "demo" / "demo.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
PHONE = ViewportSize(width=360, height=640)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_database(folder: Path) -> str:
    url = f"sqlite://{folder / 'slotwise.db'}"
    subprocess.run(
        [sys.executable, "-m", "slotwise", "import", str(DEMO), "--db", url],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return url


def run_server(command: list[str], port: int, log_path: Path) -> Iterator[str]:
    """Start ``command``, wait until ``port`` answers, yield its base URL, stop it."""
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise RuntimeError(log_path.read_text()) from None
                time.sleep(0.1)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def slotwise_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``slotwise serve`` with the demo business: the real bot behind the page."""
    folder = tmp_path_factory.mktemp("slotwise-serve")
    url, port = demo_database(folder), free_port()
    command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
    yield from run_server(command, port, folder / "server.log")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def other_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain static web server on another origin: (its base URL, the folder it serves)."""
    folder = tmp_path_factory.mktemp("other-site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- the browser --------------------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A page in a fresh profile the size of a small phone (360×640, touch)."""
    context = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/Lisbon",
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


class Shots:
    """Numbered screenshots of one test: ``artifacts/browser/<test>/<nn>-<step>.png``."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.count = 0

    async def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path))
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-"))
