"""Services from the panel: list, create, edit, remove; each save a rule edit in the
history, each refusal naming the field; for admins only, with the form's token."""

from __future__ import annotations

from quart import Quart
from quart.typing import TestClientProtocol as Client

from core.rules import rule_history, service_rules
from tests.admin.conftest import Clock, csrf, signed_in

FORM = {
    "id": "beard",
    "name": "Beard trim",
    "duration_min": "20",
    "buffer_before_min": "",
    "buffer_after_min": "5",
    "slot_step_min": "10",
    "min_notice_min": "30",
    "max_advance_days": "14",
    "seats": "1",
    "cancel_notice_min": "120",
    "reschedule_notice_min": "60",
    "max_reschedules": "2",
    "requires": "ana, ben",
    "reminders": "1440, 60",
    "waitlist": "book",
    "no_shows_after": "2",
    "no_shows_then": "refuse_chat",
    "active": "1",
}


async def send(client: Client, path: str, form: dict[str, str]) -> tuple[int, str]:
    token = await csrf(client, "/admin/services/new")
    response = await client.post(path, form={"csrf_token": token, **form})
    return response.status_code, await response.get_data(as_text=True)


async def test_an_admin_creates_edits_and_removes_a_service(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    listed = await (await admin.get("/admin/services")).get_data(as_text=True)
    assert "Haircut" in listed
    status, page = await send(admin, "/admin/services/new", FORM)
    assert status == 303, page
    assert await service_rules("beard") == {
        "id": "beard",
        "name": "Beard trim",
        "duration_min": 20,
        "buffer_after_min": 5,
        "slot_step_min": 10,
        "min_notice_min": 30,
        "max_advance_days": 14,
        "requires": [["ana", "ben"]],
        "cancel_notice_min": 120,
        "reschedule_notice_min": 60,
        "max_reschedules": 2,
        "waitlist": "book",
        "no_shows": {"after": 2, "then": "refuse_chat"},
        "reminders": [1440, 60],
    }
    (entry,) = await rule_history(subject="beard")
    assert (entry.actor, entry.channel, entry.action) == (
        "admin:admin-x@example.org",
        "admin",
        "service.put",
    )
    page = await (await admin.get("/admin/services/beard")).get_data(as_text=True)
    assert 'name="reminders" type="text" value="1440, 60"' in page
    changed = {**FORM, "duration_min": "25", "no_reminders": "1", "no_shows_after": ""}
    status, page = await send(admin, "/admin/services/beard", changed)
    assert status == 200, page
    assert "Saved; it applies now." in page
    saved = await service_rules("beard")
    assert (saved["duration_min"], saved["reminders"], "no_shows" in saved) == (25, [], False)
    status, _ = await send(admin, "/admin/services/beard/remove", {})
    assert status == 303
    assert [e.action for e in await rule_history(subject="beard")] == [
        "service.remove",
        "service.put",
        "service.put",
    ]


async def test_an_edit_keeps_what_the_form_does_not_show(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    before = await service_rules("haircut")
    page = await (await admin.get("/admin/services/haircut")).get_data(as_text=True)
    assert 'name="buffer_before_min" type="text" inputmode="numeric" value="5"' in page
    form = {**FORM, "id": "haircut", "name": "Haircut", "duration_min": "50"}
    status, page = await send(admin, "/admin/services/haircut", form)
    assert status == 200, page
    after = await service_rules("haircut")
    assert after["duration_min"] == 50
    assert (after["names"], after["aliases"]) == (before["names"], before["aliases"])


async def test_a_bad_service_is_refused_naming_the_field(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    cases = {
        "duration_min": ({"duration_min": "half an hour"}, "Duration (minutes) (duration_min)"),
        "requires": ({"requires": "ana, nobody"}, "Required resources (requires"),
        "reminders": ({"reminders": "60, soon"}, "Reminders (minutes before) (reminders"),
        "waitlist": ({"waitlist": "maybe"}, "Waitlist (waitlist)"),
        "no_shows": ({"no_shows_then": "shout"}, "No-show policy (no_shows"),
        "window": ({"duration_min": "1500"}, "duration_min"),
        "taken": ({"id": "haircut"}, "Id (id): haircut is taken"),
    }
    for case, (change, named) in cases.items():
        status, page = await send(admin, "/admin/services/new", {**FORM, **change})
        assert status == 400, case
        assert named in page, (case, page)
    status, page = await send(admin, "/admin/services/haircut", {**FORM, "seats": "0"})
    assert status == 400
    assert "Seats per booking (seats)" in page
    assert await rule_history() == []


async def test_services_are_for_admins_with_the_form_token(app: Quart, clock: Clock) -> None:
    ana = await signed_in(app, clock, "staff", "ana")
    assert (await ana.get("/admin/services")).status_code == 403
    assert (await ana.get("/admin/services/haircut")).status_code == 403
    token = await csrf(ana, "/admin/rules/ana")
    for path in (
        "/admin/services/new",
        "/admin/services/haircut",
        "/admin/services/haircut/remove",
    ):
        response = await ana.post(path, form={"csrf_token": token, **FORM})
        assert response.status_code == 403, path
    admin = await signed_in(app, clock, "admin")
    for path in (
        "/admin/services/new",
        "/admin/services/haircut",
        "/admin/services/haircut/remove",
    ):
        response = await admin.post(path, form={"csrf_token": "forged", **FORM})
        assert response.status_code == 403, path
    assert (await admin.get("/admin/services/nothing")).status_code == 404
    assert await rule_history() == []
