"""The first pages: the bookings of a day, and the audit log.

Staff see only the bookings of their own resource, and those customers' contact
details; the audit log is for admins and sysadmins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from quart import Response, abort, jsonify, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ADMINS, ANYONE, config, current_user, data, page
from admin.blueprint import admin, render
from admin.words import Words, words_for
from core import directory
from core.audit import audit_log
from core.bookings import STATUSES, BookingLine, find_bookings
from core.calendars import clashing
from core.errors import InvalidRequest, NoBusiness
from core.users import SessionInfo, UserRole, list_users


@admin.get("/")
@page(*ANYONE)
async def index() -> ResponseReturnValue:
    return redirect(url_for("admin.bookings"), 303)


@dataclass(frozen=True, slots=True)
class Filters:
    day: date
    resource: str | None
    status: str | None


async def _filters(user: SessionInfo, words: Words) -> Filters:
    """The list's filters from the query string; a staff member's resource is always theirs."""
    args = request.args
    today = config().clock().astimezone(ZoneInfo(words.home_zone)).date()
    try:
        day = date.fromisoformat(args["date"]) if args.get("date") else today
    except ValueError:
        abort(400, words._("Write the day as YYYY-MM-DD, for example 2026-12-01."))
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, words._("Choose a status from the list."))
    resource = args.get("resource") or None
    if user.role is UserRole.STAFF:
        resource = user.resource
    return Filters(day, resource, status)


async def _lines(user: SessionInfo, words: Words, filters: Filters) -> list[BookingLine]:
    if user.role is UserRole.STAFF and not user.resource:
        return []
    zone = ZoneInfo(words.home_zone)
    start = datetime.combine(filters.day, time(0), zone).astimezone(UTC)
    end = datetime.combine(filters.day + timedelta(days=1), time(0), zone).astimezone(UTC)
    try:
        return await find_bookings(
            start=start, end=end, resource=filters.resource, status=filters.status
        )
    except InvalidRequest as error:
        abort(400, error.message)


@admin.get("/bookings")
@page(*ANYONE)
async def bookings() -> Response:
    user = current_user()
    assert user is not None
    words = await words_for(user)
    filters = await _filters(user, words)
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return await render("no_business.html")
    lines = await _lines(user, words, filters)
    resources = {r.id: r.name for r in offered.resources}
    services = {s.id: s.name for s in offered.services}
    statuses = {
        "confirmed": words._("confirmed"),
        "cancelled": words._("cancelled"),
        "completed": words._("completed"),
        "no_show": words._("no-show"),
    }
    return await render(
        "bookings.html",
        lines=lines,
        filters=filters,
        resources=resources,
        services=services,
        statuses=statuses,
        day_text=words.day(filters.day),
        staff=user.role is UserRole.STAFF,
        clashes=await clashing([line.booking.id for line in lines]),
    )


@admin.get("/api/bookings")
@data(*ANYONE)
async def bookings_data() -> Response:
    """The same list as JSON (UTC instants), with the same scoping."""
    user = current_user()
    assert user is not None
    words = await words_for(user)
    filters = await _filters(user, words)
    lines = await _lines(user, words, filters)
    return jsonify(
        {
            "date": filters.day.isoformat(),
            "bookings": [_line_json(line) for line in lines],
        }
    )


def _line_json(line: BookingLine) -> dict[str, Any]:
    b, c = line.booking, line.customer
    return {
        "id": b.id,
        "service": b.service_id,
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        "status": b.status,
        "resources": list(b.resources),
        "seats": b.seats,
        "channel": b.source_channel,
        "customer": None if c is None else {"name": c.name, "phone": c.phone, "email": c.email},
    }


@admin.get("/audit")
@page(*ADMINS)
async def audit() -> Response:
    words = await words_for(current_user())
    kind = request.args.get("kind") or None
    if kind not in (None, "booking", "rule"):
        abort(400, words._("Choose bookings, rules or both."))
    entries = await audit_log(kind=kind, limit=200)  # type: ignore[arg-type]
    return await render("audit.html", entries=entries, kind=kind or "", when=words.when)


@admin.get("/users")
@page(UserRole.SYSADMIN)
async def users() -> Response:
    """Who may sign in (sysadmins only); made and changed with ``slotwise user`` for now."""
    return await render("users.html", users=await list_users())
