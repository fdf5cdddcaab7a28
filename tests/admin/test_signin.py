"""Signing in to the panel: password and TOTP, sessions, CSRF, lockout, headers, the link."""

from __future__ import annotations

import re

import pyotp
from quart import Quart

from admin.access import SESSION_COOKIE
from core.users import enrolment, invite
from tests.admin.conftest import PASSWORD, Clock, csrf, make_user, post_sign_in, sign_in


def cookie(client: object, name: str) -> str | None:
    jar = client.cookie_jar  # type: ignore[attr-defined]
    for found in jar:
        if found.name == name:
            return str(found.value)
    return None


async def test_password_and_code_sign_in_and_the_cookie_is_guarded(
    app: Quart, clock: Clock
) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    clock.advance(minutes=1)
    form = {
        "csrf_token": await csrf(client),
        "email": ada.email,
        "password": PASSWORD,
        "code": pyotp.TOTP(ada.secret).at(clock()),
        "next": "/admin/audit",
    }
    response = await client.post("/admin/login", form=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/audit"
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert "Path=/admin/" in set_cookie
    assert (await client.get("/admin/bookings?date=2026-12-01")).status_code == 200
    # The same code again, even with the right password, is refused.
    again = await client.post("/admin/login", form={**form, "csrf_token": await csrf(client)})
    assert again.status_code == 401


async def test_a_wrong_password_or_missing_code_says_only_wrong(app: Quart, clock: Clock) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    for password, code in (("wrong password!", True), (PASSWORD, False)):
        clock.advance(minutes=1)
        response = await client.post(
            "/admin/login",
            form={
                "csrf_token": await csrf(client),
                "email": ada.email,
                "password": password,
                "code": pyotp.TOTP(ada.secret).at(clock()) if code else "",
            },
        )
        assert response.status_code == 401
        assert "The e-mail, password or code is wrong." in await response.get_data(as_text=True)
        assert cookie(client, SESSION_COOKIE) is None


async def test_sign_in_rotates_the_session_and_sign_out_revokes_it(
    app: Quart, clock: Clock
) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    await sign_in(client, clock, ada)
    first = cookie(client, SESSION_COOKIE)
    await sign_in(client, clock, ada)
    second = cookie(client, SESSION_COOKIE)
    assert first is not None
    assert second is not None
    assert first != second
    stale = app.test_client()
    stale.set_cookie("localhost", SESSION_COOKIE, first, path="/admin/")
    assert (await stale.get("/admin/bookings")).status_code == 302
    token = await csrf(client, "/admin/bookings")
    out = await client.post("/admin/logout", form={"csrf_token": token})
    assert out.status_code == 303
    replay = app.test_client()
    replay.set_cookie("localhost", SESSION_COOKIE, second, path="/admin/")
    assert (await replay.get("/admin/bookings")).status_code == 302


async def test_a_session_ends_after_an_idle_hour(app: Quart, clock: Clock) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    await sign_in(client, clock, ada)
    clock.advance(minutes=59)
    assert (await client.get("/admin/bookings")).status_code == 200
    clock.advance(minutes=61)
    response = await client.get("/admin/bookings")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/bookings"


async def test_forms_without_their_csrf_token_or_from_another_site_are_refused(
    app: Quart, clock: Clock
) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    login = {"email": ada.email, "password": PASSWORD, "code": ""}
    assert (await client.post("/admin/login", form=login)).status_code == 403
    bad = {**login, "csrf_token": "forged"}
    assert (await client.post("/admin/login", form=bad)).status_code == 403
    await sign_in(client, clock, ada)
    assert (await client.post("/admin/logout", form={"csrf_token": "forged"})).status_code == 403
    token = await csrf(client, "/admin/bookings")
    elsewhere = await client.post(
        "/admin/logout", form={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert (await client.get("/admin/bookings")).status_code == 200  # still signed in


async def test_ten_failures_answer_429_for_fifteen_minutes_in_words(
    app: Quart, clock: Clock
) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    form = {"email": ada.email, "password": "not the password", "code": "123456"}
    statuses = []
    for _ in range(10):
        clock.advance(seconds=30)
        response = await client.post(
            "/admin/login", form={**form, "csrf_token": await csrf(client)}
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 9 + [429]
    assert response.headers["Retry-After"] == "900"
    text = await response.get_data(as_text=True)
    assert "Too many failed sign-ins from this address or for this account." in text
    assert "Try again in 15 minutes." in text
    # Even the right password and code wait.
    clock.advance(minutes=14)
    right = {
        "email": ada.email,
        "password": PASSWORD,
        "code": pyotp.TOTP(ada.secret).at(clock()),
        "csrf_token": await csrf(client),
    }
    locked = await client.post("/admin/login", form=right)
    assert locked.status_code == 429
    assert "Try again in 1 minute." in await locked.get_data(as_text=True)
    clock.advance(minutes=1)
    right["code"] = pyotp.TOTP(ada.secret).at(clock())
    assert (await client.post("/admin/login", form=right)).status_code == 303


async def test_pages_have_a_strict_policy_and_no_inline_script(app: Quart, clock: Clock) -> None:
    client = app.test_client()
    response = await client.get("/admin/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = await response.get_data(as_text=True)
    assert "<script" not in html
    assert " style=" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    css = await client.get(re.search(r'href="([^"]+\.css[^"]*)"', html).group(1))  # type: ignore[union-attr]
    assert css.status_code == 200
    assert "immutable" in css.headers["Cache-Control"]


async def test_after_sign_in_only_a_panel_address_is_followed(app: Quart, clock: Clock) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    for target in ("https://evil.example/", "//evil.example/admin/", "/admin//evil.example"):
        response = await post_sign_in(client, clock, ada, next=target)
        assert response.headers["Location"] == "/admin/today", target


async def test_the_link_shows_a_local_qr_code_the_key_and_works_once(
    app: Quart, clock: Clock
) -> None:
    _, token = await invite("ada@example.org", "sysadmin", None, now=clock())
    shown = await enrolment(token, now=clock())
    client = app.test_client()
    page = await (await client.get(f"/admin/enrol/{token}")).get_data(as_text=True)
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns' in page
    assert shown.secret in page
    assert "otpauth://totp/Slotwise:ada%40example.org?secret=" in page
    form = {
        "csrf_token": await csrf(client, f"/admin/enrol/{token}"),
        "password": PASSWORD,
        "password_again": PASSWORD,
        "code": "000000" if pyotp.TOTP(shown.secret).at(clock()) != "000000" else "111111",
    }
    wrong = await client.post(f"/admin/enrol/{token}", form=form)
    assert wrong.status_code == 400
    assert "The code does not match the key." in await wrong.get_data(as_text=True)
    form["code"] = pyotp.TOTP(shown.secret).at(clock())
    done = await client.post(f"/admin/enrol/{token}", form=form)
    assert done.status_code == 200
    shown_codes = re.findall(
        r"<code>(\w{4}-\w{4}-\w{4}-\w{4})</code>", await done.get_data(as_text=True)
    )
    assert len(shown_codes) == 10
    used = await client.get(f"/admin/enrol/{token}")
    assert used.status_code == 404
    assert "This link is unknown, used or expired" in await used.get_data(as_text=True)


async def test_non_ascii_codes_and_tokens_are_wrong_not_errors(app: Quart, clock: Clock) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    form = {"email": ada.email, "password": PASSWORD, "code": "١٢٣٤٥٦"}
    wrong = await client.post("/admin/login", form={**form, "csrf_token": await csrf(client)})
    assert wrong.status_code == 401
    forged = await client.post("/admin/login", form={**form, "csrf_token": "jeton-forgé"})
    assert forged.status_code == 403
