"""Rule edits from the panel: a resource's weekly hours (admins) and its one-off blocks
(admins, and staff on their own resource). Every save goes through :mod:`core.rules`,
so it is checked by the business file's validator, applies at once, lands in the rule
history with the user as actor, and lists the upcoming bookings that no longer fit
(kept, for a person to decide on; never cancelled by the edit)."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ADMINS, ANYONE, current_user, page
from admin.blueprint import admin, render
from admin.words import Words, words_for
from core import directory
from core.bookings import Actor
from core.errors import NoBusiness, NotFound
from core.rules import (
    RuleEdit,
    RuleEditError,
    add_block,
    remove_block,
    resource_rules,
    set_weekly_hours,
)
from core.users import SessionInfo, UserRole

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _user() -> SessionInfo:
    user = current_user()
    assert user is not None  # the guard saw to it
    return user


def _check_resource(user: SessionInfo, resource: str) -> None:
    """Staff edit only their own resource's rules."""
    if user.role is UserRole.STAFF and user.resource != resource:
        abort(403, "staff change only their own resource")


def _actor(user: SessionInfo) -> Actor:
    return Actor("staff" if user.role is UserRole.STAFF else "admin", user.email, "admin")


def _day_names(words: Words) -> dict[str, str]:
    """Weekday names in the user's language, from Babel (0 = Monday, as ``DAYS``)."""
    names = get_day_names("wide", locale=words.lang)
    return {day: str(names[i]).capitalize() for i, day in enumerate(DAYS)}


@admin.get("/rules")
@page(*ANYONE)
async def rules() -> ResponseReturnValue:
    user = _user()
    if user.role is UserRole.STAFF:
        if not user.resource:
            abort(403, "no resource is tied to this user")
        return redirect(url_for("admin.resource_rules_page", resource=user.resource), 303)
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return await render("no_business.html")
    return await render("rules_index.html", resources=offered.resources)


async def _page(
    resource: str,
    *,
    status: int = 200,
    edit: RuleEdit | None = None,
    problems: list[str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    user = _user()
    words = await words_for(user)
    try:
        section = await resource_rules(resource)
    except (NotFound, NoBusiness):
        abort(404, "there is no such resource")
    hours = section.get("weekly_hours", {})
    shown = {day: ", ".join(f"{a}-{b}" for a, b in hours.get(day, [])) for day in DAYS}
    return await render(
        "rules.html",
        status=status,
        resource=section,
        hours=typed or shown,
        days=_day_names(words),
        blocks=list(enumerate(section.get("blocks", []))),
        may_edit_hours=user.role in ADMINS,
        edit=edit,
        misfits=[(m, words.when(m.start)) for m in (edit.misfits if edit else ())],
        problems=problems or [],
    )


@admin.get("/rules/<resource>")
@page(*ANYONE)
async def resource_rules_page(resource: str) -> Response:
    _check_resource(_user(), resource)
    return await _page(resource)


def _spans(text: str) -> list[list[str]]:
    """``"09:00-12:00, 13:00-17:00"`` as ``[["09:00", "12:00"], ["13:00", "17:00"]]``; the
    times themselves are checked by the business file's validator."""
    spans = []
    for part in text.replace("–", "-").split(","):
        if part.strip():
            start, dash, end = part.partition("-")
            spans.append([start.strip(), end.strip()] if dash else [part.strip(), ""])
    return spans


async def _save(resource: str, change: Any, typed: dict[str, str] | None = None) -> Response:
    try:
        edit = await change
    except RuleEditError as error:
        return await _page(
            resource, status=400, problems=[str(p) for p in error.problems], typed=typed
        )
    except NotFound as error:
        return await _page(resource, status=400, problems=[error.message], typed=typed)
    return await _page(resource, edit=edit)


@admin.post("/rules/<resource>/hours")
@page(*ADMINS)
async def resource_hours(resource: str) -> Response:
    form = await request.form
    typed = {day: form.get(day, "")[:200] for day in DAYS}
    hours = {day: _spans(text) for day, text in typed.items() if text.strip()}
    edit = set_weekly_hours(resource, hours, actor=_actor(_user()))
    return await _save(resource, edit, typed)


@admin.post("/rules/<resource>/blocks")
@page(*ANYONE)
async def resource_block(resource: str) -> Response:
    user = _user()
    _check_resource(user, resource)
    form = await request.form
    block = {
        "start": form.get("start", "")[:32],
        "end": form.get("end", "")[:32],
        "reason": form.get("reason", "")[:200].strip(),
    }
    return await _save(resource, add_block(resource, block, actor=_actor(user)))


@admin.post("/rules/<resource>/blocks/remove")
@page(*ANYONE)
async def resource_block_remove(resource: str) -> Response:
    user = _user()
    _check_resource(user, resource)
    form = await request.form
    try:
        section = await resource_rules(resource)
        block = section.get("blocks", [])[int(form.get("index", ""))]
    except (NotFound, NoBusiness, ValueError, IndexError):
        abort(404, "there is no such block; reload the page")
    return await _save(resource, remove_block(resource, block, actor=_actor(user)))
