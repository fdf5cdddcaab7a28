"""The first pages: the day's bookings (staff see only their own) and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from quart import Quart

from channels.services import services_of
from core.bookings import Actor, CustomerInput
from core.rules import add_block
from tests.admin.conftest import Clock, signed_in

BERLIN = ZoneInfo("Europe/Berlin")


def next_tuesday() -> datetime:
    """14:15 in Berlin on a Tuesday one to two weeks ahead (Ana and, from 15:00, Ben work)."""
    today = datetime.now(UTC).astimezone(BERLIN).date()
    day = today + timedelta(days=7 + (1 - today.weekday()) % 7)
    return datetime.combine(day, time(14, 15), tzinfo=BERLIN).astimezone(UTC)


START = next_tuesday()
DAY = START.astimezone(BERLIN).date().isoformat()
ADA = CustomerInput("Ada Lovelace", phone="+4930123456", email="ada@example.org")
BOB = CustomerInput("Bob Stone", phone="+4930999888", email="bob@example.org")


async def two_bookings(app: Quart) -> None:
    """Ada with Ana at 14:15, Bob with Ben at 15:15 (then cancelled)."""
    service = services_of(app).bookings
    await service.book("haircut", START, ADA, provider="ana", channel="telegram")
    bob = await service.book("haircut", START + timedelta(hours=1), BOB, provider="ben")
    await service.cancel(bob.manage_token, actor=Actor("admin", "Zoe", "admin"), override=True)


async def test_an_admin_sees_the_days_bookings_with_contacts_and_filters(
    app: Quart, clock: Clock
) -> None:
    await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get(f"/admin/bookings?date={DAY}")).get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "+4930123456" in page
    assert "Bob Stone" in page
    assert "2:15\u202fPM" in page or "2:15 PM" in page  # Babel, in Berlin time
    assert "Haircut" in page
    ana_only = await (await admin.get(f"/admin/bookings?date={DAY}&resource=ana")).get_data(
        as_text=True
    )
    assert "Ada Lovelace" in ana_only
    assert "Bob Stone" not in ana_only
    cancelled = await (await admin.get(f"/admin/bookings?date={DAY}&status=cancelled")).get_data(
        as_text=True
    )
    assert "Bob Stone" in cancelled
    assert "Ada Lovelace" not in cancelled
    other_day = (START + timedelta(days=1)).astimezone(BERLIN).date().isoformat()
    empty = await (await admin.get(f"/admin/bookings?date={other_day}")).get_data(as_text=True)
    assert "No bookings on this day." in empty


async def test_staff_see_only_their_resources_bookings_and_customers(
    app: Quart, clock: Clock
) -> None:
    await two_bookings(app)
    ana = await signed_in(app, clock, "staff", "ana")
    for query in (f"date={DAY}", f"date={DAY}&resource=ben"):
        page = await (await ana.get(f"/admin/bookings?{query}")).get_data(as_text=True)
        assert "Ada Lovelace" in page
        assert "Bob Stone" not in page
        assert "bob@example.org" not in page
        data = await (await ana.get(f"/admin/api/bookings?{query}")).get_json()
        assert [b["customer"]["name"] for b in data["bookings"]] == ["Ada Lovelace"]
    ben = await signed_in(app, clock, "staff", "ben")
    data = await (await ben.get(f"/admin/api/bookings?date={DAY}")).get_json()
    assert [b["customer"]["email"] for b in data["bookings"]] == ["bob@example.org"]


async def test_bad_filters_are_named(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    response = await admin.get("/admin/api/bookings?date=tuesday")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in (await response.get_json())["detail"]
    response = await admin.get("/admin/bookings?status=lost")
    assert response.status_code == 400
    assert "Choose a status from the list." in await response.get_data(as_text=True)


async def test_the_audit_log_shows_booking_and_rule_changes_with_who(
    app: Quart, clock: Clock
) -> None:
    await two_bookings(app)
    await add_block(
        "ana",
        {"start": "2026-12-30T09:00", "end": "2026-12-30T10:00", "reason": "Dentist"},
        actor=Actor("admin", "Zoe", "admin"),
    )
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get("/admin/audit")).get_data(as_text=True)
    assert "admin:Zoe" in page
    assert "resource.block" in page
    assert "Dentist" in page
    assert "cancelled" in page
    rules = await (await admin.get("/admin/audit?kind=rule")).get_data(as_text=True)
    assert "resource.block" in rules
    assert "booking " not in rules.split("<tbody>")[1]


async def test_a_user_reads_the_panel_in_their_language(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    page = await admin.get("/admin/bookings")
    assert "Bookings" in await page.get_data(as_text=True)
    token = (await page.get_data(as_text=True)).split('name="csrf_token" value="')[1].split('"')[0]
    changed = await admin.post(
        "/admin/language", form={"csrf_token": token, "lang": "de", "next": "/admin/bookings"}
    )
    assert changed.status_code == 303
    german = await (await admin.get(f"/admin/bookings?date={DAY}")).get_data(as_text=True)
    assert "Buchungen" in german
    assert '<html lang="de">' in german
