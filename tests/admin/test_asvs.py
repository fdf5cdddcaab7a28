"""The OWASP ASVS 4.0.3 level 1 requirements of the panel that no other test showed.

docs/security.md has the checklist ("Admin panel: OWASP ASVS 4.0.3 level 1"): each row
names the test that shows it, here or elsewhere, and the last test of this file fails
when a row names a test that does not exist, so the checklist cannot rot.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyotp
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from admin.access import CONFIG, CSRF_COOKIE, SESSION_COOKIE
from admin.blueprint import CSP
from channels.services import services_of
from core.bookings import CustomerInput
from core.businessfile import load_business_file
from core.store import replace_business
from core.users import enrolment, invite, list_users
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings
from tests.admin.conftest import PASSWORD, Clock, csrf, make_user, post_sign_in, sign_in, signed_in
from tests.admin.test_access import admin_rules, path_of
from tests.admin.test_pages import START

ROOT = Path(__file__).parents[2]
TEMPLATES = ROOT / "admin" / "templates"
STATIC = ROOT / "admin" / "static"


def get_paths(app: Quart) -> list[str]:
    """Every GET address under /admin, parameters filled (unknown ids answer 404: a
    response all the same, with its headers)."""
    paths = []
    for rule in admin_rules(app):
        if "GET" in (rule.methods or set()):
            paths.append(path_of(rule).replace("/static/x", "/static/admin.css"))
    return sorted(set(paths))


def set_cookies(response: Any, name: str) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


# --- V14.4, V14.5.3, V14.3.3, V8.2.1: headers ------------------------------------------------


async def test_every_panel_response_carries_the_security_headers(app: Quart, clock: Clock) -> None:
    anonymous = app.test_client()
    sysadmin = await signed_in(app, clock, "sysadmin")
    seen = 0
    for client in (anonymous, sysadmin):
        for path in get_paths(app):
            response = await client.get(path, headers={"Origin": "https://evil.example"})
            headers = response.headers
            where = f"{path} ({response.status_code})"
            assert headers["Content-Security-Policy"] == CSP, where
            assert headers["X-Frame-Options"] == "DENY", where
            assert headers["X-Content-Type-Options"] == "nosniff", where
            assert headers["Referrer-Policy"] == "no-referrer", where
            assert headers["Cross-Origin-Opener-Policy"] == "same-origin", where
            assert "Access-Control-Allow-Origin" not in headers, where
            assert "X-Powered-By" not in headers, where
            assert not re.search(r"\d", headers.get("Server", "")), where
            if "/static/" in path:  # the style sheet: public, may be kept
                assert headers["Cache-Control"].startswith("public"), where
            else:
                assert headers["Cache-Control"] == "no-store", where
            content_type = headers["Content-Type"]
            if content_type.startswith("text/"):  # JSON is UTF-8 by definition (RFC 8259)
                assert "charset=utf-8" in content_type.lower(), where
            seen += 1
    assert seen > 60


async def test_there_is_no_cors_and_no_preflight_answer(app: Quart) -> None:
    client = app.test_client()
    response = await client.options(
        "/admin/api/bookings",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


# --- V3.4: cookies -----------------------------------------------------------------------------


@pytest.fixture
async def https_app(empty_db_url: str, clock: Clock) -> Any:
    """The app as deployed behind https (``SLOTWISE_PUBLIC_URL=https://...``)."""
    settings = Settings(database_url=empty_db_url, public_url="https://panel.example")
    application = create_app(settings)
    application.extensions[CONFIG] = replace(application.extensions[CONFIG], clock=clock)
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


async def test_cookies_are_secure_httponly_samesite_and_scoped_to_the_panel(
    https_app: Quart, clock: Clock
) -> None:
    client = https_app.test_client()
    _, token = await invite("ada@example.org", "admin", None, now=clock())
    shown = await enrolment(token, now=clock())
    page = await client.get(f"/admin/enrol/{token}", scheme="https")
    (pre_session,) = set_cookies(page, CSRF_COOKIE)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', await page.get_data(as_text=True))
    assert form_token is not None
    enrolled = await client.post(
        f"/admin/enrol/{token}",
        scheme="https",
        form={
            "csrf_token": form_token.group(1),
            "password": PASSWORD,
            "password_again": PASSWORD,
            "code": pyotp.TOTP(shown.secret).at(clock()),
        },
    )
    assert enrolled.status_code == 200
    clock.advance(seconds=31)
    login = await client.get("/admin/login", scheme="https")
    found = re.search(r'name="csrf_token" value="([^"]+)"', await login.get_data(as_text=True))
    assert found is not None
    response = await client.post(
        "/admin/login",
        scheme="https",
        form={
            "csrf_token": found.group(1),
            "email": "ada@example.org",
            "password": PASSWORD,
            "code": pyotp.TOTP(shown.secret).at(clock()),
        },
    )
    assert response.status_code == 303
    (session,) = set_cookies(response, SESSION_COOKIE)
    for cookie in (pre_session, session):
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite", "path"} <= attributes, cookie
        assert "SameSite=Lax" in cookie
        assert "Path=/admin/" in cookie
        assert "Domain=" not in cookie  # this host only


async def test_without_https_the_cookies_are_not_marked_secure(app: Quart) -> None:
    """Plain http (development on 127.0.0.1): a Secure cookie would never come back."""
    response = await app.test_client().get("/admin/login")
    (cookie,) = set_cookies(response, CSRF_COOKIE)
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie


# --- V3.1, V3.2, V3.3, V8.2: sessions --------------------------------------------------------


async def test_the_session_token_is_random_long_and_never_in_a_page_or_address(
    app: Quart, clock: Clock
) -> None:
    tokens = []
    for n in range(2):
        client = app.test_client()
        person = await make_user(client, clock, f"ada{n}@example.org", "admin")
        response = await post_sign_in(client, clock, person, next="/admin/bookings")
        (cookie,) = set_cookies(response, SESSION_COOKIE)
        token = cookie.split(";")[0].split("=", 1)[1]
        assert token not in response.headers["Location"]
        for path in ("/admin/today", "/admin/bookings", "/admin/calendar"):
            page = await client.get(path)
            assert token not in await page.get_data(as_text=True)
            assert token not in page.headers.get("Location", "")
        tokens.append(token)
    assert tokens[0] != tokens[1]
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)  # 32 random bytes: 256 bits


