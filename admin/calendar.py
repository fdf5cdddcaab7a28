"""The calendar: resource columns (staff and rooms), a day or a week, bookings, blocks and
the hours off; drag a booking to move it, click a free time to book for a caller.

The page draws the calendar with the vendored ``@event-calendar`` and our own
``static/calendar.js`` (the CSP allows no inline script); without the vendored
library it is a plain table of the day per resource, rendered here. The calendar
reads :func:`calendar_data` and changes things through :func:`move` and :func:`book`,
which go through core's booking service like every other channel (the engine checks,
the history records who, with the channel ``admin``).

Times travel as the business's wall clock (``2026-12-08T14:15:00``, no offset): the
calendar shows them as they are, whatever the browser's own zone, and what it sends
back is read in the business's zone.

Staff see their own column only and move or book on it only; that is checked here,
on the server, whatever the page sends. Only admins may override the service's notice,
window and change policy, with a reason; never the hours, blocks or capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from quart import Response, abort, jsonify, request

from admin.access import (
    ADMINS,
    ANYONE,
    actor_of,
    booking_service,
    config,
    current_user,
    data,
    page,
)
from admin.blueprint import admin, asset, render, vendored
from admin.explain import policy_words, reason_words
from admin.words import Words, words_for
from core import directory
from core.availability import explain_start
from core.bookings import (
    BookingInfo,
    BookingLine,
    CustomerInput,
    find_bookings,
    utc_now,
)
from core.engine import EngineError, Resource, Service
from core.engine.calendar import blocks_meeting, hours_instants
from core.engine.intervals import Intervals
from core.errors import (
    ConcurrentChange,
    InvalidRequest,
    NoBusiness,
    NotASlot,
    NotFound,
    PolicyViolation,
    SlotTaken,
    SlotwiseError,
)
from core.users import SessionInfo, UserRole

__all__ = ["book", "calendar", "calendar_data", "move"]

LIBRARY = "event-calendar.min.js"
VIEWS = ("day", "week")
OVERRIDABLE_REASONS = frozenset({"too_soon", "too_far"})
"""Engine refusals an admin may override (the service's notice and booking window)."""
OVERRIDABLE_POLICY = frozenset({"reschedule_notice_min", "max_reschedules", "blackouts"})
"""Change-policy refusals an admin may override."""
WALL = "%Y-%m-%dT%H:%M:%S"


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    first: date
    last: date
    """Inclusive: the local days shown."""

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def _today(words: Words) -> date:
    return config().clock().astimezone(ZoneInfo(words.home_zone)).date()


def _day(words: Words, value: str | None) -> date:
    if not value:
        return _today(words)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        abort(400, words._("Write the day as YYYY-MM-DD, for example 2026-12-01."))


def _view(words: Words) -> str:
    view = request.args.get("view") or "day"
    if view not in VIEWS:
        abort(400, words._("Choose the day or the week view."))
    return view


def _range(words: Words) -> Range:
    """The days asked for: ``start``/``end`` (end exclusive, as the calendar sends them),
    else ``date`` and ``view``; at most six weeks."""
    args = request.args
    if args.get("start"):
        first = _day(words, args.get("start"))
        last = _day(words, args.get("end")) - timedelta(days=1) if args.get("end") else first
    else:
        first = _day(words, args.get("date"))
        last = first
        if _view(words) == "week":
            first -= timedelta(days=first.weekday())
            last = first + timedelta(days=6)
    if last < first or (last - first).days > 42:
        abort(400, words._("Ask for at most six weeks, the last day after the first."))
    return Range(first, last)


def _visible(user: SessionInfo, resources: Iterable[Resource]) -> list[Resource]:
    """The columns this user sees: their own for staff; for admins all, or the one the
    ``resource`` filter names (a week of a hundred columns is more than anyone reads)."""
    if user.role is UserRole.STAFF:
        return [r for r in resources if r.id == user.resource]
    only = request.args.get("resource") or None
    return [r for r in resources if only in (None, r.id)]


def _serves(service: Service, resource: str) -> bool:
    return any(resource in pool for pool in service.requires)


@lru_cache(maxsize=8192)
def _wall(moment: datetime, zone: ZoneInfo) -> str:
    """``WALL``'s format. A week holds thousands of these, mostly the same few hundred
    times: each is worked out once (isoformat, several times quicker than strftime)."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0).isoformat()


def _instant(words: Words, value: object, field: str = "start") -> datetime:
    """A wall time of the business (``YYYY-MM-DDTHH:MM[:SS]``) as an instant."""
    try:
        wall = datetime.fromisoformat(str(value))
    except ValueError:
        abort(
            400,
            words._("Send {field} as a date and time, for example 2026-12-01T14:30.").format(
                field=field
            ),
        )
    if wall.tzinfo is not None:
        wall = wall.replace(tzinfo=None)
    return wall.replace(tzinfo=ZoneInfo(words.home_zone)).astimezone(UTC)


def _bounds(words: Words, days: Range) -> tuple[datetime, datetime]:
    zone = ZoneInfo(words.home_zone)
    return (
        datetime.combine(days.first, time(0), zone).astimezone(UTC),
        datetime.combine(days.last + timedelta(days=1), time(0), zone).astimezone(UTC),
    )


def _spans(intervals: Intervals) -> list[tuple[datetime, datetime]]:
    return [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)) for a, b in intervals]


@dataclass(frozen=True, slots=True)
class Column:
    """One resource over the days shown: its bookings, blocks and the time it is closed."""

    resource: Resource
    bookings: list[BookingLine]
    blocks: list[tuple[str, datetime, datetime]]
    """``(reason, start, end)``"""
    off: list[tuple[datetime, datetime]]
    open: list[tuple[datetime, datetime]]


async def _columns(user: SessionInfo, words: Words, days: Range) -> tuple[list[Column], Any]:
    offered = await directory.catalogue()
    visible = _visible(user, offered.resources)
    lo, hi = _bounds(words, days)
    lines: list[BookingLine] = []
    if visible:
        resource = visible[0].id if len(visible) == 1 else None
        lines = await find_bookings(start=lo, end=hi, resource=resource, limit=5000)
    a, b = int(lo.timestamp()), int(hi.timestamp())
    shown: dict[str, list[BookingLine]] = {r.id: [] for r in visible}
    for line in lines:
        if line.booking.status != "cancelled":
            for resource_id in dict.fromkeys(line.booking.resources):
                shown.get(resource_id, []).append(line)
    columns = []
    for r in visible:
        hours = hours_instants(r, offered.timezone, a, b)
        blocks = [
            (block.reason, start, end)
            for block, covered in blocks_meeting(r, offered.timezone, a, b)
            for start, end in _spans(covered)
        ]
        columns.append(
            Column(
                resource=r,
                bookings=shown[r.id],
                blocks=sorted(blocks, key=lambda x: x[1]),
                off=_spans(Intervals([(a, b)]) - hours),
                open=_spans(hours),
            )
        )
    return columns, offered


def _movable(user: SessionInfo, info: BookingInfo, now: datetime) -> bool:
    if info.status != "confirmed" or info.start <= now:
        return False
    return user.role in ADMINS or user.resource in info.resources


def _title(line: BookingLine, services: Mapping[str, str]) -> tuple[str, str]:
    customer = line.customer.name if line.customer and line.customer.name else "—"
    return customer, services.get(line.booking.service_id, line.booking.service_id)


def _booking_event(
    line: BookingLine,
    user: SessionInfo,
    words: Words,
    services: Mapping[str, str],
    shown: set[str],
    now: datetime,
) -> dict[str, Any]:
    b = line.booking
    zone = ZoneInfo(words.home_zone)
    customer, service = _title(line, services)
    movable = _movable(user, b, now)
    return {
        "id": f"booking-{b.id}",
        "resourceIds": [r for r in b.resources if r in shown],
        "start": _wall(b.start, zone),
        "end": _wall(b.end, zone),
        "title": f"{customer} · {service}",
        "editable": movable,
        "startEditable": movable,
        "durationEditable": False,
        "classNames": ["cal-booking", f"cal-{b.status}"] + ([] if movable else ["cal-fixed"]),
        "extendedProps": {
            "kind": "booking",
            "booking": b.id,
            "customer": customer,
            "service": service,
            "status": b.status,
        },
    }


def _event_json(
    columns: list[Column], user: SessionInfo, words: Words, services: Mapping[str, str]
) -> list[dict[str, Any]]:
    zone = ZoneInfo(words.home_zone)
    now = config().clock()
    shown = {c.resource.id for c in columns}
    events: list[dict[str, Any]] = []
    seen: set[int] = set()
    for column in columns:
        r = column.resource.id
        for line in column.bookings:
            if line.booking.id not in seen:
                seen.add(line.booking.id)
                events.append(_booking_event(line, user, words, services, shown, now))
        for n, (reason, start, end) in enumerate(column.blocks):
            events.append(
                {
                    "id": f"block-{r}-{n}",
                    "resourceIds": [r],
                    "start": _wall(start, zone),
                    "end": _wall(end, zone),
                    "title": reason or words._("Blocked"),
                    "editable": False,
                    "classNames": ["cal-block"],
                    "extendedProps": {"kind": "block", "reason": reason},
                }
            )
        for n, (start, end) in enumerate(column.off):
            events.append(
                {
                    "id": f"off-{r}-{n}",
                    "resourceIds": [r],
                    "start": _wall(start, zone),
                    "end": _wall(end, zone),
                    "display": "background",
                    "classNames": ["cal-off"],
                    "extendedProps": {"kind": "off"},
                }
            )
    return events


def _visible_hours(columns: list[Column], words: Words) -> tuple[str, str]:
    """The earliest opening and latest closing shown (whole hours), 08:00-18:00 at least."""
    zone = ZoneInfo(words.home_zone)
    first, last = 8 * 60, 18 * 60
    for column in columns:
        for start, end in column.open:
            a, b = start.astimezone(zone), end.astimezone(zone)
            if a.date() != b.date() and b.time() != time(0):
                return "00:00", "24:00"
            first = min(first, a.hour * 60 + a.minute)
            last = max(last, 24 * 60 if b.time() == time(0) else b.hour * 60 + b.minute)
    first -= first % 60
    last = min(24 * 60, last + (-last % 60))
    return f"{first // 60:02d}:00", f"{last // 60:02d}:00"


def _rows(column: Column, words: Words, services: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The table of a column's day, in time order: ``(css class, time, what)``."""
    rows: list[tuple[datetime, int, datetime, str, str]] = []
    for start, end in column.open:
        rows.append((start, 0, end, "cal-open", words._("Open")))
    for reason, start, end in column.blocks:
        what = words._("Blocked") + (f": {reason}" if reason else "")
        rows.append((start, 1, end, "cal-blocked", what))
    for line in column.bookings:
        customer, service = _title(line, services)
        b = line.booking
        rows.append((b.start, 2, b.end, f"status-{b.status}", f"{customer} · {service}"))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [
        (kind, f"{words.time(start)}–{words.time(end)}", what) for start, _, end, kind, what in rows
    ]


@admin.get("/calendar")
@page(*ANYONE)
async def calendar() -> Response:
    user = current_user()
    assert user is not None
    words = await words_for(user)
    view = _view(words)
    day = _day(words, request.args.get("date"))
    drawn = vendored(LIBRARY)
    try:
        offered = await directory.catalogue()
        tables = []
        if not drawn:  # else the calendar reads its data itself
            columns, _ = await _columns(user, words, Range(day, day))
            services = {s.id: s.name for s in offered.services}
            tables = [(c, _rows(c, words, services)) for c in columns]
    except NoBusiness:
        return await render("no_business.html")
    return await render(
        "calendar.html",
        day=day,
        view=view,
        day_text=words.day(day),
        drawn=drawn,
        tables=tables,
        resources=[] if user.role is UserRole.STAFF else offered.resources,
        resource=request.args.get("resource") or "",
        admin_role=user.role in ADMINS,
        staff_without_resource=user.role is UserRole.STAFF and not user.resource,
        library=asset(f"vendor/{LIBRARY}") if drawn else "",
        library_css=asset("vendor/event-calendar.min.css") if drawn else "",
        script=asset("calendar.js"),
        previous=(day - timedelta(days=1)).isoformat(),
        following=(day + timedelta(days=1)).isoformat(),
    )


@admin.get("/api/calendar")
@data(*ANYONE)
async def calendar_data() -> Response:
    """The columns, bookings, blocks and hours off of the days asked for (wall times of
    the business), with the services each column can book."""
    user = current_user()
    assert user is not None
    words = await words_for(user)
    days = _range(words)
    try:
        columns, offered = await _columns(user, words, days)
    except NoBusiness:
        abort(404, words._("No business has been set up yet."))
    services = {s.id: s.name for s in offered.services}
    first, last = _visible_hours(columns, words)
    return jsonify(
        {
            "first": days.first.isoformat(),
            "last": days.last.isoformat(),
            "timezone": words.home_zone,
            "slotMinTime": first,
            "slotMaxTime": last,
            "resources": [
                {
                    "id": c.resource.id,
                    "title": c.resource.name,
                    "extendedProps": {
                        "kind": c.resource.kind,
                        "services": [s.id for s in offered.services if _serves(s, c.resource.id)],
                    },
                }
                for c in columns
            ],
            "services": [
                {"id": s.id, "name": s.name, "duration": s.duration_min} for s in offered.services
            ],
            "events": _event_json(columns, user, words, services),
        }
    )


# --- changing --------------------------------------------------------------------------


async def _body(words: Words) -> dict[str, Any]:
    body = await request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, words._("Send the change as a JSON object."))
    return body


