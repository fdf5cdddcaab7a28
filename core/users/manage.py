"""Managing the panel's users, from the panel (sysadmins) and from ``slotwise user``: one
set of changes, each written to ``user_history`` in its own transaction.

Every change says who made it (:class:`ChangedBy`: the panel user's e-mail or the
account at the command line, and the channel), and records the user's state before
and after: role, resource, language, whether they are active, enrolled and have
two-factor sign-in. Never a password hash, a TOTP key or a link's token: the log is
read by every admin.

The panel must keep a way in: from it, nobody can disable or demote the last active
sysadmin (:class:`~core.errors.LastSysadmin`). The command line may (whoever runs it
can make another sysadmin at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from tortoise.transactions import in_transaction

from core import models as m
from core.errors import InvalidRequest, LastSysadmin, NotFound, SignInLocked
from core.users import passwords
from core.users.accounts import (
    INVITE_TTL,
    UserInfo,
    _info,
    _second_factor,
    checked_role,
    invite,
    relink,
)
from core.users.lockout import Lockout, locked_until, record_failure
from core.users.sessions import close_other_sessions, close_sessions_of

__all__ = [
    "USER_ACTIONS",
    "ChangedBy",
    "UserAction",
    "change_own_password",
    "change_role",
    "disable_user",
    "enable_user",
    "invite_user",
    "make_new_link",
    "reset_two_factor",
    "user_by_id",
]

UserAction = Literal[
    "user_invited",
    "user_link_made",
    "user_two_factor_reset",
    "user_role_changed",
    "user_disabled",
    "user_enabled",
    "user_password_changed",
]
USER_ACTIONS: tuple[UserAction, ...] = get_args(UserAction)


@dataclass(frozen=True, slots=True)
class ChangedBy:
    """Who changes a user: in the panel, the signed-in user (``user_id`` for the last
    sysadmin guard); at the command line, the account that runs it."""

    name: str
    channel: Literal["admin", "cli"]
    user_id: int | None = None

    @property
    def label(self) -> str:
        """How the audit log names them: ``admin:ada@example.org``, ``cli:root``."""
        return f"{self.channel}:{self.name}"[:250]


def _state(row: m.User) -> dict[str, Any]:
    return {
        "role": str(m.UserRole(row.role).value),
        "resource": row.resource,
        "locale": row.locale,
        "active": row.active,
        "enrolled": row.password_hash is not None,
        "two_factor": row.totp_secret is not None,
    }


async def _record(
    row: m.User,
    action: UserAction,
    by: ChangedBy,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    await m.UserHistory.create(
        at=now,
        actor=by.label,
        channel=by.channel,
        action=action,
        subject=row.email,
        user_id=row.id,
        before=before,
        after=after,
    )


async def _locked(email: str) -> m.User:
    row = await m.User.filter(email=email.strip().lower()).select_for_update().first()
    if row is None:
        raise NotFound(f"there is no user {email.strip()!r}", field="email")
    return row


async def user_by_id(user_id: int) -> UserInfo:
    row = await m.User.get_or_none(id=user_id)
    if row is None:
        raise NotFound("there is no such user", field="user")
    return _info(row)


async def invite_user(
    email: str,
    role: str,
    resource: str | None,
    *,
    by: ChangedBy,
    now: datetime,
    locale: str = "en",
) -> tuple[UserInfo, str]:
    """Make a user who has not signed in yet (see :func:`core.users.invite`), recorded;
    returns them and their one-time link's token."""
    async with in_transaction():
        info, token = await invite(email, role, resource, now=now, locale=locale)
        row = await m.User.get(id=info.id)
        await _record(row, "user_invited", by, now, None, _state(row))
    return info, token


async def _link(
    email: str, action: UserAction, by: ChangedBy, now: datetime
) -> tuple[UserInfo, str]:
    """A new link ends the user's sign-in until they use it: from the panel, never the last
    sysadmin's (a sysadmin resetting their own two-factor, then losing the tab, would lock
    everyone out of the users and settings)."""
    async with in_transaction():
        await _lock_sysadmins(by)
        row = await _locked(email)
        await _keep_a_sysadmin(row, by)
        before = _state(row)
        token = await relink(row, now)
        after = _state(row) | {"link_expires_at": (now + INVITE_TTL).isoformat()}
        await _record(row, action, by, now, before, after)
    return _info(row), token


async def make_new_link(email: str, *, by: ChangedBy, now: datetime) -> tuple[UserInfo, str]:
    """A new one-time link for a user who lost theirs, their password or their phone."""
    return await _link(email, "user_link_made", by, now)


async def reset_two_factor(email: str, *, by: ChangedBy, now: datetime) -> tuple[UserInfo, str]:
    """Two-factor sign-in starts again: a new link where the user sets a password and
    enrols a new key (the old key and recovery codes stop working now)."""
    return await _link(email, "user_two_factor_reset", by, now)


async def _lock_sysadmins(by: ChangedBy) -> None:
    """From the panel, lock the active sysadmins' rows, always in the order of their ids and
    before the user changed: two sysadmins disabling each other at once then wait for one
    another instead of both passing :func:`_keep_a_sysadmin` (or deadlocking)."""
    if by.channel == "admin":
        await (
            m.User.filter(role=m.UserRole.SYSADMIN, active=True).order_by("id").select_for_update()
        )