async def test_sign_out_deletes_the_cookie_and_pages_are_not_kept(app: Quart, clock: Clock) -> None:
    client = await signed_in(app, clock, "admin")
    page = await client.get("/admin/bookings")
    assert page.headers["Cache-Control"] == "no-store"
    out = await client.post(
        "/admin/logout", form={"csrf_token": await csrf(client, "/admin/today")}
    )
    assert out.status_code == 303
    (deleted,) = set_cookies(out, SESSION_COOKIE)
    assert "Max-Age=0" in deleted or "1970" in deleted
    assert (await client.get("/admin/bookings")).status_code == 302


def test_the_panels_scripts_keep_nothing_in_the_browser_and_run_no_data() -> None:
    scripts = list(STATIC.glob("*.js"))
    assert scripts
    for script in scripts:
        text = script.read_text()
        for store in ("localStorage", "sessionStorage", "indexedDB", "document.cookie"):
            assert store not in text, f"{script.name} uses {store}"
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
            assert risky not in text, f"{script.name} uses {risky}"  # data is text, never code


# --- V2.1, V2.5, V4.3.1: passwords and second factors ---------------------------------------


async def enrol_form(client: Client, token: str, password: str, code: str = "") -> tuple[int, str]:
    response = await client.post(
        f"/admin/enrol/{token}",
        form={
            "csrf_token": await csrf(client, f"/admin/enrol/{token}"),
            "password": password,
            "password_again": password,
            "code": code,
        },
    )
    return response.status_code, await response.get_data(as_text=True)


