"""Bookings: the filtered list (and its JSON and CSV), one booking with its whole history,
and the changes a person makes to it (cancel, move, no-show). The audit log is in
:mod:`admin.audit`, the users in :mod:`admin.users`.

Staff see only the bookings of their own resource, and those customers' contact
details; every change goes through the booking service (:mod:`core.bookings`), so
the engine checks a move, the change policy applies unless an admin overrides it
(never capacity: the database keeps that), and the history records who, when, from
the panel, and why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from quart import Response, abort, jsonify, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import (
    ADMINS,
    ANYONE,
    actor_of,
    booking_service,
    config,
    data,
    page,
    signed_in,
)
from admin.actions import ActionWords, action_words
from admin.blueprint import admin, render
from admin.explain import policy_words, reason_words
from admin.words import Words, words_for
from core import directory
from core.audit import AuditEntry, audit_log
from core.bookings import STATUSES, BookingLine, find_bookings
from core.calendars import clashing
from core.errors import (
    InvalidRequest,
    NoBusiness,
    NotASlot,
    NotFound,
    PolicyViolation,
    SlotTaken,
    SlotwiseError,
)
from core.users import SessionInfo, UserRole

MAX_DAYS = 366
"""The longest date range a list or an export covers."""
LIST_LIMIT = 500
CSV_LIMIT = 20_000
CHANNELS = ("admin", "api", "telegram", "slack", "sms", "whatsapp", "web", "console", "file")
"""Channels offered in the filter (any other can still be typed into the address)."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@admin.get("/")
@page(*ANYONE)
async def index() -> ResponseReturnValue:
    return redirect(url_for("admin.today"), 303)


def _staff(user: SessionInfo) -> bool:
    return user.role is UserRole.STAFF


@dataclass(frozen=True, slots=True)
class Filters:
    first: date
    last: date
    resource: str | None
    service: str | None
    status: str | None
    channel: str | None
    customer: str | None

    def query(self) -> dict[str, str]:
        """The filters as query-string arguments (for the CSV link)."""
        found = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        for key in ("resource", "service", "status", "channel", "customer"):
            value = getattr(self, key)
            if value:
                found[key] = value
        return found


def _day(words: Words, text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, words._("Write the day as YYYY-MM-DD, for example 2026-12-01.") + f" ({field})")


def _filters(user: SessionInfo, words: Words) -> Filters:
    """The list's filters from the query string; a staff member's resource is always theirs."""
    args = request.args
    today = config().clock().astimezone(ZoneInfo(words.home_zone)).date()
    if args.get("date"):
        first = last = _day(words, args["date"], "date")
    else:
        first = _day(words, args["from"], "from") if args.get("from") else today
        last = _day(words, args["to"], "to") if args.get("to") else first
    if last < first:
        abort(400, words._("The last day comes before the first; swap them."))
    if (last - first).days >= MAX_DAYS:
        abort(400, words._("Choose at most a year of days at once."))
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, words._("Choose a status from the list."))
    resource = args.get("resource") or None
    if _staff(user):
        resource = user.resource
    customer = (args.get("customer") or "").strip()[:100] or None
    return Filters(
        first,
        last,
        resource,
        (args.get("service") or None),
        status,
        (args.get("channel") or "")[:32] or None,
        customer,
    )


def _bounds(words: Words, first: date, last: date) -> tuple[datetime, datetime]:
    """The local days ``first..last`` as a UTC window."""
    zone = ZoneInfo(words.home_zone)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


async def _lines(
    user: SessionInfo, words: Words, filters: Filters, limit: int = LIST_LIMIT
) -> list[BookingLine]:
    if _staff(user) and not user.resource:
        return []
    start, end = _bounds(words, filters.first, filters.last)
    try:
        return await find_bookings(
            start=start,
            end=end,
            resource=filters.resource,
            service=filters.service,
            status=filters.status,
            channel=filters.channel,
            customer=filters.customer,
            limit=limit,
        )
    except InvalidRequest as error:
        abort(400, error.message)


def status_words(words: Words) -> dict[str, str]:
    return {
        "confirmed": words._("confirmed"),
        "cancelled": words._("cancelled"),
        "completed": words._("completed"),
        "no_show": words._("no-show"),
    }


def _when_texts(words: Words, lines: list[BookingLine], *, days: bool) -> dict[int, str]:
    """Each booking's time as the list shows it (with its day when the list spans days).
    Bookings share their times, and formatting one is Babel's slowest call on the page:
    each is formatted once."""
    done: dict[tuple[datetime, bool], str] = {}

    def text(moment: datetime, day: bool) -> str:
        found = done.get((moment, day))
        if found is None:
            found = words.time(moment)
            if day:
                found = f"{words.day(moment)}, {found}"
            done[moment, day] = found
        return found

    return {
        line.booking.id: f"{text(line.booking.start, days)}–{text(line.booking.end, False)}"
        for line in lines
    }


