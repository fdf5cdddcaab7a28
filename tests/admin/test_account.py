"""A signed-in user changes their own password: the current one and a fresh code first,
the rules of enrolment for the new one, every other session ends, the audit log says so."""

from __future__ import annotations

import pyotp
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core import models as m
from core.users import Lockout
from tests.admin.conftest import PASSWORD, Clock, Person, csrf, make_user, post_sign_in, sign_in

PAGE = "/admin/account/password"
NEW = "a brand new passphrase"


async def _ada(app: Quart, clock: Clock, role: str = "admin") -> tuple[Client, Person]:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", role)
    await sign_in(client, clock, ada)
    return client, ada


async def _change(client: Client, clock: Clock, person: Person, **fields: str) -> tuple[int, str]:
    clock.advance(seconds=31)
    form = {
        "csrf_token": await csrf(client, PAGE),
        "current_password": PASSWORD,
        "password": NEW,
        "password_again": NEW,
        "code": pyotp.TOTP(person.secret).at(clock()) if person.secret else "",
        **fields,
    }
    response = await client.post(PAGE, form=form)
    return response.status_code, await response.get_data(as_text=True)


async def test_changing_the_password_ends_other_sessions_and_is_audited(
    app: Quart, clock: Clock
) -> None:
    client, ada = await _ada(app, clock)
    other = app.test_client()
    await sign_in(other, clock, ada)
    assert (await other.get(PAGE)).status_code == 200
    page = await (await client.get(PAGE)).get_data(as_text=True)
    assert 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2
    assert 'name="code"' in page
    status, page = await _change(client, clock, ada)
    assert status == 200, page
    assert 'id="password-changed"' in page
    # This browser stays signed in; the other one is signed out.
    assert (await client.get(PAGE)).status_code == 200
    gone = await other.get(PAGE)
    assert gone.status_code == 302
    assert "/admin/login" in gone.headers["Location"]
    # The old password no longer signs in; the new one does.
    fresh = app.test_client()
    assert (await post_sign_in(fresh, clock, ada)).status_code == 401
    assert (await post_sign_in(fresh, clock, ada, password=NEW)).status_code == 303
    row = await m.UserHistory.get(action="user_password_changed")
    assert row.actor == "admin:ada@example.org"
    assert row.subject == "ada@example.org"
    assert row.after is not None
    assert row.after["sessions_ended"] == 1
    recorded = f"{row.before} {row.after}"
    assert PASSWORD not in recorded
    assert NEW not in recorded
    assert "argon2" not in recorded
    audit = await (await fresh.get("/admin/audit")).get_data(as_text=True)
    assert "Changed their own password" in audit


async def test_a_staff_member_without_two_factor_changes_theirs_from_the_header(
    app: Quart, clock: Clock
) -> None:
    client = app.test_client()
    sam = await make_user(client, clock, "sam@example.org", "staff", "ana")
    await sign_in(client, clock, sam)
    header = await (await client.get("/admin/bookings?date=2026-12-01")).get_data(as_text=True)
    assert f'href="{PAGE}"' in header
    assert 'name="code"' not in await (await client.get(PAGE)).get_data(as_text=True)
    status, page = await _change(client, clock, sam)
    assert status == 200, page


async def test_a_wrong_current_password_is_refused_and_counts_for_the_lockout(
    app: Quart, clock: Clock
) -> None:
    client, ada = await _ada(app, clock)
    status, page = await _change(client, clock, ada, current_password="not my password!")
    assert status == 400
    assert "Current password: it is wrong." in page
    assert await m.SignInFailure.filter(account="ada@example.org").count() == 1
    fresh = app.test_client()
    assert (await post_sign_in(fresh, clock, ada, password=NEW)).status_code == 401
    assert not await m.UserHistory.filter(action="user_password_changed").exists()


async def test_guessing_through_the_form_locks_it_like_sign_in(app: Quart, clock: Clock) -> None:
    client, ada = await _ada(app, clock)
    limit = Lockout().failures
    for _ in range(limit - 1):
        status, _page = await _change(client, clock, ada, current_password="a wrong guess!")
        assert status == 400
    status, _page = await _change(client, clock, ada, current_password="a wrong guess!")
    assert status == 429
    # Locked: even the right password is not checked now, here or at sign-in.
    status, _page = await _change(client, clock, ada)
    assert status == 429
    assert (await post_sign_in(app.test_client(), clock, ada)).status_code == 429


async def test_a_wrong_or_reused_code_is_refused(app: Quart, clock: Clock) -> None:
    client, ada = await _ada(app, clock)
    status, page = await _change(client, clock, ada, code="000000")
    assert status == 400
    assert "Code: it is wrong or already used." in page
    # A code that worked once is refused the second time, with the right password too.
    assert ada.secret is not None
    used = pyotp.TOTP(ada.secret).at(clock())
    form = {
        "csrf_token": await csrf(client, PAGE),
        "current_password": PASSWORD,
        "password": NEW,
        "password_again": NEW,
        "code": used,
    }
    first = await client.post(PAGE, form=form)
    assert first.status_code == 200
    again = await client.post(
        PAGE,
        form={**form, "current_password": NEW, "password": PASSWORD, "password_again": PASSWORD},
    )
    assert again.status_code == 400
    assert "Code: it is wrong or already used." in await again.get_data(as_text=True)
    assert await m.SignInFailure.filter(account="ada@example.org").count() == 2


async def test_the_new_passwords_must_match_and_follow_the_rules(app: Quart, clock: Clock) -> None:
    client, ada = await _ada(app, clock)
    status, page = await _change(client, clock, ada, password_again=NEW + "!")
    assert status == 400
    assert "New password again: the two new passwords differ." in page
    for bad in ("too short", ada.email, "passwordpassword", "ada@example.org1"):
        status, page = await _change(client, clock, ada, password=bad, password_again=bad)
        assert status == 400
        assert "New password: it needs 12 to 256 characters" in page
        assert "must not be easy to guess" in page
    assert await m.SignInFailure.all().count() == 0
    assert (await post_sign_in(app.test_client(), clock, ada)).status_code == 303


async def test_the_form_needs_its_csrf_token(app: Quart, clock: Clock) -> None:
    client, ada = await _ada(app, clock)
    response = await client.post(
        PAGE,
        form={
            "current_password": PASSWORD,
            "password": NEW,
            "password_again": NEW,
            "code": pyotp.TOTP(ada.secret or "").at(clock()),
        },
    )
    assert response.status_code == 403
    assert (await post_sign_in(app.test_client(), clock, ada)).status_code == 303


async def test_anonymous_is_sent_to_sign_in(app: Quart) -> None:
    client = app.test_client()
    response = await client.get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert (await client.post(PAGE, form={})).status_code == 403