def _text(body: Mapping[str, Any], field: str, limit: int = 500) -> str:
    value = body.get(field)
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


async def _taken(
    words: Words, names: Mapping[str, str], service: str, start: datetime, provider: str | None
) -> list[str]:
    """What is in the way of a start only bookings or holds refused, in the explain words
    (the booking service says "taken" without them)."""
    try:
        explanation, _ = await explain_start(service, start, utc_now(), provider)
    except (SlotwiseError, EngineError):
        return []
    return reason_words(
        words, [r for r in explanation.reasons if r.code in ("busy", "full")], names
    )


async def _refused(
    words: Words,
    error: SlotwiseError,
    names: Mapping[str, str],
    *,
    admin_role: bool,
    wanted: tuple[str, datetime, str | None],
    status: int = 409,
) -> Response:
    """A refusal in the user's words: the engine's reasons, or the policy's rule; whether an
    admin may override it (notice, window, change policy; never hours, blocks, capacity)."""
    reasons: list[str] = []
    overridable = False
    if isinstance(error, NotASlot):
        reasons = reason_words(words, error.explanation.reasons, names)
        codes = {r.code for r in error.explanation.reasons}
        overridable = admin_role and bool(codes) and codes <= OVERRIDABLE_REASONS
        detail = words._("That time cannot be booked.")
    elif isinstance(error, SlotTaken):
        detail = words._("That time is taken by another booking or a hold.")
        reasons = await _taken(words, names, *wanted)
    elif isinstance(error, ConcurrentChange):
        detail = words._("The booking is being changed right now; try again in a moment.")
    elif isinstance(error, PolicyViolation):
        detail = policy_words(words, error)
        overridable = admin_role and error.field in OVERRIDABLE_POLICY
    else:
        status = 400
        detail = error.message
    response = jsonify(
        {
            "title": words._("Not done"),
            "detail": detail,
            "reasons": reasons,
            "field": error.field,
            "overridable": overridable,
        }
    )
    response.status_code = status
    return response


