"""Managing users (core.users.manage): the last active sysadmin kept from the panel, also
when two sysadmins disable each other at the same moment; the command line may."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import LastSysadmin
from core.users import ChangedBy, change_role, disable_user, enable_user, invite_user, list_users
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW

CLI = ChangedBy("root", "cli")


async def sysadmin(email: str) -> ChangedBy:
    made, _ = await invite_user(email, "sysadmin", None, by=CLI, now=NOW)
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
