"""The round trip with a real CalDAV server (Radicale, started here on a free port): an
event made there removes slots here, bookings made here appear there and follow moves
and cancellations, and a weekly event with an exception blocks the right days across a
change to summer time."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import uuid4

import aiohttp
import pytest
from cryptography.fernet import Fernet

from core.bookings import Actor
from core.calendars import Calendars, Credentials
from tests.core.test_booking import ALICE, Setup, make_setup

ADMIN = Actor("admin", "Ada", "admin")
AUTH = {"Authorization": aiohttp.encode_basic_auth("ana", "x")}
PUBLIC = "https://book.example"
MONDAY = date(2027, 3, 15)  # two weeks before Berlin moves to summer time (28 March)


def allowed(setup: Setup) -> Calendars:
    """Radicale runs on loopback: the operator allows private addresses, as a business
    with its own calendar server on its network does."""
    key = Fernet.generate_key().decode()
    return Calendars(Credentials(key), PUBLIC, setup.clock, allow_private=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    folder = tmp_path_factory.mktemp("radicale")
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", "",
         "--server-hosts", f"127.0.0.1:{port}", "--auth-type", "none",
         "--rights-type", "owner_only", "--storage-filesystem-folder", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
async def setup(db: object) -> Setup:
    found = await make_setup()
    found.clock.now = datetime(2027, 3, 15, 7, tzinfo=UTC)
    return found


async def new_calendar(server: str, name: str) -> str:
    """Makes a calendar collection (MKCALENDAR) for user ana; its address."""
    url = f"{server}/ana/{name}/"
    async with (
        aiohttp.ClientSession(headers=AUTH) as http,
        http.request("MKCALENDAR", url) as made,
    ):
        assert made.status == 201, await made.text()
    return url


async def save(url: str, name: str, ics: str) -> None:
    headers = {"Content-Type": "text/calendar"}
    async with (
        aiohttp.ClientSession(headers=AUTH) as http,
        http.put(url + name, data=ics, headers=headers) as put,
    ):
        assert put.status in (201, 204), await put.text()


async def everything(url: str) -> str:
    """The whole calendar as Radicale hands it to any client (GET on the collection)."""
    async with aiohttp.ClientSession(headers=AUTH) as http, http.get(url) as got:
        assert got.status == 200
        return await got.text()


def at(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, tzinfo=UTC)


async def free_at(setup: Setup, start: datetime) -> bool:
    day = start.date()
    slots = await setup.service.offer("solo", day, day, provider="ana")
    return any(s.start == start for s in slots)


async def test_the_round_trip_with_a_caldav_server(setup: Setup, radicale: str) -> None:
    calendar = await new_calendar(radicale, f"work-{uuid4().hex}")
    await save(
        calendar,
        "physio.ics",
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//phone//EN\nBEGIN:VEVENT\n"
        "UID:standup@phone\nSUMMARY:Physio (private)\n"
        "DTSTART;TZID=Europe/Berlin:20270315T120000\nDTEND;TZID=Europe/Berlin:20270315T130000\n"
        "RRULE:FREQ=WEEKLY;COUNT=6\nEXDATE;TZID=Europe/Berlin:20270322T120000\n"
        "END:VEVENT\nEND:VCALENDAR\n",
    )
    calendars = allowed(setup)
    shown = await calendars.connect("ana", calendar, "ana", "x")
    assert shown.state == "ok", shown.last_error
    assert not await free_at(setup, at(15, 11))  # 12:00 in Berlin, winter time
    assert await free_at(setup, at(15, 10))
    assert await free_at(setup, at(22, 11))  # the skipped week
    assert not await free_at(setup, at(29, 10))  # 12:00 in Berlin, summer time
    assert await free_at(setup, at(29, 11))

    booking = await setup.service.book("solo", at(16, 14), ALICE, provider="ana")
    await calendars.sync("ana")
    there = await everything(calendar)
    assert there.count("UID:booking-") == 1
    assert f"UID:booking-{booking.id}@book.example" in there
    assert "DTSTART:20270316T140000Z" in there
    assert "Physio" not in str(shown)

    await setup.service.reschedule(booking.manage_token, at(16, 15), actor=ADMIN)
    await calendars.sync("ana")
    there = await everything(calendar)
    assert there.count("UID:booking-") == 1
    assert "DTSTART:20270316T150000Z" in there
    assert "DTSTART:20270316T140000Z" not in there
    assert await free_at(setup, at(16, 14))  # our own event is not read back as busy

    await setup.service.cancel(booking.manage_token, actor=ADMIN)
    await calendars.sync("ana")
    there = await everything(calendar)
    assert "UID:booking-" not in there
    assert "UID:standup@phone" in there  # theirs stays


async def test_a_wrong_address_is_refused_with_words(setup: Setup, radicale: str) -> None:
    calendars = allowed(setup)
    shown = await calendars.connect("ana", f"{radicale}/ana/no-such-calendar/", "ana", "x")
    assert shown.state == "refused"
    assert "address" in shown.last_error


def test_the_calendar_command_refuses_a_private_address_unless_allowed(
    radicale: str, empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from click.testing import CliRunner

    from slotwise.cli import DEMO_FILE, main
    from slotwise.settings import get_settings

    url = asyncio.run(new_calendar(radicale, f"cli-{uuid4().hex}"))
    monkeypatch.setenv("SLOTWISE_CREDENTIALS_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("SLOTWISE_CALENDARS_ALLOW_PRIVATE", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def connect(address: str) -> tuple[int, str]:
        command = ["calendar", "connect", "ana", "--url", address, "--user", "ana"]
        done = runner.invoke(main, [*command, "--password", "x", "--db", empty_db_url])
        return done.exit_code, done.output

    try:
        assert runner.invoke(main, ["import", str(DEMO_FILE), "--db", empty_db_url]).exit_code == 0
        for address in (url, "http://169.254.169.254/latest/", "http://localhost:5232/ana/"):
            code, out = connect(address)
            assert code == 1, out
            assert "--url: " in out
            assert "a calendar on your own network needs SLOTWISE_CALENDARS_ALLOW_PRIVATE=true" in (
                " ".join(out.split())
            )
        listed = runner.invoke(main, ["calendar", "list", "--db", empty_db_url]).output
        assert listed.startswith("No calendars connected")

        monkeypatch.setenv("SLOTWISE_CALENDARS_ALLOW_PRIVATE", "true")
        get_settings.cache_clear()
        code, out = connect(url)
        assert code == 0, out
        assert "calendar ana\tok" in out
    finally:
        get_settings.cache_clear()  # the next test reads the environment afresh


def test_the_calendar_commands(
    radicale: str, empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from click.testing import CliRunner

    from slotwise.cli import DEMO_FILE, main
    from slotwise.settings import get_settings

    url = asyncio.run(new_calendar(radicale, f"cli-{uuid4().hex}"))
    monkeypatch.setenv("SLOTWISE_CREDENTIALS_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("SLOTWISE_CALENDARS_ALLOW_PRIVATE", "true")  # Radicale is on loopback
    get_settings.cache_clear()
    runner = CliRunner()

    def slotwise(*args: str, stdin: str | None = None) -> tuple[int, str]:
        done = runner.invoke(main, [*args, "--db", empty_db_url], input=stdin)
        return done.exit_code, done.output

    assert slotwise("import", str(DEMO_FILE))[0] == 0
    assert slotwise("calendar", "list") == (
        0,
        "No calendars connected; connect one with 'slotwise calendar connect'.\n",
    )
    code, out = slotwise("calendar", "connect", "ana", "--url", url, "--user", "ana", stdin="x\n")
    assert code == 0, out
    assert "calendar ana\tok\t0 busy\tsynced " in out
    assert "ana\tok" in slotwise("calendar", "list")[1]
    assert "calendar ana\tok" in slotwise("calendar", "sync")[1]
    code, out = slotwise("worker", "--once", "--now", "2099-01-01T00:00:00Z")
    assert code == 0, out
    assert "calendar ana\tok" in out  # due again long after

    code, out = slotwise("calendar", "connect", "ana", "--url", url + "nope/", "--user", "ana",
                         "--password", "x")  # fmt: skip
    assert code == 1
    assert "could not be read" in out
    assert "address" in out
    assert slotwise("calendar", "disconnect", "ana")[0] == 0
    code, out = slotwise("calendar", "disconnect", "ana")
    assert code == 1
    assert "has no calendar connected" in out

    monkeypatch.delenv("SLOTWISE_CREDENTIALS_KEY")
    get_settings.cache_clear()
    code, out = slotwise("calendar", "connect", "ana", "--url", url, "--user", "ana",
                         "--password", "x")  # fmt: skip
    assert code == 1
    assert "SLOTWISE_CREDENTIALS_KEY" in out
    assert "Fernet.generate_key" in out
    get_settings.cache_clear()  # the next test reads the environment afresh