async def _line(booking_id: object, words: Words) -> BookingLine:
    if isinstance(booking_id, bool) or not isinstance(booking_id, int):
        abort(400, words._("Say which booking to move (its number)."))
    found = await find_bookings(booking=booking_id, limit=1)
    if not found:
        abort(404, words._("There is no such booking."))
    return found[0]


def _names(resources: Iterable[Resource]) -> dict[str, str]:
    return {r.id: r.name for r in resources}


@admin.post("/api/calendar/move")
@data(*ANYONE)
async def move() -> Response:
    """Move a booking to ``start`` (a wall time) in the column ``resource`` it was dropped
    on (without one, it keeps its resources when they are free); an admin may
    ``override`` the notice, window and change policy, giving a ``reason``."""
    user = current_user()
    assert user is not None
    words = await words_for(user)
    body = await _body(words)
    line = await _line(body.get("booking"), words)
    info = line.booking
    start = _instant(words, body.get("start"))
    resource = body.get("resource") or None
    if resource is not None and not isinstance(resource, str):
        abort(400, words._("Name the column by its id."))
    override = body.get("override") is True
    reason = _text(body, "reason")
    if user.role is UserRole.STAFF:
        if user.resource not in info.resources:
            abort(403, words._("You can move only your own bookings."))
        if resource not in (None, user.resource):
            abort(403, words._("You can move a booking only within your own column."))
        if override:
            abort(403, words._("Only an admin can override the rules."))
    if override and not reason:
        abort(400, words._("Give a reason for the override (the reason field): it is recorded."))
    offered = await directory.catalogue()
    try:
        moved = await booking_service().reschedule(
            info.manage_token,
            start,
            actor=actor_of(user),
            override=override,
            provider=resource,
            reason=reason,
        )
    except (SlotwiseError, EngineError) as error:
        return await _refused(
            words,
            error,
            _names(offered.resources),
            admin_role=user.role in ADMINS,
            wanted=(info.service_id, start, resource),
        )
    return jsonify(
        {
            "booking": moved.id,
            "detail": words._("Moved to {when}.").format(when=words.span(moved.start, moved.end)),
        }
    )


