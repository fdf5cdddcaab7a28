"""The Rules section's forms: resources, the hours preview, bookings to decide on, date
overrides and public holidays, recurring blocks. Each save is a rule edit in the history
(the signed-in user, channel admin); each refusal names the field; roles and CSRF hold."""

from __future__ import annotations

from quart import Quart
from quart.typing import TestClientProtocol as Client

from channels.services import services_of
from core.notify import Ready, prepare
from core.outbox import MessageKind, claim
from core.rules import resource_rules, rule_history
from tests.admin.conftest import Clock, csrf, signed_in
from tests.admin.test_pages import ADA, START
from tests.admin.test_rules_pages import WEEK, post

NEW = {"id": "chair-3", "name": "Chair 3", "kind": "equipment", "capacity": "2", "active": "1"}


async def post_on(client: Client, page: str, path: str, form: dict[str, str]) -> tuple[int, str]:
    token = await csrf(client, page)
    response = await client.post(path, form={"csrf_token": token, **form})
    return response.status_code, await response.get_data(as_text=True)


async def test_an_admin_adds_changes_and_removes_a_resource(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    status, _ = await post_on(admin, "/admin/resources/new", "/admin/resources/new", NEW)
    assert status == 303
    added = await resource_rules("chair-3")
    assert (added["name"], added["kind"], added["capacity"]) == ("Chair 3", "equipment", 2)
    (entry,) = await rule_history(subject="chair-3")
    assert (entry.actor, entry.channel, entry.action) == (
        "admin:admin-x@example.org",
        "admin",
        "resource.put",
    )
    details = {**NEW, "capacity": "3", "email": "chair@example.org"}
    status, page = await post(admin, "/admin/rules/chair-3/details", details)
    assert status == 200, page
    assert (await resource_rules("chair-3"))["capacity"] == 3
    ana = {
        "name": "Ana",
        "kind": "staff",
        "capacity": "1",
        "active": "1",
        "slack_user": "U012AB3CD",
    }
    status, page = await post(admin, "/admin/rules/ana/details", ana)
    assert status == 200, page
    kept = await resource_rules("ana")
    assert kept["slack_user"] == "U012AB3CD"
    assert kept["weekly_hours"]["tue"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert kept["aliases"]  # what the form does not show stays
    status, _ = await post(admin, "/admin/rules/chair-3/remove", {})
    assert status == 303
    assert [e.action for e in await rule_history(subject="chair-3")] == [
        "resource.remove",
        "resource.put",
        "resource.put",
    ]


async def test_a_bad_resource_is_refused_naming_the_field(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    new = "/admin/resources/new"
    status, page = await post_on(admin, new, new, {**NEW, "capacity": "many"})
    assert status == 400
    assert "Capacity (capacity)" in page
    assert 'value="Chair 3"' in page  # what was typed stays
    status, page = await post_on(admin, new, new, {**NEW, "id": "ana"})
    assert status == 400
    assert "Id (id): ana is taken" in page
    status, page = await post_on(admin, new, new, {**NEW, "kind": "boat"})
    assert status == 400
    assert "Kind (kind)" in page
    status, page = await post(admin, "/admin/rules/ana/details", {"name": "", "kind": "staff"})
    assert status == 400
    assert "Name (name)" in page
    assert await rule_history() == []


async def test_resources_are_for_admins_and_every_form_needs_its_token(
    app: Quart, clock: Clock
) -> None:
    ana = await signed_in(app, clock, "staff", "ana")
    assert (await ana.get("/admin/resources/new")).status_code == 403
    assert (await post(ana, "/admin/resources/new", NEW))[0] == 403
    assert (await post(ana, "/admin/rules/ana/details", NEW))[0] == 403
    assert (await post(ana, "/admin/rules/ana/remove", {}))[0] == 403
    admin = await signed_in(app, clock, "admin")
    for path in (
        "/admin/resources/new",
        "/admin/rules/ana/details",
        "/admin/rules/ana/hours",
        "/admin/rules/ana/overrides",
        "/admin/rules/ana/holidays",
        "/admin/rules/ana/blocks",
        "/admin/rules/ana/misfits/cancel",
    ):
        response = await admin.post(path, form={**NEW, "csrf_token": "forged"})
        assert response.status_code == 403, path
    assert await rule_history() == []


async def test_the_preview_shows_the_free_slots_of_the_typed_hours_without_saving(
    app: Quart, clock: Clock
) -> None:
    admin = await signed_in(app, clock, "admin")  # the clock: Tuesday 1 December 2026
    form = {"sat": "09:00-11:00", "action": "preview"}
    status, page = await post(admin, "/admin/rules/ana/hours", form)
    assert status == 200, page
    preview = page.split('id="preview"')[1].split("</section>")[0]
    assert "Sat, Dec 5" in preview
    assert "<h4>Haircut</h4>" in preview
    assert '<option value="DE" selected>Germany</option>' in page  # the business's country
    # a haircut takes 5 + 45 + 10 minutes, on a 15-minute grid, within 09:00-11:00
    assert "9:15\u202fAM, 9:30\u202fAM, 9:45\u202fAM, 10:00\u202fAM" in preview
    assert "Tue, Dec 1" not in preview  # closed in the form, open in the saved rules
    assert 'value="09:00-11:00"' in page
    assert await rule_history() == []
    status, page = await post(admin, "/admin/rules/ana/hours", {"tue": "9-25:00", **form})
    assert status == 400
    assert "Weekly hours (weekly_hours.tue" in page
    assert await rule_history() == []


async def test_bookings_outside_new_hours_are_kept_until_an_admin_cancels_one(
    app: Quart, clock: Clock
) -> None:
    booking = await services_of(app).bookings.book("haircut", START, ADA, provider="ana")
    admin = await signed_in(app, clock, "admin")
    status, page = await post(admin, "/admin/rules/ana/hours", WEEK)
    assert status == 200, page
    page = await (await admin.get("/admin/rules/ana")).get_data(as_text=True)
    assert f"booking {booking.id}" in page  # still listed for a decision
    assert (await services_of(app).bookings.get(booking.manage_token)).status == "confirmed"
    ana = await signed_in(app, clock, "staff", "ana")
    cancel = {"booking": str(booking.id), "start": START.isoformat(), "message": "Ana is away"}
    assert (await post(ana, "/admin/rules/ana/misfits/cancel", cancel))[0] == 403
    status, page = await post(admin, "/admin/rules/ana/misfits/cancel", cancel)
    assert status == 200, page
    assert f"Booking {booking.id} is cancelled" in page
    assert (await services_of(app).bookings.get(booking.manage_token)).status == "cancelled"
    assert f"booking {booking.id}:" not in page
    claimed = await claim("test", START)
    (notice,) = [c for c in claimed if c.kind == MessageKind.CUSTOMER_CANCELLATION]
    ready = await prepare(notice, START, public_url="https://book.example.org")
    assert isinstance(ready, Ready)
    assert "A message from Slotwise Demo: Ana is away" in ready.message.text


async def test_date_overrides_and_their_errors(app: Quart, clock: Clock) -> None:
    ana = await signed_in(app, clock, "staff", "ana")
    status, page = await post(
        ana, "/admin/rules/ana/overrides", {"date": "2026-12-05", "closed": "1"}
    )
    assert status == 200, page
    status, page = await post(
        ana, "/admin/rules/ana/overrides", {"date": "2026-12-12", "hours": "10:00-14:00"}
    )
    assert status == 200, page
    overrides = (await resource_rules("ana"))["date_overrides"]
    assert overrides == {"2026-12-05": [], "2026-12-12": [["10:00", "14:00"]]}
    (entry, _) = await rule_history(subject="ana")
    assert (entry.actor, entry.channel, entry.action) == (
        "staff:staff-ana@example.org",
        "admin",
        "resource.override",
    )
    status, page = await post(ana, "/admin/rules/ana/overrides", {"date": "5 Dec"})
    assert (status, "Date (date)" in page) == (400, True)
    bad = {"date": "2026-12-19", "hours": "14:00-10:00"}
    status, page = await post(ana, "/admin/rules/ana/overrides", bad)
    assert status == 400
    assert "Date overrides (date_overrides" in page
    assert (await post(ana, "/admin/rules/ben/overrides", bad))[0] == 403
    shown = await (await ana.get("/admin/rules/ana")).get_data(as_text=True)
    form = shown.split('action="/admin/rules/ana/overrides/remove"')[1].split("</form>")[0]
    assert 'name="date" value="2026-12-05"' in form
    status, page = await post(ana, "/admin/rules/ana/overrides/remove", {"date": "2026-12-05"})
    assert status == 200, page
    assert "2026-12-05" not in (await resource_rules("ana"))["date_overrides"]
    assert len(await rule_history(subject="ana")) == 3


async def test_public_holidays_are_added_in_one_click_for_the_coming_year(
    app: Quart, clock: Clock
) -> None:
    admin = await signed_in(app, clock, "admin")
    special = {"date": "2026-12-25", "hours": "10:00-12:00"}
    assert (await post(admin, "/admin/rules/ana/overrides", special))[0] == 200
    status, page = await post(admin, "/admin/rules/ana/holidays", {"country": "DE", "region": "by"})
    assert status == 200, page
    overrides = (await resource_rules("ana"))["date_overrides"]
    assert overrides["2026-12-25"] == [["10:00", "12:00"]]  # typed by a person: kept
    assert overrides["2026-12-26"] == []
    assert overrides["2027-01-06"] == []  # Epiphany: Bavaria, not Berlin
    assert overrides["2027-10-03"] == []
    assert "2027-12-26" not in overrides  # more than a year ahead
    entry = (await rule_history(subject="ana"))[0]
    assert (entry.action, entry.channel) == ("resource.overrides", "admin")
    status, page = await post(admin, "/admin/rules/ben/holidays", {"country": "XX"})
    assert (status, "Country (country)" in page) == (400, True)
    status, page = await post(admin, "/admin/rules/ben/holidays", {"country": "DE", "region": "ZZ"})
    assert (status, "Region (region)" in page) == (400, True)
    assert "date_overrides" not in await resource_rules("ben")


async def test_recurring_blocks_with_their_reason(app: Quart, clock: Clock) -> None:
    ana = await signed_in(app, clock, "staff", "ana")
    block = {
        "start": "2026-12-02T12:00",
        "duration_min": "30",
        "rrule": "FREQ=WEEKLY",
        "reason": "Lunch walk",
    }
    status, page = await post(ana, "/admin/rules/ana/blocks", block)
    assert status == 200, page
    assert "Lunch walk" in page
    (entry,) = await rule_history(subject="ana")
    assert entry.after is not None
    assert entry.after["blocks"] == [
        {
            "start": "2026-12-02T12:00",
            "duration_min": 30,
            "rrule": "FREQ=WEEKLY",
            "reason": "Lunch walk",
        }
    ]
    status, page = await post(ana, "/admin/rules/ana/blocks", {**block, "duration_min": ""})
    assert status == 400
    assert "Blocked time (blocks[" in page
    assert "duration_min" in page
    status, page = await post(ana, "/admin/rules/ana/blocks", {**block, "rrule": "FREQ=SOMETIMES"})
    assert status == 400
    assert "rrule" in page
    assert len(await rule_history(subject="ana")) == 1


async def test_a_refusal_names_the_field_in_the_users_language(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    token = await csrf(admin, "/admin/rules/ana")
    response = await admin.post("/admin/language", form={"csrf_token": token, "lang": "de"})
    assert response.status_code in (302, 303)
    status, page = await post(admin, "/admin/rules/ana/details", {**NEW, "capacity": "viele"})
    assert status == 400
    assert "Kapazität (capacity)" in page
    assert "Freie Termine der kommenden Woche" in page
