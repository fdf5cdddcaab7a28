"""The users of the panel (sysadmins only): invite one, make a new link for one who lost
theirs, change a role or a staff member's resource, disable and enable, reset two-factor
sign-in.

Every change goes through :mod:`core.users.manage`, the same door as ``slotwise user``,
which writes it to the audit log with who made it from the panel. A one-time link is
shown once, on the page that made it; the panel keeps only its hash. From the panel
nobody can disable or demote the last active sysadmin.
"""

from __future__ import annotations

from typing import Any

from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import config, page, signed_in
from admin.actions import action_words
from admin.blueprint import admin, render
from admin.customers import number_of
from admin.words import Words, words_for
from core import directory
from core.audit import AuditFilter, audit_page
from core.errors import InvalidRequest, LastSysadmin, NoBusiness, NotFound
from core.text.i18n import LANGUAGES, language_name
from core.users import (
    ChangedBy,
    SessionInfo,
    UserInfo,
    UserRole,
    change_role,
    disable_user,
    enable_user,
    invite_user,
    list_users,
    make_new_link,
    reset_two_factor,
    user_by_id,
)

SYSADMIN = UserRole.SYSADMIN
HISTORY = 20
"""How many of a user's last changes their page shows (the audit log has them all)."""


def _by(user: SessionInfo) -> ChangedBy:
    return ChangedBy(user.email, "admin", user.user_id)


def _link(token: str) -> str:
    return url_for("admin.enrol_page", token=token, _external=True)


async def _resources() -> list[tuple[str, str]]:
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return []
    return [(r.id, r.name) for r in offered.resources]


def _roles(words: Words) -> dict[str, str]:
    """Each role and what it may do: the select offers the names (the words of ``slotwise
    user`` too), the list beside it says what each gives, which is too long for an option."""
    return {
        "sysadmin": words._("users and settings, and everything an admin does"),
        "admin": words._("rules, services, bookings, reports, the audit log"),
        "staff": words._("their own resource's calendar and bookings"),
    }


async def _problem(words: Words, error: InvalidRequest, role: str, resource: str) -> str:
    """The error in the user's words, naming the field and the fix."""
    if error.field == "email":
        return words._("E-mail: write an e-mail address, for example ana@example.org.")
    if error.field == "role":
        return words._("Role: choose sysadmin, admin or staff.")
    if error.field == "resource":
        if role != "staff":
            return words._("Resource: only staff are tied to a resource; leave it empty.")
        if not resource:
            return words._("Resource: a staff member needs their resource; choose it.")
        return words._("Resource: choose an active resource from the list.")
    if error.field == "locale":
        return words._("Language: choose one from the list.")
    return error.message


async def _list_page(*, status: int = 200, **shown: Any) -> Response:
    user = signed_in()
    words = await words_for(user)
    return await render(
        "users.html",
        status=status,
        users=await list_users(),
        roles=_roles(words),
        resources=await _resources(),
        languages=[(code, language_name(code)) for code in LANGUAGES],
        typed=shown.pop("typed", {}),
        **shown,
    )


@admin.get("/users")
@page(SYSADMIN)
async def users() -> Response:
    return await _list_page()


@admin.post("/users")
@page(SYSADMIN)
async def user_invite() -> Response:
    user = signed_in()
    words = await words_for(user)
    form = await request.form
    typed = {
        "email": form.get("email", "")[:254].strip(),
        "role": form.get("role", "")[:16],
        "resource": form.get("resource", "")[:64],
        "locale": form.get("locale", "en")[:16],
    }
    try:
        made, token = await invite_user(
            typed["email"],
            typed["role"],
            typed["resource"] or None,
            by=_by(user),
            now=config().clock(),
            locale=typed["locale"],
        )
    except InvalidRequest as error:
        problem = await _problem(words, error, typed["role"], typed["resource"])
        if error.field == "email" and any(
            u.email == typed["email"].lower() for u in await list_users()
        ):
            problem = words._(
                "E-mail: there is already a user with this address; open them to make a new link."
            )
        return await _list_page(status=400, problem=problem, typed=typed)
    return await _list_page(new_link=_link(token), new_user=made)


async def _target(user_id: str) -> UserInfo:
    try:
        return await user_by_id(number_of(user_id))
    except NotFound:
        abort(404, "there is no such user")


