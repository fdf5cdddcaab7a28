"""The admin bench finds the routes to time by itself: a page added later is measured
without a change to ``bench/admin.py``."""

from __future__ import annotations

from quart import Quart

from admin.reports import REPORTS
from bench.admin import admin_gets, fill


async def test_the_bench_walks_every_get_route_an_admin_may_open(app: Quart) -> None:
    rules = {r.rule: r for r in admin_gets(app)}
    assert "/admin/reports" in rules
    assert "/admin/bookings" in rules
    assert "/admin/api/bookings" in rules
    for name in REPORTS:
        assert f"/admin/api/reports/{name}" in rules
        assert f"/admin/reports/{name}.csv" in rules
    assert "/admin/users" not in rules  # sysadmins only
    assert "/admin/login" not in rules  # public
    assert "/admin/logout" not in rules  # not a GET
    resource = rules["/admin/rules/<resource>"]
    assert fill(resource, {"resource": "p0000"}) == "/admin/rules/p0000"
    assert fill(resource, {}) is None  # no representative: skipped, and said so
