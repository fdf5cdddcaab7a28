"""TOTP keys are kept sealed at rest; keys from before sealing still work and get sealed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import models as m
from core.sealed import SealError, is_sealed, seal, unseal, use_secret
from core.users import Lockout, enrol, enrolment, invite, reseal_totp_keys, sign_in
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW
from tests.core.users.test_accounts import PASSWORD, code


async def enrolled(email: str = "ada@example.org") -> str:
    _, token = await invite(email, "admin", None, now=NOW)
    shown = await enrolment(token, now=NOW)
    await enrol(token, PASSWORD, code(shown.secret), now=NOW)
    return shown.secret


async def test_the_key_is_never_in_the_database_in_the_clear(db: TestDatabase) -> None:
    _, token = await invite("ada@example.org", "admin", None, now=NOW)
    row = await m.User.get(email="ada@example.org")
    assert row.totp_pending is not None
    assert is_sealed(row.totp_pending)
    shown = await enrolment(token, now=NOW)
    assert shown.secret not in (await m.User.get(id=row.id)).totp_pending  # type: ignore[operator]
    await enrol(token, PASSWORD, code(shown.secret), now=NOW)
    row = await m.User.get(id=row.id)
    assert row.totp_secret is not None
    assert is_sealed(row.totp_secret)
    assert shown.secret not in row.totp_secret
    assert unseal(row.totp_secret) == shown.secret
    later = NOW + timedelta(minutes=1)
    user = await sign_in(
        "ada@example.org",
        PASSWORD,
        code(shown.secret, later),
        address="192.0.2.1",
        now=later,
        lockout=Lockout(),
    )
    assert user.two_factor


async def test_a_key_from_before_sealing_works_and_is_sealed_on_use(db: TestDatabase) -> None:
    secret = await enrolled()
    await m.User.filter(email="ada@example.org").update(totp_secret=secret)  # an old row
    later = NOW + timedelta(minutes=1)
    await sign_in(
        "ada@example.org",
        PASSWORD,
        code(secret, later),
        address="192.0.2.1",
        now=later,
        lockout=Lockout(),
    )
    row = await m.User.get(email="ada@example.org")
    assert row.totp_secret is not None
    assert is_sealed(row.totp_secret)
    assert unseal(row.totp_secret) == secret


async def test_old_keys_are_sealed_at_start(db: TestDatabase) -> None:
    secret = await enrolled()
    await m.User.filter(email="ada@example.org").update(totp_secret=secret, totp_pending="ABC")
    assert await reseal_totp_keys() == 1
    row = await m.User.get(email="ada@example.org")
    assert unseal(row.totp_secret or "") == secret
    assert unseal(row.totp_pending or "") == "ABC"
    assert is_sealed(row.totp_secret or "")
    assert is_sealed(row.totp_pending or "")
    assert await reseal_totp_keys() == 0


def test_another_server_secret_cannot_open_a_sealed_key() -> None:
    sealed = seal("JBSWY3DPEHPK3PXP")
    use_secret(b"another server secret, not the one")
    with pytest.raises(SealError):
        unseal(sealed)
