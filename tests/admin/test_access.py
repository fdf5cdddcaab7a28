"""Every route under /admin says who may open it, and means it.

The walk reads the app's URL map, so a route added later without a role check
fails here; then each guarded route is requested anonymously (a page redirects to
sign-in, data gets 401) and by each role (a role not allowed gets 403).
"""

from __future__ import annotations

import re

import pytest
from quart import Blueprint, Quart
from werkzeug.routing import Rule

from admin.access import ACCESS, ADMINS, Access, page
from core.users import UserRole
from tests.admin.conftest import Clock, csrf, signed_in

PUBLIC = {"admin.login", "admin.login_post", "admin.enrol_page", "admin.enrol_post", "admin.static"}


def admin_rules(app: Quart) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")]


def access_of(app: Quart, rule: Rule) -> Access | None:
    found: Access | None = getattr(app.view_functions[rule.endpoint], ACCESS, None)
    return found


def unchecked(app: Quart) -> list[str]:
    """Routes under /admin that neither check a role nor say they are public."""
    return sorted(r.rule for r in admin_rules(app) if access_of(app, r) is None)


def path_of(rule: Rule) -> str:
    """The rule with its parameters filled: the staff user of the walk is Ana."""
    return re.sub(r"<[^>]+>", "x", rule.rule.replace("<resource>", "ana"))


def guarded(app: Quart) -> list[tuple[str, str, Access]]:
    found = []
    for rule in admin_rules(app):
        access = access_of(app, rule)
        assert access is not None
        if access.kind == "public":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path_of(rule), access))
    return found


async def test_every_admin_route_checks_a_role_or_says_it_is_public(app: Quart) -> None:
    assert len(admin_rules(app)) >= 10
    assert unchecked(app) == []
    public = {r.endpoint for r in admin_rules(app) if access_of(app, r) == Access("public", ())}
    assert public == PUBLIC


async def test_the_walk_finds_a_route_without_a_check(app: Quart) -> None:
    extra = Blueprint("extra", __name__, url_prefix="/admin/extra")

    @extra.get("/forgotten")
    async def forgotten() -> str:
        return "anyone"

    @extra.get("/kept")
    @page(*ADMINS)
    async def kept() -> str:
        return "admins"

    app.register_blueprint(extra)
    assert unchecked(app) == ["/admin/extra/forgotten"]


async def test_anonymous_pages_go_to_sign_in_and_data_gets_401(app: Quart) -> None:
    client = app.test_client()
    token = await csrf(client)
    checked = 0
    for method, path, access in guarded(app):
        form = {"csrf_token": token} if method == "POST" else None
        response = await client.open(path, method=method, form=form)
        if access.kind == "page":
            assert response.status_code in (302, 303), (method, path)
            assert response.headers["Location"].startswith("/admin/login"), (method, path)
        else:
            assert response.status_code == 401, (method, path)
            assert response.headers["Content-Type"] == "application/problem+json"
        checked += 1
    assert checked >= 6


@pytest.mark.parametrize("role", ["staff", "admin", "sysadmin"])
async def test_a_role_not_allowed_gets_403(app: Quart, clock: Clock, role: str) -> None:
    client = await signed_in(app, clock, role, "ana" if role == "staff" else None)
    token = await csrf(client, "/admin/bookings")
    for method, path, access in guarded(app):
        if method != "GET" and path == "/admin/logout":
            continue  # would end the session the walk goes on with
        form = {"csrf_token": token} if method == "POST" else None
        response = await client.open(path, method=method, form=form)
        if UserRole(role) in access.roles:
            assert response.status_code != 403, (role, method, path)
            if method == "GET" and response.status_code == 200:
                html = await response.get_data(as_text=True)
                if access.kind == "page":  # the CSP allows no inline script or style anyway
                    assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
                    assert " style=" not in html, path
                    assert "unsafe" not in response.headers["Content-Security-Policy"]
        else:
            assert response.status_code == 403, (role, method, path)


async def test_staff_see_no_audit_log_and_only_sysadmins_see_the_users(
    app: Quart, clock: Clock
) -> None:
    staff = await signed_in(app, clock, "staff", "ana")
    assert (await staff.get("/admin/audit")).status_code == 403
    page = await (await staff.get("/admin/bookings")).get_data(as_text=True)
    assert "/admin/audit" not in page
    admin = await signed_in(app, clock, "admin")
    assert (await admin.get("/admin/audit")).status_code == 200
    assert (await admin.get("/admin/users")).status_code == 403
    sysadmin = await signed_in(app, clock, "sysadmin")
    listed = await (await sysadmin.get("/admin/users")).get_data(as_text=True)
    assert "staff-ana@example.org" in listed
    assert "admin-x@example.org" in listed
