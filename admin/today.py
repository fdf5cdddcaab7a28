"""Today: the landing page after sign-in.

The day's bookings per resource, how much of each resource's open time is still free
and how much of it was booked so far (:mod:`core.utilization`), and what needs a
person (:mod:`core.attention`): messages that were never delivered (admins only),
upcoming bookings the rules no longer allow after an edit, and bookings an event in the
staff member's own calendar lands on. Staff see only their own resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from quart import Response, abort, request

from admin.access import ADMINS, ANYONE, config, current_user, page
from admin.blueprint import admin, render
from admin.pages import status_words
from admin.words import Words, words_for
from core import directory
from core.attention import Unfit, calendar_conflicts, dead_messages, unfit_bookings
from core.bookings import BookingLine, find_bookings
from core.errors import NoBusiness
from core.store import Rules, load_rules
from core.users import SessionInfo, UserRole
from core.utilization import ResourceUse, resource_use

MISFIT_HORIZON = timedelta(days=30)
"""How far ahead Today looks for bookings the rules no longer allow."""
SHOWN = 50
"""At most this many of each kind of attention item are listed."""


@dataclass(frozen=True, slots=True)
class Column:
    """One resource's day: its bookings and its figures."""

    use: ResourceUse
    lines: list[tuple[str, BookingLine]]
    """Each booking with its time as the user reads it."""
    utilization: str
    free: str


@dataclass(frozen=True, slots=True)
class Attention:
    text: str
    booking_id: int | None = None


def _percent(words: Words, share: float | None) -> str:
    return "—" if share is None else str(format_percent(share, locale=words.lang))


def _free(words: Words, use: ResourceUse) -> str:
    """Free time left; for a resource with seats, as time of all seats ("3 hours × 12
    seats": seat-minutes divided by the seats, so a half-booked hour counts half)."""
    if not use.free_after:
        return words._("none")
    if use.capacity == 1:
        return words.duration(use.free_after)
    return words.n_("{duration} × {seats} seat", "{duration} × {seats} seats", use.capacity).format(
        duration=words.duration(use.free_after // use.capacity), seats=use.capacity
    )


def _day(words: Words, now: datetime) -> date:
    text = request.args.get("date")
    if not text:
        return now.astimezone(ZoneInfo(words.home_zone)).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, words._("Write the day as YYYY-MM-DD, for example 2026-12-01."))


async def _attention(
    user: SessionInfo,
    words: Words,
    now: datetime,
    names: dict[str, str],
    services: dict[str, str],
    rules: Rules,
) -> list[Attention]:
    mine = user.resource if user.role is UserRole.STAFF else None
    found: list[Attention] = []
    if user.role in ADMINS:
        dead = await dead_messages(limit=SHOWN)
        for message in dead:
            found.append(
                Attention(
                    words._("A message was never delivered ({kind}, {attempts} tries): {error}")
                    .format(kind=message.kind, attempts=message.attempts, error=message.last_error)
                    .strip()
                )
            )
    misfits = await unfit_bookings(
        now, now + MISFIT_HORIZON, resource=mine, limit=SHOWN, rules=rules
    )
    for unfit in misfits:
        found.append(
            Attention(
                words._("{service} on {when} no longer fits the rules: {why}").format(
                    service=services.get(unfit.service, unfit.service),
                    when=words.when(unfit.start),
                    why=" ".join(_why(words, unfit, names, services)),
                ),
                unfit.booking_id,
            )
        )
    for clash in await calendar_conflicts(now, resource=mine, limit=SHOWN):
        found.append(
            Attention(
                words._("{service} on {when}: {name}'s own calendar has an event then").format(
                    service=services.get(clash.service, clash.service),
                    when=words.when(clash.start),
                    name=names.get(clash.resource, clash.resource),
                ),
                clash.booking_id,
            )
        )
    return found


def _why(words: Words, unfit: Unfit, names: dict[str, str], services: dict[str, str]) -> list[str]:
    said = {
        "closed": words._("{name} is not open then."),
        "blocked": words._("{name} is blocked then."),
        "resource_off": words._("{name} is switched off."),
        "service_off": words._("The service is switched off."),
    }
    return [said[code].format(name=names.get(what, what)) for code, what in unfit.reasons]


@admin.get("/today")
@page(*ANYONE)
async def today() -> Response:
    user = current_user()
    assert user is not None
    words = await words_for(user)
    now = config().clock()
    day = _day(words, now)
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return await render("no_business.html")
    names = {r.id: r.name for r in offered.resources}
    services = {s.id: s.name for s in offered.services}
    staff = user.role is UserRole.STAFF
    if staff and not user.resource:
        return await render(
            "today.html",
            columns=[],
            attention=[],
            day_text=words.day(day),
            staff=True,
            services=services,
            statuses=status_words(words),
            day=day,
        )
    zone = ZoneInfo(words.home_zone)
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    mine = [user.resource] if staff and user.resource else None
    rules = await load_rules(resources=mine)  # read once for the figures and the misfits
    uses = await resource_use(start, end, now, mine, rules=rules)
    lines = [
        line
        for line in await find_bookings(
            start=start, end=end, resource=user.resource if staff else None, limit=2000
        )
        if line.booking.status != "cancelled"
    ]
    times: dict[datetime, str] = {}  # bookings share their times: each formatted once

    def time_of(moment: datetime) -> str:
        text = times.get(moment)
        if text is None:
            text = times[moment] = words.time(moment)
        return text

    by_resource: dict[str, list[tuple[str, BookingLine]]] = {}
    for line in lines:
        shown = (f"{time_of(line.booking.start)}–{time_of(line.booking.end)}", line)
        for resource_id in dict.fromkeys(line.booking.resources):
            by_resource.setdefault(resource_id, []).append(shown)
    columns = []
    for use in uses:
        own = by_resource.get(use.resource, [])
        if not own and not use.open_before and not use.open_after:
            continue  # closed all day, nothing booked: nothing to show
        columns.append(
            Column(
                use,
                own,
                _percent(words, use.utilization_so_far),
                _free(words, use),
            )
        )
    return await render(
        "today.html",
        columns=columns,
        attention=await _attention(user, words, now, names, services, rules),
        day_text=words.day(day),
        day=day,
        staff=staff,
        services=services,
        statuses=status_words(words),
    )
