"""Rule edits from the panel: a resource's weekly hours (with a preview of the coming week's
free slots from the unsaved form) and its blocks, one-off and recurring. Admins edit every
resource, staff their own. Every save goes through :mod:`core.rules`, so it is checked by
the business file's validator, applies at once, lands in the rule history with the user as
actor, and lists the upcoming bookings that no longer fit: kept, for a person to decide on
(keep, or cancel with a message: :mod:`admin.rules_misfits`); never cancelled by the edit.

The resource's details are in :mod:`admin.rules_resources`, its date overrides and public
holidays in :mod:`admin.rules_dates`, services in :mod:`admin.services`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from babel import Locale
from babel.core import get_global
from babel.dates import get_day_names
from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import (
    ADMINS,
    ANYONE,
    actor_of,
    config,
    page,
    signed_in,
)
from admin.blueprint import admin, render
from admin.words import Words, words_for
from core.businessfile import Problem
from core.errors import NoBusiness, NotFound, SlotwiseError
from core.rules import (
    RuleEdit,
    RuleEditError,
    add_block,
    misfits_of,
    preview_resource,
    remove_block,
    resource_rules,
    rule_sections,
    set_weekly_hours,
)
from core.users import SessionInfo, UserRole

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PREVIEW_DAYS = 7


def check_resource(user: SessionInfo, resource: str) -> None:
    """Staff edit only their own resource's rules."""
    if user.role is UserRole.STAFF and user.resource != resource:
        abort(403, "staff change only their own resource")


def field_labels(words: Words) -> dict[str, str]:
    """The business file's field names in the user's language: an error names the field
    both ways (``Capacity (capacity): ...``), so it can be found in the form and the file."""
    _ = words._
    return {
        "id": _("Id"),
        "name": _("Name"),
        "kind": _("Kind"),
        "capacity": _("Capacity"),
        "email": _("E-mail"),
        "slack_user": _("Slack user"),
        "timezone": _("Time zone"),
        "weekly_hours": _("Weekly hours"),
        "date_overrides": _("Date overrides"),
        "blocks": _("Blocked time"),
        "start": _("From"),
        "end": _("To"),
        "duration_min": _("Duration (minutes)"),
        "rrule": _("Repeats"),
        "reason": _("Reason"),
        "date": _("Date"),
        "country": _("Country"),
        "region": _("Region"),
        "buffer_before_min": _("Buffer before (minutes)"),
        "buffer_after_min": _("Buffer after (minutes)"),
        "slot_step_min": _("Step between starts (minutes)"),
        "min_notice_min": _("Notice (minutes)"),
        "max_advance_days": _("Bookable ahead (days)"),
        "seats": _("Seats per booking"),
        "requires": _("Required resources"),
        "reminders": _("Reminders (minutes before)"),
        "cancel_notice_min": _("Cancel notice (minutes)"),
        "reschedule_notice_min": _("Move notice (minutes)"),
        "max_reschedules": _("Moves allowed"),
        "waitlist": _("Waitlist"),
        "no_shows": _("No-show policy"),
        "active": _("Active"),
        "resources": _("Resources"),
        "services": _("Services"),
    }


def explain(problems: Sequence[Problem], words: Words) -> list[str]:
    """Each problem as ``Label (path): message``, the label in the user's language."""
    labels = field_labels(words)
    found = []
    for problem in problems:
        head = problem.path.split(".")[0].split("[")[0]
        label = labels.get(head)
        if label and problem.path:
            found.append(f"{label} ({problem.path}): {problem.message}")
        elif problem.path:
            found.append(f"{problem.path}: {problem.message}")
        else:
            found.append(problem.message)
    return found


def problems_of(error: Exception) -> list[Problem]:
    """What was wrong, with its field, from the errors an edit raises."""
    if isinstance(error, RuleEditError):
        return list(error.problems)
    if isinstance(error, SlotwiseError):
        return [Problem(error.field or "", error.message)]
    return [Problem("", str(error))]


def as_number(text: str) -> int | str:
    """A whole number typed in a form as an ``int``; anything else as typed, for the
    validator to refuse naming the field (it takes no text where a number goes)."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else text


def day_names(words: Words) -> dict[str, str]:
    """Weekday names in the user's language, from Babel (0 = Monday, as ``DAYS``)."""
    names = get_day_names("wide", locale=words.lang)
    return {day: str(names[i]).capitalize() for i, day in enumerate(DAYS)}


def spans(text: str) -> list[list[str]]:
    """``"09:00-12:00, 13:00-17:00"`` as ``[["09:00", "12:00"], ["13:00", "17:00"]]``; the
    times themselves are checked by the business file's validator."""
    found = []
    for part in text.replace("–", "-").split(","):
        if part.strip():
            start, dash, end = part.partition("-")
            found.append([start.strip(), end.strip()] if dash else [part.strip(), ""])
    return found


