"""``slotwise apikey``: keys are shown once, kept as hashes, listed and revoked by name."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner, Result

from core.apikeys import authenticate
from core.db import database
from slotwise.cli import main


def slotwise(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def verifies(url: str, key: str) -> bool:
    async def check() -> bool:
        async with database(url):
            return await authenticate(key) is not None

    return asyncio.run(check())


def test_a_key_is_made_listed_and_revoked(empty_db_url: str) -> None:
    made = slotwise("apikey", "create", "Partner shop", "--db", empty_db_url)
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith("sw_")
    assert verifies(empty_db_url, key)
    assert not verifies(empty_db_url, key[:-1] + ("A" if key[-1] != "A" else "B"))

    listed = slotwise("apikey", "list", "--db", empty_db_url)
    assert "Partner shop" in listed.output
    assert "live" in listed.output
    assert key not in listed.output  # only the hash is kept

    again = slotwise("apikey", "create", "Partner shop", "--db", empty_db_url)
    assert again.exit_code == 1
    assert "already a key named 'Partner shop'" in again.output

    revoked = slotwise("apikey", "revoke", "Partner shop", "--db", empty_db_url)
    assert revoked.exit_code == 0
    assert not verifies(empty_db_url, key)
    assert "revoked" in slotwise("apikey", "list", "--db", empty_db_url).output
    missing = slotwise("apikey", "revoke", "Nobody", "--db", empty_db_url)
    assert missing.exit_code == 1
    assert "no key named 'Nobody'" in missing.output


def test_a_staff_key_is_made_with_its_role(empty_db_url: str) -> None:
    made = slotwise("apikey", "create", "Front desk", "--role", "staff", "--db", empty_db_url)
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()

    async def role() -> str | None:
        async with database(empty_db_url):
            found = await authenticate(key)
            return None if found is None else found.role

    assert asyncio.run(role()) == "staff"
    assert "Front desk\tstaff\t" in slotwise("apikey", "list", "--db", empty_db_url).output
    wrong = CliRunner().invoke(main, ["apikey", "create", "X", "--role", "boss"])
    assert wrong.exit_code == 2
    assert "boss" in wrong.output