async def _user_page(
    target: UserInfo, *, status: int = 200, typed: dict[str, str] | None = None, **shown: Any
) -> Response:
    user = signed_in()
    words = await words_for(user)
    history = await audit_page(AuditFilter(kind="user", subject=target.email), limit=HISTORY)
    done = {
        "role": words._("The role is changed; it applies now."),
        "same": words._("Nothing changed."),
        "disabled": words._("{email} can no longer sign in; their sessions have ended.").format(
            email=target.email
        ),
        "enabled": words._("{email} may sign in again.").format(email=target.email),
    }.get(request.args.get("done", ""))
    return await render(
        "user.html",
        status=status,
        target=target,
        me=target.id == user.user_id,
        roles=_roles(words),
        resources=await _resources(),
        typed=typed or {"role": target.role.value, "resource": target.resource or ""},
        history=history.entries,
        when=words.when,
        action_label=action_words(words).label,
        done=done,
        **shown,
    )


@admin.get("/users/<user_id>")
@page(SYSADMIN)
async def user_detail(user_id: str) -> Response:
    return await _user_page(await _target(user_id))


@admin.post("/users/<user_id>/role")
@page(SYSADMIN)
async def user_role(user_id: str) -> ResponseReturnValue:
    user = signed_in()
    words = await words_for(user)
    target = await _target(user_id)
    form = await request.form
    typed = {"role": form.get("role", "")[:16], "resource": form.get("resource", "")[:64]}
    try:
        changed, token = await change_role(
            target.email,
            typed["role"],
            typed["resource"] or None,
            by=_by(user),
            now=config().clock(),
        )
    except LastSysadmin:
        return await _sysadmin_kept(target, typed)
    except InvalidRequest as error:
        problem = await _problem(words, error, typed["role"], typed["resource"])
        return await _user_page(target, status=400, typed=typed, problem=problem)
    if token is not None:
        return await _user_page(changed, new_link=_link(token), promoted=True)
    same = (changed.role, changed.resource) == (target.role, target.resource)
    done = "same" if same else "role"
    return redirect(url_for("admin.user_detail", user_id=target.id, done=done), 303)


async def _sysadmin_kept(target: UserInfo, typed: dict[str, str] | None = None) -> Response:
    """The user's page saying the change was refused: it would leave no sysadmin who can
    sign in. From the panel that can only be the signed-in sysadmin themselves (they can
    sign in, so they count whenever the change is about someone else)."""
    words = await words_for(signed_in())
    problem = words._(
        "You are the last active sysadmin: make another user a sysadmin first, "
        "or nobody could manage the users and settings any more."
    )
    return await _user_page(target, status=409, typed=typed, problem=problem)


@admin.post("/users/<user_id>/link")
@page(SYSADMIN)
async def user_link(user_id: str) -> Response:
    target = await _target(user_id)
    try:
        changed, token = await make_new_link(
            target.email, by=_by(signed_in()), now=config().clock()
        )
    except LastSysadmin:
        return await _sysadmin_kept(target)
    return await _user_page(changed, new_link=_link(token))


@admin.post("/users/<user_id>/two-factor")
@page(SYSADMIN)
async def user_two_factor(user_id: str) -> Response:
    target = await _target(user_id)
    try:
        changed, token = await reset_two_factor(
            target.email, by=_by(signed_in()), now=config().clock()
        )
    except LastSysadmin:
        return await _sysadmin_kept(target)
    return await _user_page(changed, new_link=_link(token), reset=True)


@admin.post("/users/<user_id>/disable")
@page(SYSADMIN)
async def user_disable(user_id: str) -> ResponseReturnValue:
    target = await _target(user_id)
    try:
        await disable_user(target.email, by=_by(signed_in()), now=config().clock())
    except LastSysadmin:
        return await _sysadmin_kept(target)
    return redirect(url_for("admin.user_detail", user_id=target.id, done="disabled"), 303)


@admin.post("/users/<user_id>/enable")
@page(SYSADMIN)
async def user_enable(user_id: str) -> ResponseReturnValue:
    target = await _target(user_id)
    await enable_user(target.email, by=_by(signed_in()), now=config().clock())
    return redirect(url_for("admin.user_detail", user_id=target.id, done="enabled"), 303)
