"""The Calendars page: admins manage every staff member's own calendar, staff only their
own; each action is in the audit log (never the password); the feed address is shown."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from quart import Quart
from quart.typing import TestClientProtocol as Client

from admin.access import CONFIG
from core import models as m
from core.audit import audit_log
from core.calendars import Calendars, Credentials
from core.errors import CalendarRefused
from tests.admin.conftest import Clock, csrf, signed_in
from tests.core.test_calendar_sync import FakeCalendar

URL = "https://dav.example/calendars/ana/work/"


@pytest.fixture
def remote() -> FakeCalendar:
    return FakeCalendar()


@pytest.fixture
def calendars_app(app: Quart, clock: Clock, remote: FakeCalendar) -> Quart:
    key = Fernet.generate_key().decode()

    def made() -> Calendars:
        return Calendars(Credentials(key), "https://book.example", clock, opener=lambda *_: remote)

    app.extensions[CONFIG] = replace(app.extensions[CONFIG], calendars=made)
    return app


async def post(client: Client, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    token = await csrf(client, "/admin/calendars")
    response = await client.post(path, form={"csrf_token": token, **(form or {})})
    return response.status_code, await response.get_data(as_text=True)


CONNECT = {"url": URL, "username": "ana", "password": "app-secret-pw"}


async def test_an_admin_connects_syncs_and_disconnects_a_staff_calendar(
    calendars_app: Quart, clock: Clock, remote: FakeCalendar
) -> None:
    admin = await signed_in(calendars_app, clock, "admin")
    page = await (await admin.get("/admin/calendars")).get_data(as_text=True)
    assert 'id="calendar-ana"' in page
    assert 'id="calendar-ben"' in page  # every staff member
    assert 'id="calendar-room-1"' not in page  # rooms have no calendar of their own
    assert re.search(r'id="feed-ana" type="text" readonly value="http[^"]+/feeds/', page)

    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    status, page = await post(admin, "/admin/calendars/ana/connect", CONNECT)
    assert status == 200, page
    assert "Connected" in page
    assert "working" in page
    assert "1 busy interval" in page
    row = await m.CalendarConnection.get(resource__slug="ana")
    assert "app-secret-pw" not in row.secret  # kept encrypted

    status, page = await post(admin, "/admin/calendars/ana/sync")
    assert status == 200
    assert "Synced." in page

    status, page = await post(admin, "/admin/calendars/ana/disconnect")
    assert status == 200
    assert not await m.CalendarConnection.exists()
    entries = await audit_log(kind="rule")
    assert [(e.action, e.subject, e.actor) for e in entries] == [
        ("calendar.disconnect", "ana", "admin:admin-x@example.org"),
        ("calendar.sync", "ana", "admin:admin-x@example.org"),
        ("calendar.connect", "ana", "admin:admin-x@example.org"),
    ]
    assert entries[2].data["after"]["url"] == URL
    assert all("app-secret-pw" not in str(e.data) for e in entries)


async def test_a_refused_connection_shows_why_to_staff_and_admins(
    calendars_app: Quart, clock: Clock, remote: FakeCalendar
) -> None:
    ana = await signed_in(calendars_app, clock, "staff", "ana")
    assert (await post(ana, "/admin/calendars/ana/connect", CONNECT))[0] == 200
    remote.fail = CalendarRefused("the calendar server refused the user name or password")
    status, page = await post(ana, "/admin/calendars/ana/sync")
    assert status == 400
    assert "refused the user name or password" in page
    assert "refused: connect it again" in page
    admin = await signed_in(calendars_app, clock, "admin")
    page = await (await admin.get("/admin/calendars")).get_data(as_text=True)
    assert "refused the user name or password" in page


async def test_staff_see_and_manage_only_their_own_calendar(
    calendars_app: Quart, clock: Clock
) -> None:
    ana = await signed_in(calendars_app, clock, "staff", "ana")
    page = await (await ana.get("/admin/calendars")).get_data(as_text=True)
    assert 'id="calendar-ana"' in page
    assert 'id="calendar-ben"' not in page
    assert 'id="feed-ana"' in page
    assert (await post(ana, "/admin/calendars/ben/connect", CONNECT))[0] == 403
    assert (await post(ana, "/admin/calendars/ben/sync"))[0] == 403
    assert (await post(ana, "/admin/calendars/ben/disconnect"))[0] == 403
    assert not await m.CalendarConnection.exists()


async def test_a_bad_address_is_refused_naming_the_field(
    calendars_app: Quart, clock: Clock
) -> None:
    admin = await signed_in(calendars_app, clock, "admin")
    status, page = await post(
        admin, "/admin/calendars/ana/connect", {**CONNECT, "url": "ftp://dav.example/"}
    )
    assert status == 400
    assert "Calendar address: write the http(s) address" in page
    assert 'value="ftp://dav.example/"' in page  # what was typed stays
    assert not await m.CalendarConnection.exists()
    assert await audit_log(kind="rule") == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5232/ana/work/",
        "http://10.0.0.7/ana/work/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:5232/ana/work/",
        "http://localhost:5232/ana/work/",
    ],
)
async def test_staff_cannot_point_their_calendar_inside_the_server_network(
    calendars_app: Quart, clock: Clock, remote: FakeCalendar, url: str
) -> None:
    ana = await signed_in(calendars_app, clock, "staff", "ana")
    status, page = await post(ana, "/admin/calendars/ana/connect", {**CONNECT, "url": url})
    assert status == 400
    assert "Calendar address: it is private or on this machine" in page
    assert "a calendar on your own network needs SLOTWISE_CALENDARS_ALLOW_PRIVATE=true" in page
    assert f'value="{url}"' in page  # what was typed stays, to be corrected
    assert remote.opened_with is None  # no request was made
    assert not await m.CalendarConnection.exists()
    assert await audit_log(kind="rule") == []

    key = Fernet.generate_key().decode()
    calendars_app.extensions[CONFIG] = replace(
        calendars_app.extensions[CONFIG],
        calendars=lambda: Calendars(
            Credentials(key), "https://book.example", clock, allow_private=True,
            opener=lambda *_: remote,
        ),
    )  # fmt: skip
    status, page = await post(ana, "/admin/calendars/ana/connect", {**CONNECT, "url": url})
    assert status == 200, page
    assert (await m.CalendarConnection.get(resource__slug="ana")).url == url


async def test_without_csrf_nothing_is_connected(calendars_app: Quart, clock: Clock) -> None:
    admin = await signed_in(calendars_app, clock, "admin")
    response = await admin.post("/admin/calendars/ana/connect", form=CONNECT)
    assert response.status_code == 403
    assert not await m.CalendarConnection.exists()


async def test_the_day_list_marks_a_booking_an_event_there_lands_on(
    calendars_app: Quart, clock: Clock, remote: FakeCalendar
) -> None:
    from datetime import timedelta

    from channels.services import services_of
    from tests.admin.test_pages import ADA, BOB, DAY, START

    service = services_of(calendars_app).bookings
    hit = await service.book("haircut", START, ADA, provider="ana")
    missed = await service.book("haircut", START + timedelta(hours=2), BOB, provider="ana")
    stamp = "%Y%m%dT%H%M%SZ"
    remote.event(
        "dentist.ics",
        (START + timedelta(minutes=15)).strftime(stamp),
        (START + timedelta(minutes=45)).strftime(stamp),
    )
    admin = await signed_in(calendars_app, clock, "admin")
    assert (await post(admin, "/admin/calendars/ana/connect", CONNECT))[0] == 200
    page = await (await admin.get(f"/admin/bookings?date={DAY}")).get_data(as_text=True)
    assert f'id="clash-{hit.id}"' in page
    assert f'id="clash-{missed.id}"' not in page
    assert await m.Booking.filter(id=hit.id, status="confirmed").exists()  # kept
