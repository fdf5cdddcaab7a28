"""The calendar: its data (columns, bookings, blocks, hours off), moving a booking by drag
(the engine and the policy decide, an admin may override notice and window with a reason),
booking a caller on a free time, and who may do what (staff: their own column only)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

import admin.calendar as calendar_module
from channels.services import services_of
from core.audit import audit_log
from core.bookings import BookingInfo, CustomerInput
from tests.admin.conftest import Clock, csrf, signed_in

BERLIN = ZoneInfo("Europe/Berlin")
ADA = CustomerInput("Ada Lovelace", phone="+4930123456", email="ada@example.org")
BOB = CustomerInput("Bob Stone", phone="+4930999888", email="bob@example.org")


def tuesday() -> date:
    """A Tuesday one to two weeks ahead: Ana works 9-13 and 14-18, Ben 10-14 and 15-19."""
    today = datetime.now(UTC).astimezone(BERLIN).date()
    return today + timedelta(days=7 + (1 - today.weekday()) % 7)


DAY = tuesday()


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


def wall(hour: int, minute: int = 0, day: date = DAY) -> str:
    return datetime.combine(day, time(hour, minute)).isoformat()


async def two_bookings(app: Quart) -> tuple[BookingInfo, BookingInfo]:
    """Ada with Ana at 10:00, Bob with Ben at 11:00 (haircuts, 45 minutes)."""
    service = services_of(app).bookings
    ada = await service.book("haircut", at(10), ADA, provider="ana", channel="telegram")
    bob = await service.book("haircut", at(11), BOB, provider="ben")
    return ada, bob


async def post(client: Client, path: str, body: dict[str, Any], token: str) -> Any:
    return await client.post(path, json=body, headers={"X-CSRF-Token": token})


async def token_of(client: Client) -> str:
    return await csrf(client, "/admin/bookings")


def bookings_of(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {
        e["extendedProps"]["booking"]: e
        for e in data["events"]
        if e["extendedProps"]["kind"] == "booking"
    }


async def test_the_data_has_columns_bookings_blocks_and_hours_off(app: Quart, clock: Clock) -> None:
    ada, _ = await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    response = await admin.get(f"/admin/api/calendar?date={DAY.isoformat()}")
    assert response.status_code == 200
    data = await response.get_json()
    ids = [r["id"] for r in data["resources"]]
    assert {"ana", "ben", "dr-lee", "room-1", "hall"} <= set(ids)
    assert (
        "haircut"
        in next(r for r in data["resources"] if r["id"] == "ana")["extendedProps"]["services"]
    )
    shown = bookings_of(data)[ada.id]
    assert shown["title"] == "Ada Lovelace · Haircut"
    assert shown["start"] == wall(10)  # the business's wall clock, no offset
    assert shown["resourceIds"] == ["ana"]
    assert shown["editable"] is True
    off = [
        (e["start"], e["end"])
        for e in data["events"]
        if e["extendedProps"]["kind"] == "off" and e["resourceIds"] == ["ana"]
    ]
    assert off == [
        (wall(0), wall(9)),
        (wall(13), wall(14)),
        (wall(18), wall(0, day=DAY + timedelta(1))),
    ]
    assert data["slotMinTime"] <= "08:00"
    assert data["slotMaxTime"] >= "19:00"


async def test_blocks_are_shown_with_their_reason(app: Quart, clock: Clock) -> None:
    wednesday = DAY + timedelta(days=1)
    admin = await signed_in(app, clock, "admin")
    data = await (await admin.get(f"/admin/api/calendar?date={wednesday.isoformat()}")).get_json()
    blocks = [e for e in data["events"] if e["extendedProps"]["kind"] == "block"]
    meeting = [e for e in blocks if e["resourceIds"] == ["dr-lee"]]
    assert [(e["title"], e["start"], e["end"]) for e in meeting] == [
        ("Team meeting", wall(8, day=wednesday), wall(9, day=wednesday))
    ]
    assert all(e["editable"] is False for e in blocks)


async def test_the_week_view_covers_monday_to_sunday(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    data = await (
        await admin.get(f"/admin/api/calendar?date={DAY.isoformat()}&view=week")
    ).get_json()
    monday = DAY - timedelta(days=DAY.weekday())
    assert (data["first"], data["last"]) == (
        monday.isoformat(),
        (monday + timedelta(days=6)).isoformat(),
    )
    bad = await admin.get("/admin/api/calendar?date=tomorrow")
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in (await bad.get_json())["detail"]
    too_long = await admin.get("/admin/api/calendar?start=2026-01-01&end=2026-06-01")
    assert too_long.status_code == 400


async def test_staff_see_only_their_own_column(app: Quart, clock: Clock) -> None:
    ada, _bob = await two_bookings(app)
    ana = await signed_in(app, clock, "staff", "ana")
    data = await (await ana.get(f"/admin/api/calendar?date={DAY.isoformat()}")).get_json()
    assert [r["id"] for r in data["resources"]] == ["ana"]
    assert set(bookings_of(data)) == {ada.id}
    assert "Bob Stone" not in json.dumps(data)
    response = await ana.get(f"/admin/calendar?date={DAY.isoformat()}")
    assert response.status_code == 200
    assert "Bob Stone" not in await response.get_data(as_text=True)


async def test_anonymous_gets_401_and_a_change_needs_the_csrf_token(
    app: Quart, clock: Clock
) -> None:
    ada, _ = await two_bookings(app)
    anonymous = app.test_client()
    assert (await anonymous.get("/admin/api/calendar")).status_code == 401
    admin = await signed_in(app, clock, "admin")
    body = {"booking": ada.id, "start": wall(9)}
    assert (await admin.post("/admin/api/calendar/move", json=body)).status_code == 403
    wrong = await post(admin, "/admin/api/calendar/move", body, "not-the-token")
    assert wrong.status_code == 403
    assert (await services_of(app).bookings.get(ada.manage_token)).start == at(10)


async def test_an_admin_drags_a_booking_and_the_history_says_who(app: Quart, clock: Clock) -> None:
    ada, _ = await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    token = await token_of(admin)
    response = await post(
        admin, "/admin/api/calendar/move", {"booking": ada.id, "start": wall(15)}, token
    )
    answer = await response.get_json()
    assert response.status_code == 200, answer
    assert "Moved to" in answer["detail"]
    moved = await services_of(app).bookings.get(ada.manage_token)
    assert (moved.start, moved.resources) == (at(15), ("ana",))
    entry = (await audit_log(kind="booking", limit=5))[0]
    assert entry.action == "rescheduled"
    assert entry.actor == "admin:admin-x@example.org"
    assert entry.channel == "admin"
    # To another column: Ben is free at 12:00.
    response = await post(
        admin,
        "/admin/api/calendar/move",
        {"booking": ada.id, "start": wall(12), "resource": "ben"},
        token,
    )
    assert response.status_code == 200, await response.get_json()
    assert (await services_of(app).bookings.get(ada.manage_token)).resources == ("ben",)


async def test_a_refused_move_changes_nothing_and_says_why(app: Quart, clock: Clock) -> None:
    ada, _bob = await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    token = await token_of(admin)
    lunch = await post(
        admin,
        "/admin/api/calendar/move",
        {"booking": ada.id, "start": wall(13), "resource": "ana"},
        token,
    )
    assert lunch.status_code == 409
    answer = await lunch.get_json()
    assert answer["reasons"] == ["Ana is not open then."]
    assert answer["overridable"] is False  # the hours are never overridden
    onto_bob = await post(
        admin,
        "/admin/api/calendar/move",
        {"booking": ada.id, "start": wall(11), "resource": "ben"},
        token,
    )
    assert onto_bob.status_code == 409
    assert "Ben is already booked then." in (await onto_bob.get_json())["reasons"]
    forced = await post(
        admin,
        "/admin/api/calendar/move",
        {"booking": ada.id, "start": wall(13), "resource": "ana", "override": True, "reason": "x"},
        token,
    )
    assert forced.status_code == 409  # an override is not for hours or capacity
    assert (await services_of(app).bookings.get(ada.manage_token)).start == at(10)


async def test_an_admin_overrides_the_notice_with_a_reason(app: Quart, clock: Clock) -> None:
    ada, _ = await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    token = await token_of(admin)
    # The service's booking window is what the override lifts (hours still apply: a Tuesday).
    far = DAY + timedelta(days=7 * 20)
    body: dict[str, Any] = {"booking": ada.id, "start": wall(10, day=far)}
    refused = await post(admin, "/admin/api/calendar/move", body, token)
    answer = await refused.get_json()
    assert refused.status_code == 409, answer
    assert answer["overridable"] is True
    assert any("further ahead" in r for r in answer["reasons"])
    no_reason = await post(admin, "/admin/api/calendar/move", {**body, "override": True}, token)
    assert no_reason.status_code == 400
    assert "reason" in (await no_reason.get_json())["detail"]
    done = await post(
        admin,
        "/admin/api/calendar/move",
        {**body, "override": True, "reason": "the customer called"},
        token,
    )
    assert done.status_code == 200, await done.get_json()
    assert (await services_of(app).bookings.get(ada.manage_token)).start == at(10, day=far)
    entry = (await audit_log(kind="booking", limit=1))[0]
    assert (entry.action, entry.channel) == ("rescheduled", "admin")
    assert entry.data["override"] is True
    assert entry.data["reason"] == "the customer called"


async def test_staff_move_only_their_own_bookings_in_their_column(app: Quart, clock: Clock) -> None:
    ada, bob = await two_bookings(app)
    ana = await signed_in(app, clock, "staff", "ana")
    token = await token_of(ana)
    theirs = await post(
        ana, "/admin/api/calendar/move", {"booking": bob.id, "start": wall(16)}, token
    )
    assert theirs.status_code == 403
    away = await post(
        ana,
        "/admin/api/calendar/move",
        {"booking": ada.id, "start": wall(12), "resource": "ben"},
        token,
    )
    assert away.status_code == 403
    forced = await post(
        ana,
        "/admin/api/calendar/move",
        {"booking": ada.id, "start": wall(15), "override": True, "reason": "x"},
        token,
    )
    assert forced.status_code == 403
    service = services_of(app).bookings
    assert (await service.get(bob.manage_token)).start == at(11)
    own = await post(ana, "/admin/api/calendar/move", {"booking": ada.id, "start": wall(15)}, token)
    assert own.status_code == 200, await own.get_json()
    assert (await service.get(ada.manage_token)).start == at(15)
    entry = (await audit_log(kind="booking", limit=1))[0]
    assert entry.actor == "staff:staff-ana@example.org"


async def test_a_free_time_is_booked_for_a_caller(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    token = await token_of(admin)
    body = {
        "service": "haircut",
        "resource": "ben",
        "start": wall(16),
        "name": "Cleo Caller",
        "phone": "+49 30 5550101",
    }
    response = await post(admin, "/admin/api/calendar/book", body, token)
    answer = await response.get_json()
    assert response.status_code == 200, answer
    assert "Cleo Caller" in answer["detail"]
    data = await (await admin.get(f"/admin/api/calendar?date={DAY.isoformat()}")).get_json()
    made = bookings_of(data)[answer["booking"]]
    assert made["title"] == "Cleo Caller · Haircut"
    assert made["start"] == wall(16)
    assert made["resourceIds"] == ["ben"]
    entry = (await audit_log(kind="booking", limit=1))[0]
    assert (entry.action, entry.channel) == ("booked", "admin")
    again = await post(admin, "/admin/api/calendar/book", body, token)
    assert again.status_code == 409
    assert "Ben is already booked then." in (await again.get_json())["reasons"]
    nobody = await post(admin, "/admin/api/calendar/book", {**body, "phone": ""}, token)
    assert nobody.status_code == 400
    assert "phone" in (await nobody.get_json())["detail"]


async def test_staff_book_only_in_their_own_column(app: Quart, clock: Clock) -> None:
    ana = await signed_in(app, clock, "staff", "ana")
    token = await token_of(ana)
    body = {
        "service": "haircut",
        "resource": "ben",
        "start": wall(16),
        "name": "Cleo Caller",
        "email": "cleo@example.org",
    }
    assert (await post(ana, "/admin/api/calendar/book", body, token)).status_code == 403
    own = await post(ana, "/admin/api/calendar/book", {**body, "resource": "ana"}, token)
    assert own.status_code == 200, await own.get_json()


async def test_without_the_library_the_day_is_a_table_per_resource(
    app: Quart, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_bookings(app)
    monkeypatch.setattr(calendar_module, "vendored", lambda name: False)
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get(f"/admin/calendar?date={DAY.isoformat()}")).get_data(as_text=True)
    assert "<script" not in page
    assert 'id="cal-table-note"' in page
    ana = page[page.index('data-resource="ana"') :]
    ana = ana[: ana.index("</table>")]
    assert "Ada Lovelace · Haircut" in ana
    assert "Bob Stone" not in ana
    assert ana.index("Open") < ana.index("Ada Lovelace")  # in time order: 9:00 before 10:00
    wednesday = (DAY + timedelta(days=1)).isoformat()
    page = await (await admin.get(f"/admin/calendar?date={wednesday}")).get_data(as_text=True)
    lee = page[page.index('data-resource="dr-lee"') :]
    assert "Blocked: Team meeting" in lee[: lee.index("</table>")]


async def test_an_admin_can_show_one_column(app: Quart, clock: Clock) -> None:
    ada, bob = await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    query = f"date={DAY.isoformat()}&view=week&resource=ben"
    data = await (await admin.get(f"/admin/api/calendar?{query}")).get_json()
    assert [r["id"] for r in data["resources"]] == ["ben"]
    assert set(bookings_of(data)) == {bob.id}
    page = await (await admin.get(f"/admin/calendar?{query}")).get_data(as_text=True)
    assert 'data-resource="ben"' in page
    assert '<option value="ben" selected>' in page
    ana = await signed_in(app, clock, "staff", "ana")  # staff: their own, whatever they ask
    data = await (await ana.get(f"/admin/api/calendar?{query}")).get_json()
    assert [r["id"] for r in data["resources"]] == ["ana"]
    assert set(bookings_of(data)) == {ada.id}
