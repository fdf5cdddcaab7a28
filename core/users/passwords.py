"""Passwords hashed with argon2id, off the event loop.

argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes)
take about a tenth of a second of a core; run on the event loop that would stall
every other request, so hashing and checking run in a pool of two threads (a
burst of sign-ins queues instead of taking all the memory).
Tests swap :data:`HASHER` for ``argon2.profiles.CHEAPEST``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.errors import InvalidRequest

__all__ = ["HASHER", "MAX_LENGTH", "MIN_LENGTH", "check_password", "hash_password", "verify"]

HASHER = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 256
GUESSABLE = 2
"""zxcvbn's score under which a password is refused: guessed in under a million tries (one
of its 30,000 most common passwords, a keyboard row, a word and a year, a repeat, the
user's own e-mail). The check OWASP ASVS 2.1.7 asks for, done here without sending
anything anywhere; no composition rules."""
_ESTIMATED = 72
"""zxcvbn reads at most this many characters (its own limit): the rest only adds."""
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
"""At most two hashes at once (64 MiB each); more wait their turn in the pool's queue."""
_dummy: str | None = None
T = TypeVar("T")


async def _off_loop(work: Callable[..., T], *args: str) -> T:
    return await asyncio.get_running_loop().run_in_executor(_THREADS, work, *args)


def check_password(password: str, email: str) -> None:
    """The rules a new password must meet (its length, as NIST SP 800-63B asks, not the
    e-mail itself, and not easy to guess: :data:`GUESSABLE`); :class:`InvalidRequest`
    naming the field otherwise."""
    if len(password) < MIN_LENGTH:
        raise InvalidRequest(
            f"the password needs at least {MIN_LENGTH} characters", field="password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(
            f"the password may have at most {MAX_LENGTH} characters", field="password"
        )
    if password.strip().lower() == email.strip().lower():
        raise InvalidRequest("the password must not be the e-mail address", field="password")
    # Imported here: its word lists take ~25 ms to load, which every server process and
    # command paid at start-up for the few requests that set a password.
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    hints = [email, email.split("@", 1)[0]]
    if zxcvbn(password[:_ESTIMATED], user_inputs=hints)["score"] < GUESSABLE:
        raise InvalidRequest(
            "the password is too easy to guess (a common password, a keyboard row, a repeat)",
            field="password",
        )


async def hash_password(password: str) -> str:
    return await _off_loop(HASHER.hash, password)


async def verify(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and a new hash when the stored one was made
    with weaker parameters than today's (``None``: keep it). Without a stored hash the same
    work is done against a dummy, so an unknown e-mail takes as long as a wrong password."""
    global _dummy
    if stored is None:
        if _dummy is None:
            _dummy = await _off_loop(HASHER.hash, "not a password of anyone")
        await _off_loop(_matches, _dummy, password)
        return False, None
    if not await _off_loop(_matches, stored, password):
        return False, None
    if HASHER.check_needs_rehash(stored):
        return True, await _off_loop(HASHER.hash, password)
    return True, None


def _matches(stored: str, password: str) -> bool:
    try:
        return bool(HASHER.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