@admin.get("/bookings")
@page(*ANYONE)
async def bookings() -> Response:
    user = signed_in()
    words = await words_for(user)
    filters = _filters(user, words)
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return await render("no_business.html")
    lines = await _lines(user, words, filters)
    span = words.day(filters.first)
    if filters.last != filters.first:
        span = f"{span} – {words.day(filters.last)}"
    return await render(
        "bookings.html",
        lines=lines,
        when=_when_texts(words, lines, days=filters.first != filters.last),
        full=len(lines) >= LIST_LIMIT,
        limit=LIST_LIMIT,
        filters=filters,
        resources={r.id: r.name for r in offered.resources},
        services={s.id: s.name for s in offered.services},
        statuses=status_words(words),
        channels=CHANNELS,
        day_text=span,
        csv_url=url_for("admin.bookings_csv") + "?" + urlencode(filters.query()),
        staff=_staff(user),
        clashes=await clashing([line.booking.id for line in lines]),
    )


@admin.get("/api/bookings")
@data(*ANYONE)
async def bookings_data() -> Response:
    """The same list as JSON (UTC instants), with the same filters and scoping."""
    user = signed_in()
    words = await words_for(user)
    filters = _filters(user, words)
    lines = await _lines(user, words, filters)
    return jsonify(
        {
            "date": filters.first.isoformat(),
            "from": filters.first.isoformat(),
            "to": filters.last.isoformat(),
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


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula is prefixed with
    an apostrophe (OWASP's advice against CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


@admin.get("/api/bookings.csv")
@data(*ANYONE)
async def bookings_csv() -> Response:
    """The filtered list as CSV: the same filters and scoping as the page, times in the
    business's zone (ISO 8601 with the offset)."""
    user = signed_in()
    words = await words_for(user)
    filters = _filters(user, words)
    lines = await _lines(user, words, filters, limit=CSV_LIMIT)
    zone = ZoneInfo(words.home_zone)
    header: list[object] = [
        "id",
        "start",
        "end",
        "service",
        "resources",
        "seats",
        "status",
        "channel",
        "customer",
        "phone",
        "email",
    ]
    rows: list[list[object]] = [header]
    for line in lines:
        b, c = line.booking, line.customer
        rows.append(
            [
                b.id,
                b.start.astimezone(zone).isoformat(),
                b.end.astimezone(zone).isoformat(),
                b.service_id,
                " ".join(b.resources),
                b.seats,
                b.status,
                b.source_channel,
                c.name if c else "",
                (c.phone or "") if c else "",
                (c.email or "") if c else "",
            ]
        )
    name = f"bookings-{filters.first.isoformat()}-{filters.last.isoformat()}.csv"
    return Response(
        csv_text(rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- one booking ----------------------------------------------------------------------------


async def _line(user: SessionInfo, booking_id: str) -> BookingLine:
    """The booking with this id as the user may see it; 404 for one of another staff
    member's resource too (its existence is not theirs to learn)."""
    if not booking_id.isdigit() or len(booking_id) > 12:
        abort(404, "there is no such booking")
    if _staff(user) and not user.resource:
        abort(404, "there is no such booking")
    found = await find_bookings(
        booking=int(booking_id), resource=user.resource if _staff(user) else None, limit=1
    )
    if not found:
        abort(404, "there is no such booking")
    return found[0]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    when: str
    actor: str
    channel: str
    action: str
    """The code, for the filter of the audit log."""
    words: str
    details: list[str]


def _history_line(
    words: Words, actions: ActionWords, entry: AuditEntry, names: dict[str, str]
) -> HistoryLine:
    data = entry.data or {}
    details: list[str] = []

    def when(value: object) -> str:
        try:
            return words.when(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)

    def named(value: object) -> str:
        items = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(r), str(r)) for r in items)

    if entry.action == "rescheduled":
        details.append(
            words._("from {before} to {after}").format(
                before=when(data.get("from")), after=when(data.get("to"))
            )
        )
        if data.get("resources_from") != data.get("resources_to"):
            details.append(
                words._("with {before} → {after}").format(
                    before=named(data.get("resources_from", [])),
                    after=named(data.get("resources_to", [])),
                )
            )
    elif entry.action == "booked" and data.get("start"):
        details.append(
            words._("for {when} with {who}").format(
                when=when(data["start"]), who=named(data.get("resources", []))
            )
        )
    if data.get("reason"):
        details.append(words._("Reason: {reason}").format(reason=data["reason"]))
    if data.get("override"):
        details.append(words._("with an admin override"))
    return HistoryLine(
        words.when(entry.at),
        entry.actor,
        entry.channel,
        entry.action,
        actions.label(entry.action),
        details,
    )


async def _booking_page(
    booking_id: str,
    *,
    status: int = 200,
    problems: list[str] | None = None,
    alternatives: list[str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    user = signed_in()
    words = await words_for(user)
    line = await _line(user, booking_id)
    b = line.booking
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return await render("no_business.html")
    resources = {r.id: r.name for r in offered.resources}
    services = {s.id: s.name for s in offered.services}
    service = next((s for s in offered.services if s.id == b.service_id), None)
    pool = sorted({r for p in service.requires for r in p}) if service else []
    history = await audit_log(booking=b.id, limit=1000)
    actions = action_words(words)
    zone = ZoneInfo(words.home_zone)
    local = b.start.astimezone(zone)
    done = {
        "cancelled": words._("The booking is cancelled."),
        "moved": words._("The booking is moved."),
        "no_show": words._("The booking is marked a no-show."),
    }.get(request.args.get("done", ""))
    return await render(
        "booking.html",
        status=status,
        line=line,
        b=b,
        c=line.customer,
        span=words.span(b.start, b.end),
        service_name=services.get(b.service_id, b.service_id),
        resources=resources,
        movable_to=[(r, resources.get(r, r)) for r in pool],
        statuses=status_words(words),
        history=[_history_line(words, actions, e, resources) for e in reversed(history)],
        is_admin=user.role in ADMINS,
        confirmed=b.status == "confirmed",
        started=b.start <= config().clock(),
        typed=typed or {"date": local.date().isoformat(), "time": local.strftime("%H:%M")},
        problems=problems or [],
        alternatives=alternatives or [],
        done=done,
    )


@admin.get("/bookings/<booking_id>")
@page(*ANYONE)
async def booking(booking_id: str) -> Response:
    return await _booking_page(booking_id)


async def _change_form(words: Words) -> tuple[str, bool]:
    """The reason (required) and the override (admins only) of a change form."""
    form = await request.form
    reason = " ".join(form.get("reason", "").split())[:500]
    override = form.get("override") == "on" and signed_in().role in ADMINS
    return reason, override


@admin.post("/bookings/<booking_id>/cancel")
@page(*ANYONE)
async def booking_cancel(booking_id: str) -> ResponseReturnValue:
    user = signed_in()
    words = await words_for(user)
    line = await _line(user, booking_id)
    reason, override = await _change_form(words)
    if not reason:
        return await _booking_page(
            booking_id, status=400, problems=[words._("Write the reason for the cancellation.")]
        )
    try:
        await booking_service().cancel(
            line.booking.manage_token, actor=actor_of(user), reason=reason, override=override
        )
    except SlotwiseError as error:
        return await _booking_page(booking_id, status=409, problems=[policy_words(words, error)])
    return redirect(url_for("admin.booking", booking_id=booking_id, done="cancelled"), 303)


@admin.post("/bookings/<booking_id>/move")
@page(*ANYONE)
async def booking_move(booking_id: str) -> ResponseReturnValue:
    user = signed_in()
    words = await words_for(user)
    line = await _line(user, booking_id)
    form = await request.form
    typed = {"date": form.get("date", "")[:10], "time": form.get("time", "")[:5]}
    reason, override = await _change_form(words)
    problems = []
    try:
        day = date.fromisoformat(typed["date"])
    except ValueError:
        problems.append(words._("Write the day as YYYY-MM-DD, for example 2026-12-01."))
    try:
        at = time.fromisoformat(typed["time"])
    except ValueError:
        problems.append(words._("Write the time as HH:MM, for example 14:30."))
    if not reason:
        problems.append(words._("Write the reason for the move."))
    if problems:
        return await _booking_page(booking_id, status=400, problems=problems, typed=typed)
    start = datetime.combine(day, at, ZoneInfo(words.home_zone))
    provider = None if _staff(user) else (form.get("resource") or None)
    names = {r.id: r.name for r in (await directory.catalogue()).resources}
    try:
        await booking_service().reschedule(
            line.booking.manage_token,
            start,
            actor=actor_of(user),
            override=override,
            provider=provider,
            reason=reason,
        )
    except (NotASlot, SlotTaken) as error:
        why = (
            reason_words(words, error.explanation.reasons, names)
            if isinstance(error, NotASlot)
            else [words._("Someone else has just booked that time.")]
        )
        nearby = [
            f"{words.when(s.start)} · {', '.join(names.get(r, r) for r in s.resources)}"
            for s in error.alternatives
        ]
        return await _booking_page(
            booking_id,
            status=409,
            problems=[
                words._("The booking cannot move to {when}:").format(when=words.when(start)),
                *why,
            ],
            alternatives=nearby,
            typed=typed,
        )
    except SlotwiseError as error:
        return await _booking_page(
            booking_id, status=409, problems=[policy_words(words, error)], typed=typed
        )
    return redirect(url_for("admin.booking", booking_id=booking_id, done="moved"), 303)


@admin.post("/bookings/<booking_id>/no-show")
@page(*ANYONE)
async def booking_no_show(booking_id: str) -> ResponseReturnValue:
    user = signed_in()
    words = await words_for(user)
    line = await _line(user, booking_id)
    try:
        await booking_service().mark_no_show(line.booking.manage_token, actor=actor_of(user))
    except PolicyViolation as error:
        problem = (
            words._("A booking can be marked a no-show only after it has started.")
            if line.booking.status == "confirmed"
            else policy_words(words, error)
        )
        return await _booking_page(booking_id, status=409, problems=[problem])
    except (NotFound, SlotwiseError) as error:
        return await _booking_page(booking_id, status=409, problems=[policy_words(words, error)])
    return redirect(url_for("admin.booking", booking_id=booking_id, done="no_show"), 303)
