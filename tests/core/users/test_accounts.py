"""Users of the admin panel: links, enrolment with two-factor codes, sign-in and lockout."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pyotp
import pytest

from core import models as m
from core.errors import InvalidRequest, NotFound, SignInFailed, SignInLocked
from core.users import (
    ChangedBy,
    Lockout,
    SessionPolicy,
    close_session,
    enrol,
    enrolment,
    invite,
    make_new_link,
    open_session,
    recovery_codes_left,
    session_of,
    sign_in,
)
from core.users.passwords import check_password
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW, load_clinic

PASSWORD = "correct horse battery"
LOCKOUT = Lockout()


def code(secret: str, moment=NOW) -> str:  # type: ignore[no-untyped-def]
    return str(pyotp.TOTP(secret).at(moment))


async def admin(email: str = "ada@example.org") -> tuple[str, list[str]]:
    """An enrolled admin: their TOTP secret and recovery codes."""
    _, token = await invite(email, "admin", None, now=NOW)
    shown = await enrolment(token, now=NOW)
    codes = await enrol(token, PASSWORD, code(shown.secret), now=NOW)
    return shown.secret, codes


async def test_a_link_enrols_once_with_a_code_and_gives_recovery_codes(db: TestDatabase) -> None:
    user, token = await invite("Ada@Example.org", "admin", None, now=NOW)
    assert user.email == "ada@example.org"
    assert not user.enrolled
    shown = await enrolment(token, now=NOW)
    assert shown.two_factor_required
    assert shown.uri.startswith("otpauth://totp/Slotwise:ada%40example.org?secret=")
    with pytest.raises(InvalidRequest) as no_code:
        await enrol(token, PASSWORD, "", now=NOW)
    assert no_code.value.field == "code"
    with pytest.raises(InvalidRequest) as short:
        await enrol(token, "short", code(shown.secret), now=NOW)
    assert short.value.field == "password"
    codes = await enrol(token, PASSWORD, code(shown.secret), now=NOW)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    with pytest.raises(NotFound):
        await enrolment(token, now=NOW)
    with pytest.raises(NotFound):
        await enrol(token, PASSWORD, code(shown.secret), now=NOW)


async def test_a_link_expires_after_a_day(db: TestDatabase) -> None:
    _, token = await invite("ada@example.org", "sysadmin", None, now=NOW)
    await enrolment(token, now=NOW + timedelta(hours=23, minutes=59))
    with pytest.raises(NotFound):
        await enrolment(token, now=NOW + timedelta(hours=24))


async def test_staff_are_tied_to_an_existing_resource_and_may_skip_two_factor(
    db: TestDatabase,
) -> None:
    await load_clinic()
    with pytest.raises(InvalidRequest) as missing:
        await invite("ana@example.org", "staff", None, now=NOW)
    assert missing.value.field == "resource"
    with pytest.raises(InvalidRequest) as unknown:
        await invite("ana@example.org", "staff", "nobody", now=NOW)
    assert unknown.value.field == "resource"
    with pytest.raises(InvalidRequest) as admin_with_resource:
        await invite("ada@example.org", "admin", "ana", now=NOW)
    assert admin_with_resource.value.field == "resource"
    with pytest.raises(InvalidRequest) as role:
        await invite("ada@example.org", "owner", None, now=NOW)
    assert role.value.field == "role"
    user, token = await invite("ana@example.org", "staff", "ana", now=NOW)
    assert user.resource == "ana"
    assert await enrol(token, PASSWORD, "", now=NOW) == []
    signed = await sign_in("ana@example.org", PASSWORD, "", address="a", now=NOW, lockout=LOCKOUT)
    assert (signed.role, signed.two_factor) == (m.UserRole.STAFF, False)


async def test_sign_in_needs_the_password_and_a_fresh_code(db: TestDatabase) -> None:
    secret, _ = await admin()
    later = NOW + timedelta(minutes=5)
    with pytest.raises(SignInFailed):
        await sign_in("ada@example.org", "wrong password!", code(secret, later), address="a",
                      now=later, lockout=LOCKOUT)  # fmt: skip
    with pytest.raises(SignInFailed):
        await sign_in("ada@example.org", PASSWORD, "", address="a", now=later, lockout=LOCKOUT)
    user = await sign_in(
        "ADA@example.org", PASSWORD, code(secret, later), address="a", now=later, lockout=LOCKOUT
    )
    assert user.role is m.UserRole.ADMIN


async def test_a_code_cannot_be_used_twice(db: TestDatabase) -> None:
    secret, _ = await admin()
    later = NOW + timedelta(minutes=5)
    once = code(secret, later)
    await sign_in("ada@example.org", PASSWORD, once, address="a", now=later, lockout=LOCKOUT)
    with pytest.raises(SignInFailed):
        await sign_in("ada@example.org", PASSWORD, once, address="a", now=later, lockout=LOCKOUT)
    # Nor the code of the step before, still inside the drift allowed.
    before = code(secret, later - timedelta(seconds=30))
    with pytest.raises(SignInFailed):
        await sign_in("ada@example.org", PASSWORD, before, address="a", now=later, lockout=LOCKOUT)
    # The enrolment's own code is spent too.
    with pytest.raises(SignInFailed):
        await sign_in(
            "ada@example.org", PASSWORD, code(secret), address="a", now=NOW, lockout=LOCKOUT
        )


async def test_a_recovery_code_works_once(db: TestDatabase) -> None:
    _, codes = await admin()
    user = await sign_in(
        "ada@example.org", PASSWORD, codes[3].lower(), address="a", now=NOW, lockout=LOCKOUT
    )
    assert await recovery_codes_left(user.id) == 9
    with pytest.raises(SignInFailed):
        await sign_in("ada@example.org", PASSWORD, codes[3], address="a", now=NOW, lockout=LOCKOUT)


async def test_ten_failures_lock_the_account_for_fifteen_minutes(db: TestDatabase) -> None:
    secret, _ = await admin()
    for i in range(9):
        with pytest.raises(SignInFailed) as failed:
            await sign_in("ada@example.org", "nope", "", address=f"10.0.0.{i}",
                          now=NOW + timedelta(minutes=i), lockout=LOCKOUT)  # fmt: skip
        assert not isinstance(failed.value, SignInLocked)
    tenth = NOW + timedelta(minutes=10)
    with pytest.raises(SignInLocked) as locked:
        await sign_in("ada@example.org", "nope", "", address="10.0.1.1", now=tenth, lockout=LOCKOUT)
    assert locked.value.until == tenth + timedelta(minutes=15)
    # Locked: even the right password and code from another address are refused.
    soon = tenth + timedelta(minutes=14)
    with pytest.raises(SignInLocked):
        await sign_in("ada@example.org", PASSWORD, code(secret, soon), address="10.9.9.9",
                      now=soon, lockout=LOCKOUT)  # fmt: skip
    after = tenth + timedelta(minutes=15)
    await sign_in(
        "ada@example.org",
        PASSWORD,
        code(secret, after),
        address="10.9.9.9",
        now=after,
        lockout=LOCKOUT,
    )


async def test_ten_failures_lock_the_address_whatever_the_account(db: TestDatabase) -> None:
    secret, _ = await admin()
    for i in range(10):
        with pytest.raises(SignInFailed):
            await sign_in(f"guess{i}@example.org", "nope", "", address="10.0.0.1", now=NOW,
                          lockout=LOCKOUT)  # fmt: skip
    with pytest.raises(SignInLocked):
        await sign_in("ada@example.org", PASSWORD, code(secret), address="10.0.0.1", now=NOW,
                      lockout=LOCKOUT)  # fmt: skip


async def test_sessions_expire_idle_out_and_are_revoked(db: TestDatabase) -> None:
    await admin()
    user = await m.User.get(email="ada@example.org")
    policy = SessionPolicy(lifetime=timedelta(hours=12), idle=timedelta(hours=1))
    token = await open_session(user.id, address="a", now=NOW, policy=policy, replaces=None)
    seen = await session_of(token, now=NOW + timedelta(minutes=50), policy=policy)
    assert seen is not None
    assert seen.role is m.UserRole.ADMIN
    assert await session_of(token, now=NOW + timedelta(minutes=105), policy=policy) is not None
    assert await session_of(token, now=NOW + timedelta(minutes=171), policy=policy) is None
    assert await session_of("forged", now=NOW, policy=policy) is None
    # Signing in again replaces the browser's session: the old token is dead.
    second = await open_session(user.id, address="a", now=NOW, policy=policy, replaces=token)
    assert await session_of(token, now=NOW, policy=policy) is None
    assert await session_of(second, now=NOW, policy=policy) is not None
    await close_session(second, NOW)
    assert await session_of(second, now=NOW, policy=policy) is None
    third = await open_session(user.id, address="a", now=NOW, policy=policy, replaces=None)
    assert await session_of(third, now=NOW + timedelta(hours=12), policy=policy) is None


async def test_a_new_link_ends_the_old_password_and_sessions(db: TestDatabase) -> None:
    secret, _ = await admin()
    user = await m.User.get(email="ada@example.org")
    policy = SessionPolicy()
    token = await open_session(user.id, address="a", now=NOW, policy=policy, replaces=None)
    _, link = await make_new_link("ada@example.org", by=ChangedBy("root", "cli"), now=NOW)
    assert await session_of(token, now=NOW, policy=policy) is None
    later = NOW + timedelta(minutes=2)
    with pytest.raises(SignInFailed):
        await sign_in("ada@example.org", PASSWORD, code(secret, later), address="a", now=later,
                      lockout=LOCKOUT)  # fmt: skip
    assert (await enrolment(link, now=NOW)).secret != secret


async def test_one_code_sent_twice_at_once_signs_in_once(db: TestDatabase) -> None:
    secret, codes = await admin()
    later = NOW + timedelta(minutes=5)

    async def attempt(typed: str) -> bool:
        try:
            await sign_in(
                "ada@example.org", PASSWORD, typed, address="a", now=later, lockout=LOCKOUT
            )
        except SignInFailed:
            return False
        return True

    for typed in (code(secret, later), codes[0]):
        results = await asyncio.gather(*(attempt(typed) for _ in range(4)))
        assert sorted(results) == [False, False, False, True], typed


@pytest.mark.parametrize(
    "password",
    ["123456789012", "1qaz2wsx3edc", "passwordpassword", "Password1234", "aaaaaaaaaaaa",
     "abcdefghijkl", "leavemealone", "lee@example.org!"],
)  # fmt: skip
def test_a_guessable_password_is_refused_whatever_its_length(password: str) -> None:
    """A common password, a keyboard row, a repeat or the e-mail with a character added:
    twelve characters are not enough on their own (OWASP ASVS 2.1.7)."""
    with pytest.raises(InvalidRequest, match="too easy to guess") as refused:
        check_password(password, "lee@example.org")
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "a long and lovely password", "my dog is called rex",
     "Tr0ub4dor&3xx", "naïve façade 🦆 пароль", "x7#Lq9!mZ2@v"],
)  # fmt: skip
def test_passphrases_and_random_passwords_pass_with_no_composition_rules(password: str) -> None:
    check_password(password, "lee@example.org")
