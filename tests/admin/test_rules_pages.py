"""Rule edits from the panel go through core.rules: validated, in the history with the user,
bookings that no longer fit listed; staff block only their own time."""

from __future__ import annotations

from quart import Quart
from quart.typing import TestClientProtocol as Client

from channels.services import services_of
from core.rules import rule_history
from tests.admin.conftest import Clock, csrf, signed_in
from tests.admin.test_pages import ADA, START

WEEK = {"mon": "09:00-17:00", "tue": "09:00-12:00", "wed": "", "thu": "09:00-17:00"}


async def post(client: Client, path: str, form: dict[str, str]) -> tuple[int, str]:
    token = await csrf(client, "/admin/rules/ana")
    response = await client.post(path, form={"csrf_token": token, **form})
    return response.status_code, await response.get_data(as_text=True)


async def test_an_admin_sets_hours_and_sees_the_bookings_that_no_longer_fit(
    app: Quart, clock: Clock
) -> None:
    booking = await services_of(app).bookings.book("haircut", START, ADA, provider="ana")
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get("/admin/rules/ana")).get_data(as_text=True)
    assert 'id="hours-tue" name="tue" type="text" value="09:00-13:00, 14:00-18:00"' in page
    status, page = await post(admin, "/admin/rules/ana/hours", WEEK)
    assert status == 200, page
    assert "Saved; it applies now." in page
    assert f"booking {booking.id}" in page  # 14:15 on a Tuesday is now outside the hours
    (entry,) = await rule_history(subject="ana")
    assert (entry.actor, entry.channel, entry.action) == (
        "admin:admin-x@example.org",
        "admin",
        "resource.hours",
    )
    assert entry.after is not None
    assert entry.after["weekly_hours"]["tue"] == [["09:00", "12:00"]]
    assert "wed" not in entry.after["weekly_hours"]


async def test_bad_hours_are_refused_naming_the_day_and_nothing_changes(
    app: Quart, clock: Clock
) -> None:
    admin = await signed_in(app, clock, "admin")
    status, page = await post(admin, "/admin/rules/ana/hours", {**WEEK, "tue": "9-25:00"})
    assert status == 400
    assert "Nothing was saved:" in page
    assert "weekly_hours.tue" in page
    assert 'value="9-25:00"' in page  # what was typed stays in the form
    assert await rule_history() == []


async def test_staff_edit_their_own_time_only(app: Quart, clock: Clock) -> None:
    ana = await signed_in(app, clock, "staff", "ana")
    block = {"start": "2026-12-30T09:00", "end": "2026-12-30T11:00", "reason": "Dentist"}
    status, page = await post(ana, "/admin/rules/ana/blocks", block)
    assert status == 200, page
    assert "Dentist" in page
    (entry,) = await rule_history(subject="ana")
    assert (entry.actor, entry.action) == ("staff:staff-ana@example.org", "resource.block")
    assert (await post(ana, "/admin/rules/ben/blocks", block))[0] == 403
    assert (await ana.get("/admin/rules/ben")).status_code == 403
    assert (await post(ana, "/admin/rules/ben/hours", WEEK))[0] == 403
    index = page.split("Dentist")[1].split('name="index" value="')[1].split('"')[0]
    status, page = await post(ana, "/admin/rules/ana/blocks/remove", {"index": index})
    assert status == 200
    assert "Dentist" not in page
    assert [e.action for e in await rule_history(subject="ana")] == [
        "resource.block_removed",
        "resource.block",
    ]


async def test_a_block_with_an_end_before_its_start_is_refused(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    block = {"start": "2026-12-30T11:00", "end": "2026-12-30T09:00", "reason": ""}
    status, page = await post(admin, "/admin/rules/ana/blocks", block)
    assert status == 400
    assert "blocks[" in page