def spans_text(hours: Sequence[Sequence[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in hours)


def today(words: Words) -> date:
    return config().clock().astimezone(ZoneInfo(words.home_zone)).date()


@admin.get("/rules")
@page(*ANYONE)
async def rules() -> ResponseReturnValue:
    user = signed_in()
    if user.role is UserRole.STAFF:
        if not user.resource:
            abort(403, "no resource is tied to this user")
        return redirect(url_for("admin.resource_rules_page", resource=user.resource), 303)
    try:
        sections = await rule_sections()
    except NoBusiness:
        return await render("no_business.html")
    return await render("rules_index.html", resources=sections["resources"])


async def resource_page(
    resource: str,
    *,
    status: int = 200,
    edit: RuleEdit | None = None,
    problems: Sequence[Problem] = (),
    typed: Mapping[str, str] | None = None,
    preview: list[tuple[str, list[tuple[str, list[str]]]]] | None = None,
    notice: str = "",
) -> Response:
    """The resource's page: what a save did, what was wrong, or the preview of a form."""
    user = signed_in()
    words = await words_for(user)
    try:
        section = await resource_rules(resource)
    except (NotFound, NoBusiness):
        abort(404, "there is no such resource")
    hours = section.get("weekly_hours", {})
    shown = {day: spans_text(hours.get(day, [])) for day in DAYS}
    overrides = sorted(section.get("date_overrides", {}).items())
    misfits = edit.misfits if edit else await misfits_of(resource, config().clock())
    return await render(
        "rules.html",
        status=status,
        resource=section,
        hours=typed or shown,
        days=day_names(words),
        blocks=list(enumerate(section.get("blocks", []))),
        overrides=[
            (day, words.day(date.fromisoformat(day)), spans_text(h)) for day, h in overrides
        ],
        may_edit_resource=user.role in ADMINS,
        edit=edit,
        misfits=[(m, words.when(m.start)) for m in misfits],
        problems=explain(problems, words),
        preview=preview,
        notice=notice,
        countries=holiday_countries(words),
        home_country=get_global("zone_territories").get(words.home_zone, ""),
    )


def holiday_countries(words: Words) -> list[tuple[str, str]]:
    """The countries the ``holidays`` package knows, named in the user's language."""
    names = Locale.parse(words.lang).territories
    codes = holidays.list_supported_countries(include_aliases=False)
    found = [(code, str(names.get(code, code))) for code in codes]
    return sorted(found, key=lambda pair: pair[1])


@admin.get("/rules/<resource>")
@page(*ANYONE)
async def resource_rules_page(resource: str) -> Response:
    check_resource(signed_in(), resource)
    return await resource_page(resource)


async def save(
    resource: str,
    change: Awaitable[RuleEdit],
    typed: Mapping[str, str] | None = None,
) -> Response:
    """Run the edit; the page again, with the result or the problems (nothing saved)."""
    try:
        edit = await change
    except SlotwiseError as error:
        return await resource_page(resource, status=400, problems=problems_of(error), typed=typed)
    return await resource_page(resource, edit=edit)


@admin.post("/rules/<resource>/hours")
@page(*ANYONE)
async def resource_hours(resource: str) -> Response:
    """Save the week, or (the "preview" button) show the free slots it would give."""
    user = signed_in()
    check_resource(user, resource)
    form = await request.form
    typed = {day: form.get(day, "")[:200] for day in DAYS}
    hours = {day: spans(text) for day, text in typed.items() if text.strip()}
    if form.get("action") == "preview":
        return await _preview(resource, hours, typed)
    return await save(resource, set_weekly_hours(resource, hours, actor=actor_of(user)), typed)


async def _preview(
    resource: str, hours: dict[str, list[list[str]]], typed: dict[str, str]
) -> Response:
    """The coming week's free slots under the typed hours, from the engine; nothing saved."""
    words = await words_for(signed_in())
    try:
        section: dict[str, Any] = dict(await resource_rules(resource))
    except (NotFound, NoBusiness):
        abort(404, "there is no such resource")
    section["weekly_hours"] = hours
    first = today(words)
    last = first + timedelta(days=PREVIEW_DAYS - 1)
    try:
        found = await preview_resource(section, first=first, last=last, now=config().clock())
    except SlotwiseError as error:
        return await resource_page(resource, status=400, problems=problems_of(error), typed=typed)
    names = {s["id"]: s["name"] for s in (await rule_sections())["services"]}
    preview = []
    for service_id, slots in found.items():
        by_day: dict[str, list[str]] = {}
        for slot in slots:
            by_day.setdefault(words.day(slot.start), []).append(words.time(slot.start))
        preview.append((names.get(service_id, service_id), list(by_day.items())))
    return await resource_page(resource, typed=typed, preview=preview)


def _block(form: Mapping[str, str]) -> dict[str, Any]:
    """A one-off block (from, to) or, with a repeat rule, a recurring one (from, minutes)."""
    block: dict[str, Any] = {"start": form.get("start", "")[:32]}
    rrule = form.get("rrule", "").strip()[:300]
    if rrule:
        block["rrule"] = rrule
        block["duration_min"] = as_number(form.get("duration_min", "")[:12])
    elif form.get("duration_min", "").strip():
        block["duration_min"] = as_number(form.get("duration_min", "")[:12])
    else:
        block["end"] = form.get("end", "")[:32]
    reason = form.get("reason", "")[:200].strip()
    if reason:
        block["reason"] = reason
    return block


@admin.post("/rules/<resource>/blocks")
@page(*ANYONE)
async def resource_block(resource: str) -> Response:
    user = signed_in()
    check_resource(user, resource)
    block = _block(await request.form)
    return await save(resource, add_block(resource, block, actor=actor_of(user)))


@admin.post("/rules/<resource>/blocks/remove")
@page(*ANYONE)
async def resource_block_remove(resource: str) -> Response:
    user = signed_in()
    check_resource(user, resource)
    form = await request.form
    try:
        section = await resource_rules(resource)
        block = section.get("blocks", [])[int(form.get("index", ""))]
    except (NotFound, NoBusiness, ValueError, IndexError):
        abort(404, "there is no such block; reload the page")
    return await save(resource, remove_block(resource, block, actor=actor_of(user)))