async def _keep_a_sysadmin(row: m.User, by: ChangedBy) -> None:
    """From the panel, refuse to take away the last active sysadmin who can sign in (their
    rows are locked by :func:`_lock_sysadmins`). One invited but not enrolled yet does not
    count: their link may never arrive (a typo in the address) and lapses in a day."""
    if by.channel != "admin" or not row.active or row.role != m.UserRole.SYSADMIN:
        return
    others = await (
        m.User.filter(role=m.UserRole.SYSADMIN, active=True, password_hash__isnull=False)
        .exclude(id=row.id)
        .values_list("id", flat=True)
    )
    if not others:
        who = "you are" if by.user_id == row.id else f"{row.email} is"
        raise LastSysadmin(
            f"{who} the last active sysadmin: make another user a sysadmin first, "
            "or nobody could manage the users and settings",
            field="role",
        )


async def change_role(
    email: str, role: str, resource: str | None, *, by: ChangedBy, now: datetime
) -> tuple[UserInfo, str | None]:
    """A new role (and a staff member's resource). Someone without two-factor sign-in who
    becomes an admin or sysadmin must enrol it: they get a new link (returned)."""
    kind, resource = await checked_role(role, resource)
    async with in_transaction():
        await _lock_sysadmins(by)
        row = await _locked(email)
        before = _state(row)
        if m.UserRole(row.role) is kind and row.resource == resource:
            return _info(row), None
        if kind is not m.UserRole.SYSADMIN:
            await _keep_a_sysadmin(row, by)
        row.role = kind
        row.resource = resource
        await row.save(update_fields=["role", "resource"])
        token = None
        if kind is not m.UserRole.STAFF and row.totp_secret is None:
            token = await relink(row, now)
        after = _state(row)
        if token is not None:
            after["link_expires_at"] = (now + INVITE_TTL).isoformat()
        await _record(row, "user_role_changed", by, now, before, after)
    return _info(row), token


async def disable_user(email: str, *, by: ChangedBy, now: datetime) -> UserInfo:
    """The user can no longer sign in; their sessions and unused link end now. The row
    stays, for the record and to be enabled again."""
    async with in_transaction():
        await _lock_sysadmins(by)
        row = await _locked(email)
        if not row.active:
            return _info(row)
        await _keep_a_sysadmin(row, by)
        before = _state(row)
        row.active = False
        row.invite_digest = None
        await row.save(update_fields=["active", "invite_digest"])
        await close_sessions_of(row.id, now)
        await _record(row, "user_disabled", by, now, before, _state(row))
    return _info(row)


async def enable_user(email: str, *, by: ChangedBy, now: datetime) -> UserInfo:
    """The user may sign in again with their password and key; one who never followed their
    link (it ended when they were disabled) needs a new link."""
    async with in_transaction():
        row = await _locked(email)
        if row.active:
            return _info(row)
        before = _state(row)
        row.active = True
        await row.save(update_fields=["active"])
        await _record(row, "user_enabled", by, now, before, _state(row))
    return _info(row)


async def change_own_password(
    user_id: int,
    current: str,
    new: str,
    new_again: str,
    code: str,
    *,
    session: str,
    address: str,
    now: datetime,
    lockout: Lockout,
) -> UserInfo:
    """A signed-in user sets a new password: the current one and (with two-factor sign-in) a
    fresh code first, checked as at sign-in, so a stolen session cannot take the account and
    cannot guess the password faster than the sign-in form would (a wrong one counts for
    the lockout). Every other session ends; the one of ``session`` stays.
    :class:`InvalidRequest` names the field that is wrong (``current_password``, ``code``,
    ``password``); :class:`SignInLocked` while the address or account is locked."""
    row = await m.User.get_or_none(id=user_id, active=True)
    if row is None or row.password_hash is None:
        raise NotFound("there is no such user", field="user")
    account = row.email[:254]
    until = await locked_until(address, account, now)
    if until is not None:
        raise SignInLocked(until)
    # The new password's rules first: they reveal nothing about the current one.
    if new != new_again:
        raise InvalidRequest("the two new passwords differ", field="password_again")
    passwords.check_password(new, row.email)
    ok, _rehashed = await passwords.verify(row.password_hash, current)
    field = "current_password" if not ok else None
    if ok and not await _second_factor(row, code, now):
        field = "code"
    if field is not None:
        until = await record_failure(address, account, now, lockout)
        if until is not None:
            raise SignInLocked(until)
        raise InvalidRequest(f"the {field.replace('_', ' ')} is wrong", field=field)
    hashed = await passwords.hash_password(new)
    async with in_transaction():
        row = await m.User.filter(id=user_id).select_for_update().get()
        before = _state(row)
        row.password_hash = hashed
        await row.save(update_fields=["password_hash"])
        ended = await close_other_sessions(row.id, session, now)
        by = ChangedBy(row.email, "admin", row.id)
        await _record(
            row, "user_password_changed", by, now, before, _state(row) | {"sessions_ended": ended}
        )
    return _info(row)
