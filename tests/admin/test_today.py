"""Today: the landing page. The day's bookings per resource, free time left and the share
booked so far, and what needs attention; staff see only their own resource."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from quart import Quart

from channels.services import services_of
from core import models as m
from core.bookings import Actor
from core.outbox import MessageKind
from core.rules import add_block, remove_service, set_weekly_hours
from tests.admin.conftest import Clock, make_user, sign_in, signed_in
from tests.admin.test_bookings import book_two
from tests.admin.test_pages import BERLIN, START

DAY = START.astimezone(BERLIN).date()


def during_adas_haircut(clock: Clock) -> None:
    """The panel's clock at 14:30 in Berlin on the day (Ada: 14:15-15:00, with buffers
    14:10-15:10, on Ana, who works 9-13 and 14-18 that Tuesday)."""
    clock.now = datetime.combine(DAY, time(14, 30), BERLIN)


async def test_sign_in_lands_on_today_with_each_resources_day(app: Quart, clock: Clock) -> None:
    during_adas_haircut(clock)
    await book_two(app)
    client = app.test_client()
    person = await make_user(client, clock, "boss@example.org", "admin")
    await sign_in(client, clock, person)
    assert (await client.get("/admin/")).headers["Location"] == "/admin/today"
    page = await (await client.get("/admin/today")).get_data(as_text=True)
    assert "Today" in page
    ana = page.split('id="r-ana"')[1].split("</section>")[0]
    assert "Ada Lovelace" in ana
    assert "Bob Stone" not in ana
    # Ana was open 270 minutes before 14:30 and 20 of them were booked (14:10-14:30);
    # after it, 210 minutes open, 40 booked (until 15:10): 170 minutes free.
    assert "7%" in ana
    assert "170 minutes" in ana
    ben = page.split('id="r-ben"')[1].split("</section>")[0]
    assert "Bob Stone" in ben
    hall = page.split('id="r-hall"')[1].split("</section>")[0]
    assert "389 minutes × 12 seats" in hall  # 14:30:31 (sign-in moved the clock) to 21:00
    assert 'id="all-well"' in page


async def test_staff_see_only_their_own_day(app: Quart, clock: Clock) -> None:
    during_adas_haircut(clock)
    await book_two(app)
    ana = await signed_in(app, clock, "staff", "ana")
    page = await (await ana.get("/admin/today")).get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert 'id="r-ben"' not in page
    assert "Bob Stone" not in page


async def test_what_needs_attention(app: Quart, clock: Clock) -> None:
    during_adas_haircut(clock)
    clock.now -= timedelta(hours=5)  # 9:30, before both bookings
    ada, bob = await book_two(app)
    await m.Outbox.create(
        dedup_key="test:dead",
        kind=MessageKind.REMINDER.value,
        payload={},
        available_at=clock.now,
        status=m.OutboxStatus.DEAD,
        attempts=8,
        last_error="SMTP said no",
    )
    await m.Outbox.create(
        dedup_key="test:clash",
        kind=MessageKind.STAFF_CALENDAR_CONFLICT.value,
        booking_id=bob.id,
        payload={"resources": ["ben"]},
        available_at=clock.now,
    )
    local = START.astimezone(BERLIN)
    await add_block(
        "ana",
        {
            "start": local.strftime("%Y-%m-%dT14:00"),
            "end": local.strftime("%Y-%m-%dT16:00"),
            "reason": "Training",
        },
        actor=Actor("admin", "Zoe", "admin"),
    )
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get("/admin/today")).get_data(as_text=True)
    attention = page.split('id="attention"')[1].split("</ul>")[0]
    assert "SMTP said no" in attention
    assert "no longer fits the rules" in attention
    assert f"/admin/bookings/{ada.id}" in attention
    assert "own calendar has an event then" in attention
    assert f"/admin/bookings/{bob.id}" in attention
    ana = await signed_in(app, clock, "staff", "ana")
    mine = await (await ana.get("/admin/today")).get_data(as_text=True)
    assert "no longer fits the rules" in mine
    assert "SMTP said no" not in mine  # the outbox is the admins' business
    assert "own calendar" not in mine  # Ben's clash
    ben = await signed_in(app, clock, "staff", "ben")
    his = await (await ben.get("/admin/today")).get_data(as_text=True)
    assert "own calendar has an event then" in his
    assert "no longer fits" not in his
    await services_of(app).bookings.cancel(
        bob.manage_token, actor=Actor("admin", "Zoe", "admin"), reason="x", override=True
    )
    his = await (await ben.get("/admin/today")).get_data(as_text=True)
    assert "own calendar" not in his  # a cancelled booking clashes with nothing


async def test_a_day_can_be_chosen_and_a_bad_one_is_named(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    response = await admin.get("/admin/today?date=soon")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in await response.get_data(as_text=True)
    sunday = await (await admin.get("/admin/today?date=2026-12-06")).get_data(as_text=True)
    assert "Nothing is open on this day." in sunday


async def test_today_speaks_the_users_language(app: Quart, clock: Clock) -> None:
    during_adas_haircut(clock)
    await book_two(app)
    client = app.test_client()
    person = await make_user(client, clock, "de@example.org", "admin")
    await sign_in(client, clock, person)
    page = await client.get("/admin/today")
    token = (await page.get_data(as_text=True)).split('name="csrf_token" value="')[1].split('"')[0]
    await client.post(
        "/admin/language", form={"csrf_token": token, "lang": "de", "next": "/admin/today"}
    )
    german = await (await client.get("/admin/today")).get_data(as_text=True)
    assert "Heute" in german
    assert "Bisher gebucht" in german
    assert "170 Minuten" in german
    assert "389 Minuten × 12 Plätze" in german


async def test_an_hours_edit_lists_the_booking_left_outside_them(app: Quart, clock: Clock) -> None:
    """Today's check reads the hours the engine remembers per version of the rules: an
    edit is a new version, so the page seen before it is not what is shown after it."""
    during_adas_haircut(clock)
    clock.now -= timedelta(hours=5)  # 9:30, before both bookings
    ada, bob = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    before = await (await admin.get("/admin/today")).get_data(as_text=True)
    assert 'id="all-well"' in before
    weekdays = {day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in ("mon", "wed", "thu")}
    await set_weekly_hours(
        "ana", {**weekdays, "tue": [["09:00", "12:00"]]}, actor=Actor("admin", "Zoe", "admin")
    )
    page = await (await admin.get("/admin/today")).get_data(as_text=True)
    attention = page.split('id="attention"')[1].split("</ul>")[0]
    assert "Ana is not open then." in attention
    assert f"/admin/bookings/{ada.id}" in attention
    assert f"/admin/bookings/{bob.id}" not in attention


async def test_a_service_switched_off_lists_its_bookings(app: Quart, clock: Clock) -> None:
    during_adas_haircut(clock)
    clock.now -= timedelta(hours=5)
    ada, bob = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    assert 'id="all-well"' in await (await admin.get("/admin/today")).get_data(as_text=True)
    await remove_service("haircut", actor=Actor("admin", "Zoe", "admin"))  # kept, switched off
    page = await (await admin.get("/admin/today")).get_data(as_text=True)
    attention = page.split('id="attention"')[1].split("</ul>")[0]
    assert attention.count("The service is switched off.") == 2
    assert f"/admin/bookings/{ada.id}" in attention
    assert f"/admin/bookings/{bob.id}" in attention