async def test_passwords_need_12_characters_any_characters_and_no_composition_rules(
    app: Quart, clock: Clock
) -> None:
    client = app.test_client()
    _, token = await invite("lee@example.org", "staff", "dr-lee", now=clock())
    status, page = await enrol_form(client, token, "elevenchars")
    assert status == 400
    assert "12" in page
    status, _ = await enrol_form(client, token, "x" * 257)
    assert status == 400
    status, _ = await enrol_form(client, token, "lee@example.org")
    assert status == 400
    # Long enough, but among the most common passwords or a pattern (V2.1.7): refused.
    for guessable in ("123456789012", "qwertyuiop123", "passwordpassword", "iloveyou1234"):
        status, page = await enrol_form(client, token, guessable)
        assert status == 400, guessable
        assert "must not be easy to guess" in page
    # Letters only, spaces, any script and emoji: accepted as typed.
    password = "naïve façade 🦆 пароль " + "z" * 200
    assert len(password) <= 256
    status, _ = await enrol_form(client, token, password)
    assert status == 200
    for typed, expected in ((password, 303), (password[:-1] + "y", 401), (password[:-1], 401)):
        clock.advance(seconds=31)
        response = await client.post(
            "/admin/login",
            form={
                "csrf_token": await csrf(client),
                "email": "lee@example.org",
                "password": typed,
                "code": "",
            },
        )
        assert response.status_code == expected  # every character counts: no truncation
        if expected == 303:
            await client.post(
                "/admin/logout", form={"csrf_token": await csrf(client, "/admin/today")}
            )


def test_password_fields_let_managers_fill_and_paste() -> None:
    login = (TEMPLATES / "login.html").read_text()
    enrol = (TEMPLATES / "enrol.html").read_text()
    assert 'type="password" autocomplete="current-password"' in login
    assert 'type="password" autocomplete="new-password"' in enrol
    assert 'autocomplete="one-time-code"' in login
    assert 'autocomplete="one-time-code"' in enrol
    for html in (login, enrol):
        assert 'autocomplete="off"' not in html
        assert "onpaste" not in html


async def test_a_password_does_not_expire(app: Quart, clock: Clock) -> None:
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    clock.advance(days=400)
    await sign_in(client, clock, ada)
    assert (await client.get("/admin/today")).status_code == 200


async def test_admins_cannot_enrol_without_a_second_factor(app: Quart, clock: Clock) -> None:
    for role in ("admin", "sysadmin"):
        _, token = await invite(f"{role}@example.org", role, None, now=clock())
        status, _ = await enrol_form(app.test_client(), token, PASSWORD, code="")
        assert status == 400, role
        assert (await enrolment(token, now=clock())).two_factor_required  # the link still works


async def test_there_is_no_default_account(app: Quart, clock: Clock) -> None:
    assert await list_users() == []
    client = app.test_client()
    for email, password in (("admin@example.org", "admin"), ("admin", "admin"), ("root", "")):
        response = await client.post(
            "/admin/login",
            form={"csrf_token": await csrf(client), "email": email, "password": password},
        )
        assert response.status_code == 401


# --- V5: what comes in, what goes out -------------------------------------------------------

MARKUP = CustomerInput("<script>alert(1)</script><img src=x onerror=alert(2)>", phone="+4930111222")


async def test_markup_in_a_customers_name_is_shown_as_text(app: Quart, clock: Clock) -> None:
    booked = await services_of(app).bookings.book("haircut", START, MARKUP, provider="ana")
    client = await signed_in(app, clock, "admin")
    day = START.date().isoformat()
    booking = await client.get(f"/admin/bookings/{booked.id}")
    customers = await client.get("/admin/customers?q=script")
    for response in (await client.get(f"/admin/bookings?from={day}&to={day}"), booking, customers):
        html = await response.get_data(as_text=True)
        assert response.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html


