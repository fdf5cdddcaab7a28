"""Staff members' own calendars (CalDAV) from the panel, and their feed addresses.

Admins see every staff member's connection (how it fares: last sync, and why it was
refused or fails), connect one (address, user name, app password: kept encrypted),
sync it now or disconnect it; staff see and manage only their own. Every action is
in the audit log (``calendar.connect``, ``calendar.sync``, ``calendar.disconnect``),
never with the password. The work is :class:`core.calendars.Calendars`'s.
"""

from __future__ import annotations

from quart import Response, abort, request
from quart.typing import ResponseReturnValue

from admin.access import ANYONE, actor_of, config, page, signed_in
from admin.blueprint import admin, render
from admin.words import Words, words_for
from core.calendars import PRIVATE_FIX, Calendars, staff_calendars
from core.errors import InvalidRequest, NoBusiness, NotFound
from core.users import SessionInfo, UserRole


def _check_resource(user: SessionInfo, resource: str) -> None:
    """Staff manage only their own calendar."""
    if user.role is UserRole.STAFF and user.resource != resource:
        abort(403, "staff manage only their own calendar")


def _calendars(words: Words) -> Calendars:
    made = config().calendars
    if made is None:
        abort(404, words._("Calendar connections are not set up on this server."))
    return made()


def _states(words: Words) -> dict[str, str]:
    return {
        "new": words._("not read yet"),
        "ok": words._("working"),
        "failing": words._("not answering: tried again at the next round"),
        "refused": words._("refused: connect it again with the right address and password"),
    }


def _field_error(words: Words, error: InvalidRequest) -> str:
    """The problem in the user's language, naming the field to fix."""
    if error.field == "url" and PRIVATE_FIX in error.message:
        return words._(
            "Calendar address: it is private or on this machine, so Slotwise does not "
            "connect to it; a calendar on your own network needs "
            "SLOTWISE_CALENDARS_ALLOW_PRIVATE=true (ask whoever runs this server)."
        )
    fixes = {
        "url": words._(
            "Calendar address: write the http(s) address of the calendar itself, for "
            "example https://caldav.example.com/calendars/ana/work/"
        ),
        "username": words._("User name: write the user name of the calendar account."),
        "password": words._(
            "App password: write the app password made for Slotwise at the calendar provider."
        ),
    }
    return fixes.get(error.field or "", error.message)


async def _page(
    *, status: int = 200, problem: str = "", done: str = "", typed: dict[str, str] | None = None
) -> Response:
    user = signed_in()
    words = await words_for(user)
    if user.role is UserRole.STAFF and not user.resource:
        abort(403, "no resource is tied to this user")
    try:
        staff = await staff_calendars(user.resource if user.role is UserRole.STAFF else None)
    except NoBusiness:
        return await render("no_business.html")
    made = config().feeds
    links: dict[str, str] = {}
    if made is not None:
        feeds = made()
        for member in staff:
            links[member.resource] = await feeds.resource_link(member.resource)
    return await render(
        "calendars.html",
        status=status,
        staff=staff,
        links=links,
        states=_states(words),
        synced={
            m.resource: words.when(m.connection.synced_at)
            for m in staff
            if m.connection is not None and m.connection.synced_at is not None
        },
        problem=problem,
        done=done,
        typed=typed or {},
        configured=config().calendars is not None,
    )


@admin.get("/calendars")
@page(*ANYONE)
async def calendars() -> ResponseReturnValue:
    return await _page()


@admin.post("/calendars/<resource>/connect")
@page(*ANYONE)
async def calendar_connect(resource: str) -> Response:
    user = signed_in()
    _check_resource(user, resource)
    words = await words_for(user)
    form = await request.form
    url = form.get("url", "")[:500]
    username = form.get("username", "")[:200]
    typed = {"resource": resource, "url": url, "username": username}
    try:
        shown = await _calendars(words).connect(
            resource, url, username, form.get("password", "")[:500], actor=actor_of(user)
        )
    except InvalidRequest as error:
        return await _page(status=400, problem=_field_error(words, error), typed=typed)
    except NotFound:
        abort(404, "there is no such resource")
    if shown.state != "ok":
        problem = words._("Connected, but the calendar could not be read: {error}").format(
            error=shown.last_error
        )
        return await _page(status=400, problem=problem)
    return await _page(done=words._("Connected; its busy time counts from now on."))


@admin.post("/calendars/<resource>/sync")
@page(*ANYONE)
async def calendar_sync(resource: str) -> Response:
    user = signed_in()
    _check_resource(user, resource)
    words = await words_for(user)
    try:
        shown = await _calendars(words).sync(resource, actor=actor_of(user))
    except NotFound:
        return await _page(status=404, problem=words._("There is no calendar connected."))
    if shown.state != "ok":
        problem = words._("The calendar could not be read: {error}").format(error=shown.last_error)
        return await _page(status=400, problem=problem)
    return await _page(done=words._("Synced."))


@admin.post("/calendars/<resource>/disconnect")
@page(*ANYONE)
async def calendar_disconnect(resource: str) -> Response:
    user = signed_in()
    _check_resource(user, resource)
    words = await words_for(user)
    try:
        await _calendars(words).disconnect(resource, actor=actor_of(user))
    except NotFound:
        return await _page(status=404, problem=words._("There is no calendar connected."))
    return await _page(
        done=words._(
            "Disconnected: the events written there stay there; its busy time no longer counts."
        )
    )
