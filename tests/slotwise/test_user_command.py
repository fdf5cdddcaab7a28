"""``slotwise user``: a user is made with a one-time link, listed, given a new link, disabled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner, Result

from core.audit import AuditEntry, AuditFilter, audit_page
from core.businessfile import load_business_file
from core.db import database
from core.errors import NotFound
from core.store import replace_business
from core.users import enrolment
from slotwise.cli import DEMO_FILE, main


def slotwise(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def link_works(url: str, link: str) -> bool:
    async def check() -> bool:
        async with database(url):
            try:
                await enrolment(link.rsplit("/", 1)[1], now=datetime.now(UTC))
            except NotFound:
                return False
            return True

    return asyncio.run(check())


def test_a_user_gets_a_link_a_new_link_and_is_disabled(empty_db_url: str) -> None:
    made = slotwise("user", "create", "Ada@Example.org", "--role", "sysadmin", "--db", empty_db_url)
    assert made.exit_code == 0, made.output
    link = made.stdout.strip()
    assert link.startswith("http://127.0.0.1:8000/admin/enrol/")
    assert "works once, for 24 hours" in made.stderr
    assert link_works(empty_db_url, link)

    listed = slotwise("user", "list", "--db", empty_db_url).output
    assert "ada@example.org\tsysadmin\tlink not used\tpassword only" in listed
    assert link.rsplit("/", 1)[1] not in listed

    again = slotwise("user", "create", "ada@example.org", "--role", "admin", "--db", empty_db_url)
    assert again.exit_code == 1
    assert "already a user ada@example.org" in again.output

    renewed = slotwise("user", "link", "ada@example.org", "--db", empty_db_url)
    assert renewed.exit_code == 0
    assert not link_works(empty_db_url, link)
    assert link_works(empty_db_url, renewed.stdout.strip())

    assert slotwise("user", "disable", "ada@example.org", "--db", empty_db_url).exit_code == 0
    assert not link_works(empty_db_url, renewed.stdout.strip())
    assert "disabled" in slotwise("user", "list", "--db", empty_db_url).output
    missing = slotwise("user", "disable", "nobody@example.org", "--db", empty_db_url)
    assert missing.exit_code == 1
    assert "there is no user 'nobody@example.org'" in missing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "staff"), "a staff member needs their resource: --resource ID"),
        (("--role", "staff", "--resource", "nobody"), "there is no active resource 'nobody'"),
        (("--role", "admin", "--resource", "ana"), "only staff are tied to a resource"),
    ],
)
def test_staff_need_their_resource(empty_db_url: str, args: tuple[str, ...], message: str) -> None:
    async def load() -> None:
        async with database(empty_db_url):
            await replace_business(load_business_file(DEMO_FILE))

    asyncio.run(load())
    refused = slotwise("user", "create", "ana@example.org", *args, "--db", empty_db_url)
    assert refused.exit_code == 1
    assert message in refused.output
    made = slotwise(
        "user", "create", "ana@example.org", "--role", "staff", "--resource", "ana",
        "--db", empty_db_url,
    )  # fmt: skip
    assert made.exit_code == 0, made.output


def test_every_user_command_is_in_the_audit_log_as_the_command_line(empty_db_url: str) -> None:
    made = slotwise("user", "create", "ada@example.org", "--role", "admin", "--db", empty_db_url)
    token = made.stdout.strip().rsplit("/", 1)[1]
    assert slotwise("user", "link", "ada@example.org", "--db", empty_db_url).exit_code == 0
    assert slotwise("user", "disable", "ada@example.org", "--db", empty_db_url).exit_code == 0
    again = slotwise("user", "disable", "ada@example.org", "--db", empty_db_url)
    assert again.exit_code == 0  # already disabled: nothing changes, nothing is recorded
    enabled = slotwise("user", "enable", "ada@example.org", "--db", empty_db_url)
    assert enabled.exit_code == 0
    assert "ada@example.org may sign in again." in enabled.output
    missing = slotwise("user", "enable", "nobody@example.org", "--db", empty_db_url)
    assert missing.exit_code == 1
    assert "there is no user 'nobody@example.org'" in missing.output

    async def logged() -> list[AuditEntry]:
        async with database(empty_db_url):
            return (await audit_page(AuditFilter(kind="user", channel="cli"))).entries

    entries = asyncio.run(logged())
    assert [e.action for e in entries] == [
        "user_enabled",
        "user_disabled",
        "user_link_made",
        "user_invited",
    ]
    assert {e.subject for e in entries} == {"ada@example.org"}
    assert all(e.actor.startswith("cli:") and len(e.actor) > 4 for e in entries)
    assert entries[0].data == {
        "before": entries[1].data["after"],
        "after": entries[1].data["after"] | {"active": True},
    }
    assert token not in str([e.data for e in entries])