async def test_quotes_and_sql_in_searches_are_only_text(app: Quart, clock: Clock) -> None:
    await services_of(app).bookings.book("haircut", START, MARKUP, provider="ana")
    client = await signed_in(app, clock, "admin")
    for path in (
        "/admin/customers?q=%27%20OR%201%3D1%20--",
        "/admin/bookings?customer=%25%27%20OR%20%271%27%3D%271",
        "/admin/api/bookings?customer=%27%29%3B%20DROP%20TABLE%20booking%3B--",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "alert(1)" not in await response.get_data(as_text=True), path


async def test_static_files_come_only_from_the_static_folder(app: Quart) -> None:
    client = app.test_client()
    assert (await client.get("/admin/static/admin.css")).status_code == 200
    for path in (
        "/admin/static/",
        "/admin/static/../blueprint.py",
        "/admin/static/%2e%2e/blueprint.py",
        "/admin/static/..%2fblueprint.py",
        "/admin/static/vendor/",
        "/admin/templates/base.html",
        "/admin/.git/config",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "{% extends" not in await response.get_data(as_text=True)


async def test_a_body_over_64_kib_is_refused(app: Quart) -> None:
    client = app.test_client()
    response = await client.post(
        "/admin/login", form={"csrf_token": await csrf(client), "email": "a" * 70_000}
    )
    assert response.status_code == 413


# --- V7, V14.3: errors and logs --------------------------------------------------------------


async def test_an_unexpected_error_shows_no_traceback_or_detail(app: Quart, clock: Clock) -> None:
    client = await signed_in(app, clock, "admin")
    assert not app.debug

    async def broken(**_: Any) -> None:
        raise RuntimeError("secret detail from /srv/slotwise/config")

    app.view_functions["admin.today"] = broken
    response = await client.get("/admin/today")
    assert response.status_code == 500
    body = await response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "secret detail", "/srv/", 'File "'):
        assert leak not in body
    assert response.headers["Content-Security-Policy"] == CSP
    missing = await client.get("/admin/no-such-page")
    assert missing.status_code == 404
    assert "there is nothing at this address" in await missing.get_data(as_text=True)


async def test_sign_in_logs_no_password_code_key_or_token(
    app: Quart, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    ada = await make_user(client, clock, "ada@example.org", "admin")
    response = await post_sign_in(client, clock, ada)
    (cookie,) = set_cookies(response, SESSION_COOKIE)
    token = cookie.split(";")[0].split("=", 1)[1]
    await client.post("/admin/login", form={"email": ada.email, "password": "wrong password 1"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ada.secret is not None
    for secret in (PASSWORD, "wrong password 1", ada.secret, token, *ada.codes):
        assert secret not in logged


# --- V13, V14.5: methods and the data endpoints ----------------------------------------------


async def test_changes_are_posts_and_other_methods_get_405(app: Quart, clock: Clock) -> None:
    for rule in admin_rules(app):
        assert (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS", "POST"}, rule.rule
    client = await signed_in(app, clock, "admin")
    assert (await client.get("/admin/logout")).status_code == 405
    assert (await client.delete("/admin/bookings")).status_code == 405
    assert (await client.put("/admin/api/calendar/move", json={})).status_code == 405


async def test_the_calendar_api_takes_only_a_json_object(app: Quart, clock: Clock) -> None:
    client = await signed_in(app, clock, "admin")
    token = await csrf(client, "/admin/calendar")
    bodies: list[dict[str, Any]] = [
        {"data": "booking=1"},
        {"json": [1, 2]},
        {"data": "{not json", "headers": {"Content-Type": "application/json"}},
        {"data": '{"booking": 1}', "headers": {"Content-Type": "text/plain"}},
    ]
    for body in bodies:
        headers = {"X-CSRF-Token": token, **body.pop("headers", {})}
        response = await client.post("/admin/api/calendar/move", headers=headers, **body)
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/problem+json"


# --- the checklist itself --------------------------------------------------------------------

CHECKLIST = "## Admin panel: OWASP ASVS 4.0.3 level 1"
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def checklist() -> str:
    text = (ROOT / "docs" / "security.md").read_text()
    assert CHECKLIST in text, "docs/security.md has lost its ASVS checklist"
    section = text.split(CHECKLIST, 1)[1]
    return section.split("\n## ", 1)[0]


def test_every_test_the_checklist_names_exists() -> None:
    section = checklist()
    named = NAMED.findall(section)
    assert len(named) >= 30
    missing = []
    for path, name in named:
        file = ROOT / path
        if not file.exists():
            missing.append(f"{path} (no such file)")
            continue
        tree = ast.parse(file.read_text())
        tests = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if name not in tests:
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_row_of_the_checklist_has_a_test_or_says_why_not() -> None:
    rows = [line for line in checklist().splitlines() if re.match(r"\|\s*\d+\.\d+\.\d+", line)]
    assert len(rows) >= 40
    for row in rows:
        assert NAMED.search(row) or re.search(r"N/A|Not met|Partly", row), row
