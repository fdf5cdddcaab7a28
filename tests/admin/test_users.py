"""Users managed by a sysadmin in the panel: invite, new link, role, disable and enable,
two-factor reset; the last active sysadmin is kept; each change is in the audit log."""

from __future__ import annotations

import json
import re

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core.audit import AuditEntry, AuditFilter, audit_page
from core.errors import NotFound
from core.users import enrolment, list_users
from tests.admin.conftest import (
    Clock,
    Person,
    csrf,
    make_user,
    post_sign_in,
    sign_in,
    signed_in,
)

LINK = re.compile(r"<code>(http://[^<]+/admin/enrol/([^<]+))</code>")
ROOT = "sysadmin-x@example.org"


async def user_id(email: str) -> int:
    return next(u.id for u in await list_users() if u.email == email)


async def post(client: Client, path: str, **form: str) -> tuple[int, str]:
    token = await csrf(client, "/admin/users")
    response = await client.post(path, form={"csrf_token": token, **form})
    return response.status_code, await response.get_data(as_text=True)


def link_in(page: str) -> str:
    found = LINK.search(page)
    assert found, page
    return found.group(2)


async def link_works(token: str, clock: Clock) -> bool:
    try:
        await enrolment(token, now=clock())
    except NotFound:
        return False
    return True


async def user_changes(email: str) -> list[AuditEntry]:
    return (await audit_page(AuditFilter(kind="user", subject=email))).entries


async def can_sign_in(app: Quart, clock: Clock, person: Person) -> bool:
    return (await post_sign_in(app.test_client(), clock, person)).status_code == 303


async def test_a_sysadmin_invites_a_user_who_enrols_with_the_link_shown(
    app: Quart, clock: Clock
) -> None:
    root = await signed_in(app, clock, "sysadmin")
    status, page = await post(
        root, "/admin/users", email="Lee@Example.org", role="staff", resource="ana", locale="de"
    )
    assert status == 200, page
    assert "works once, for 24 hours" in page
    token = link_in(page)
    assert await link_works(token, clock)
    clock.advance(hours=24, seconds=1)
    assert not await link_works(token, clock)
    made = next(u for u in await list_users() if u.email == "lee@example.org")
    assert (made.role.value, made.resource, made.locale) == ("staff", "ana", "de")
    [entry] = await user_changes("lee@example.org")
    assert (entry.action, entry.channel, entry.actor) == ("user_invited", "admin", f"admin:{ROOT}")
    assert entry.data["before"] is None
    assert entry.data["after"]["role"] == "staff"
    assert token not in json.dumps(entry.data)


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"email": "not an address", "role": "admin"}, "E-mail: write an e-mail address"),
        ({"email": "lee@example.org", "role": "staff"}, "Resource: a staff member needs"),
        (
            {"email": "lee@example.org", "role": "staff", "resource": "nobody"},
            "Resource: choose an active resource",
        ),
        (
            {"email": "lee@example.org", "role": "admin", "resource": "ana"},
            "Resource: only staff are tied to a resource",
        ),
        ({"email": "lee@example.org", "role": "owner"}, "Role: choose sysadmin, admin or staff"),
        ({"email": ROOT, "role": "admin"}, "E-mail: there is already a user"),
        ({"email": "lee@example.org", "role": "admin", "locale": "xx"}, "Language: choose"),
    ],
)
async def test_an_invitation_that_cannot_be_made_names_the_field_and_the_fix(
    app: Quart, clock: Clock, form: dict[str, str], problem: str
) -> None:
    root = await signed_in(app, clock, "sysadmin")
    status, page = await post(root, "/admin/users", **form)
    assert status == 400
    assert problem in page
    assert "lee@example.org" not in [u.email for u in await list_users()]