@admin.post("/api/calendar/book")
@data(*ANYONE)
async def book() -> Response:
    """Book ``service`` at ``start`` (a wall time) on ``resource`` for a caller: a name and
    a phone number or e-mail address."""
    user = current_user()
    assert user is not None
    words = await words_for(user)
    body = await _body(words)
    resource = body.get("resource")
    service = body.get("service")
    if not isinstance(resource, str) or not resource:
        abort(400, words._("Choose the column to book on (resource)."))
    if not isinstance(service, str) or not service:
        abort(400, words._("Choose a service."))
    if user.role is UserRole.STAFF and resource != user.resource:
        abort(403, words._("You can book only in your own column."))
    start = _instant(words, body.get("start"))
    name = _text(body, "name", 200)
    phone = _text(body, "phone", 32) or None
    email = _text(body, "email", 254) or None
    if not name:
        abort(400, words._("Write the customer's name (name)."))
    if not phone and not email:
        abort(400, words._("Write the customer's phone number or e-mail address."))
    offered = await directory.catalogue()
    try:
        made = await booking_service().book(
            service,
            start,
            CustomerInput(name, phone=phone, email=email),
            provider=resource,
            channel="admin",
            actor=actor_of(user),
        )
    except NotFound as error:
        abort(404, error.message)
    except InvalidRequest as error:
        abort(400, error.message)
    except (SlotwiseError, EngineError) as error:
        return await _refused(
            words,
            error,
            _names(offered.resources),
            admin_role=user.role in ADMINS,
            wanted=(service, start, resource),
        )
    services = {s.id: s.name for s in offered.services}
    return jsonify(
        {
            "booking": made.id,
            "detail": words._("Booked {service} for {name}, {when}.").format(
                service=services.get(made.service_id, made.service_id),
                name=name,
                when=words.span(made.start, made.end),
            ),
        }
    )
