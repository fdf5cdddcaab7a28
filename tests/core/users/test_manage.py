"""Managing users (core.users.manage): the last active sysadmin who can sign in kept from the
panel, also when two sysadmins disable each other at the same moment, or one resets their
own sign-in; an invited sysadmin who has not enrolled does not count; the command line may."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pyotp
import pytest

from core import models as m
from core.errors import InvalidRequest, LastSysadmin
from core.sealed import unseal
from core.users import (
    ChangedBy,
    Lockout,
    SessionPolicy,
    change_own_password,
    change_role,
    disable_user,
    enable_user,
    enrol,
    enrolment,
    invite_user,
    list_users,
    make_new_link,
    open_session,
    reset_two_factor,
    session_of,
    sign_in,
)
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW

PASSWORD = "a long and lovely password"

CLI = ChangedBy("root", "cli")


async def sysadmin(email: str) -> ChangedBy:
    """A sysadmin who has enrolled (set a password and two-factor sign-in)."""
    made, token = await invite_user(email, "sysadmin", None, by=CLI, now=NOW)
    shown = await enrolment(token, now=NOW)
    await enrol(token, PASSWORD, pyotp.TOTP(shown.secret).at(NOW), now=NOW)
    return ChangedBy(made.email, "admin", made.id)


async def test_two_sysadmins_disabling_each_other_at_once_leave_one(db: TestDatabase) -> None:
    ada, bob = await sysadmin("ada@example.org"), await sysadmin("bob@example.org")

    async def disable(by: ChangedBy, email: str) -> bool:
        try:
            await disable_user(email, by=by, now=NOW)
        except LastSysadmin:
            return False
        return True

    for _ in range(3):
        done = await asyncio.gather(disable(ada, bob.name), disable(bob, ada.name))
        assert sorted(done) == [False, True]
        assert [u.email for u in await list_users() if u.active] in (
            [ada.name],
            [bob.name],
        )
        for email in (ada.name, bob.name):
            await enable_user(email, by=CLI, now=NOW)


async def test_the_panel_keeps_the_last_sysadmin_and_the_command_line_may(
    db: TestDatabase,
) -> None:
    ada = await sysadmin("ada@example.org")
    with pytest.raises(LastSysadmin, match="you are the last active sysadmin"):
        await disable_user(ada.name, by=ada, now=NOW)
    with pytest.raises(LastSysadmin, match="you are the last active sysadmin"):
        await change_role(ada.name, "admin", None, by=ada, now=NOW)
    assert (await disable_user(ada.name, by=CLI, now=NOW)).active is False


async def test_an_invited_sysadmin_who_never_enrolled_does_not_count(db: TestDatabase) -> None:
    ada = await sysadmin("ada@example.org")
    await invite_user("bob@exampel.org", "sysadmin", None, by=ada, now=NOW)  # a typo
    with pytest.raises(LastSysadmin, match="you are the last active sysadmin"):
        await change_role(ada.name, "admin", None, by=ada, now=NOW)
    with pytest.raises(LastSysadmin):
        await disable_user(ada.name, by=ada, now=NOW)


async def test_the_last_sysadmin_cannot_end_their_own_sign_in_from_the_panel(
    db: TestDatabase,
) -> None:
    ada = await sysadmin("ada@example.org")
    for reset in (make_new_link, reset_two_factor):
        with pytest.raises(LastSysadmin, match="you are the last active sysadmin"):
            await reset(ada.name, by=ada, now=NOW)
    bob = await sysadmin("bob@example.org")
    await reset_two_factor(ada.name, by=ada, now=NOW)  # Bob can still sign in
    with pytest.raises(LastSysadmin, match=r"bob@example\.org is the last active sysadmin"):
        await make_new_link(bob.name, by=ada, now=NOW)
    _, token = await make_new_link(ada.name, by=CLI, now=NOW)  # the command line may
    assert token


async def test_changing_ones_own_password_keeps_only_this_session(db: TestDatabase) -> None:
    ada = await sysadmin("ada@example.org")
    assert ada.user_id is not None
    policy = SessionPolicy()
    here = await open_session(ada.user_id, address="a", now=NOW, policy=policy, replaces=None)
    there = await open_session(ada.user_id, address="a", now=NOW, policy=policy, replaces=None)
    row = await m.User.get(id=ada.user_id)
    secret = row.totp_secret
    assert secret is not None
    later = NOW + timedelta(minutes=1)
    code = pyotp.TOTP(unseal(secret)).at(later)
    new = "another long password"

    async def change(current: str) -> None:
        await change_own_password(
            ada.user_id, current, new, new, code,
            session=here, address="a", now=later, lockout=Lockout(),
        )  # fmt: skip

    with pytest.raises(InvalidRequest) as refused:
        await change("wrong password!")
    assert refused.value.field == "current_password"
    await change(PASSWORD)
    assert await session_of(here, now=later, policy=policy) is not None
    assert await session_of(there, now=later, policy=policy) is None
    changed = await m.User.get(id=ada.user_id)
    assert changed.password_hash is not None
    assert changed.password_hash != row.password_hash
    assert new not in changed.password_hash
    later += timedelta(minutes=1)
    code = pyotp.TOTP(unseal(secret)).at(later)
    signed = await sign_in(ada.name, new, code, address="b", now=later, lockout=Lockout())
    assert signed.id == ada.user_id