async def test_admins_and_staff_cannot_manage_users(app: Quart, clock: Clock) -> None:
    await signed_in(app, clock, "sysadmin")
    target = await user_id(ROOT)
    for client in (
        await signed_in(app, clock, "admin"),
        await signed_in(app, clock, "staff", "ana"),
    ):
        token = await csrf(client, "/admin/bookings")
        assert (await client.get("/admin/users")).status_code == 403
        assert (await client.get(f"/admin/users/{target}")).status_code == 403
        for action in ("link", "two-factor", "disable", "enable", "role"):
            response = await client.post(
                f"/admin/users/{target}/{action}", form={"csrf_token": token, "role": "staff"}
            )
            assert response.status_code == 403, action
        response = await client.post(
            "/admin/users", form={"csrf_token": token, "email": "x@example.org", "role": "admin"}
        )
        assert response.status_code == 403
    assert await user_changes(ROOT) == []  # (the fixture made the users without the log)


async def test_a_form_without_its_token_changes_nothing(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    await signed_in(app, clock, "admin")
    target = await user_id("admin-x@example.org")
    response = await root.post(f"/admin/users/{target}/disable", form={})
    assert response.status_code == 403
    assert all(u.active for u in await list_users())


async def test_a_new_link_ends_the_old_sign_in(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    person = await make_user(app.test_client(), clock, "lee@example.org", "staff", "ana")
    lee = app.test_client()
    await sign_in(lee, clock, person)
    status, page = await post(root, f"/admin/users/{await user_id(person.email)}/link")
    assert status == 200
    assert await link_works(link_in(page), clock)
    assert not await can_sign_in(app, clock, person)
    assert (await lee.get("/admin/today")).status_code == 302  # their session ended
    entry = (await user_changes(person.email))[0]
    assert entry.action == "user_link_made"
    assert entry.data["before"]["enrolled"] is True
    assert entry.data["after"]["enrolled"] is False


async def test_resetting_two_factor_forces_a_new_enrolment(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    person = await make_user(app.test_client(), clock, "office@example.org", "admin")
    status, page = await post(root, f"/admin/users/{await user_id(person.email)}/two-factor")
    assert status == 200
    assert "Their two-factor key, recovery codes, password and sessions no longer work." in page
    token = link_in(page)
    assert not await can_sign_in(app, clock, person)
    shown = await enrolment(token, now=clock())
    assert shown.secret != person.secret
    entry = (await user_changes(person.email))[0]
    assert entry.action == "user_two_factor_reset"
    assert (entry.data["before"]["two_factor"], entry.data["after"]["two_factor"]) == (True, False)
    text = json.dumps(entry.data)
    assert person.secret is not None
    assert person.secret not in text
    assert shown.secret not in text
    assert "argon2" not in text


async def test_a_role_and_a_resource_change(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    person = await make_user(app.test_client(), clock, "office@example.org", "admin")
    target = await user_id(person.email)
    status, page = await post(root, f"/admin/users/{target}/role", role="staff", resource="")
    assert status == 400
    assert "Resource: a staff member needs their resource" in page
    status, _ = await post(root, f"/admin/users/{target}/role", role="staff", resource="ana")
    assert status == 303
    page = await (await root.get(f"/admin/users/{target}?done=role")).get_data(as_text=True)
    assert "The role is changed; it applies now." in page
    response = await root.post(
        f"/admin/users/{target}/role",
        form={"csrf_token": await csrf(root, "/admin/users"), "role": "staff", "resource": "ana"},
    )
    assert response.headers["Location"].endswith("done=same")  # nothing changed, nor logged
    changed = next(u for u in await list_users() if u.id == target)
    assert (changed.role.value, changed.resource) == ("staff", "ana")
    assert await can_sign_in(app, clock, person)  # their password and key still work
    [entry] = await user_changes(person.email)  # (made by the fixture without the log)
    assert entry.action == "user_role_changed"
    assert entry.data["before"]["role"] == "admin"
    assert (entry.data["after"]["role"], entry.data["after"]["resource"]) == ("staff", "ana")


async def test_staff_without_two_factor_made_admin_must_enrol_it(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    person = await make_user(app.test_client(), clock, "lee@example.org", "staff", "ana")
    assert person.secret is None
    target = await user_id(person.email)
    status, page = await post(root, f"/admin/users/{target}/role", role="admin")
    assert status == 200
    assert "This role requires two-factor sign-in" in page
    shown = await enrolment(link_in(page), now=clock())
    assert shown.two_factor_required
    assert not await can_sign_in(app, clock, person)  # not as an admin with a password alone


async def test_a_disabled_user_is_signed_out_and_an_enabled_one_signs_in_again(
    app: Quart, clock: Clock
) -> None:
    root = await signed_in(app, clock, "sysadmin")
    person = await make_user(app.test_client(), clock, "office@example.org", "admin")
    office = app.test_client()
    await sign_in(office, clock, person)
    assert (await office.get("/admin/today")).status_code == 200
    target = await user_id(person.email)
    status, _ = await post(root, f"/admin/users/{target}/disable")
    assert status == 303
    page = await (await root.get(f"/admin/users/{target}?done=disabled")).get_data(as_text=True)
    assert "can no longer sign in" in page
    assert (await office.get("/admin/today")).status_code == 302
    assert not await can_sign_in(app, clock, person)
    status, _ = await post(root, f"/admin/users/{target}/enable")
    assert status == 303
    assert await can_sign_in(app, clock, person)
    actions = [e.action for e in await user_changes(person.email)]
    assert actions[:2] == ["user_enabled", "user_disabled"]


async def test_the_last_active_sysadmin_cannot_disable_or_demote_themselves(
    app: Quart, clock: Clock
) -> None:
    root = await signed_in(app, clock, "sysadmin")
    me = await user_id(ROOT)
    page = await (await root.get(f"/admin/users/{me}")).get_data(as_text=True)
    assert "This is you." in page
    for action, form in (("disable", {}), ("role", {"role": "admin"}), ("link", {}),
                         ("two-factor", {})):  # fmt: skip
        status, page = await post(root, f"/admin/users/{me}/{action}", **form)
        assert status == 409, action
        assert "You are the last active sysadmin: make another user a sysadmin first" in page
    assert (await root.get("/admin/users")).status_code == 200
    assert await user_changes(ROOT) == []  # (the fixture made the users without the log)

    second = await make_user(app.test_client(), clock, "deputy@example.org", "sysadmin")
    deputy = app.test_client()
    await sign_in(deputy, clock, second)
    status, _ = await post(root, f"/admin/users/{me}/role", role="admin")
    assert status == 303  # another sysadmin remains
    deputy_id = await user_id(second.email)
    status, page = await post(deputy, f"/admin/users/{deputy_id}/disable")
    assert status == 409  # now the deputy is the last one
    assert "You are the last active sysadmin" in page
    status, page = await post(root, f"/admin/users/{deputy_id}/two-factor")
    assert status == 403  # root is an admin now
    await post(deputy, f"/admin/users/{me}/role", role="sysadmin")
    status, page = await post(deputy, f"/admin/users/{me}/link")  # root must enrol again
    assert status == 200
    status, page = await post(deputy, f"/admin/users/{deputy_id}/two-factor")
    assert status == 409  # root has not used the link: the deputy is the last who can sign in
    assert "You are the last active sysadmin" in page


async def test_an_unknown_user_is_404(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    assert (await root.get("/admin/users/999999")).status_code == 404
    assert (await root.get("/admin/users/x")).status_code == 404
    status, _ = await post(root, "/admin/users/999999/disable")
    assert status == 404


async def test_the_audit_log_lists_user_changes_by_kind(app: Quart, clock: Clock) -> None:
    root = await signed_in(app, clock, "sysadmin")
    await post(root, "/admin/users", email="lee@example.org", role="staff", resource="ana")
    page = await (await root.get("/admin/audit?kind=user")).get_data(as_text=True)
    assert "user_invited" in page
    assert "lee@example.org" in page
    assert f"admin:{ROOT}" in page
    rules = await (await root.get("/admin/audit?kind=rule")).get_data(as_text=True)
    assert "lee@example.org" not in rules
