"""Passwords hashed with argon2id, off the event loop.

argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes)
take about a tenth of a second of a core; run on the event loop that would stall
every other request, so hashing and checking run in a thread, at most
``_PARALLEL`` at a time (a burst of sign-ins cannot take all the memory).
Tests swap :data:`HASHER` for ``argon2.profiles.CHEAPEST``.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.errors import InvalidRequest

__all__ = ["HASHER", "MAX_LENGTH", "MIN_LENGTH", "check_password", "hash_password", "verify"]

HASHER = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 256
_PARALLEL = asyncio.Semaphore(2)
_dummy: str | None = None


def check_password(password: str, email: str) -> None:
    """The rules a new password must meet (length only, as NIST SP 800-63B asks, and not
    the e-mail itself); :class:`InvalidRequest` naming the field otherwise."""
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


async def hash_password(password: str) -> str:
    async with _PARALLEL:
        return await asyncio.to_thread(HASHER.hash, password)


async def verify(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and a new hash when the stored one was made
    with weaker parameters than today's (``None``: keep it). Without a stored hash the same
    work is done against a dummy, so an unknown e-mail takes as long as a wrong password."""
    global _dummy
    async with _PARALLEL:
        if stored is None:
            if _dummy is None:
                _dummy = await asyncio.to_thread(HASHER.hash, "not a password of anyone")
            await asyncio.to_thread(_matches, _dummy, password)
            return False, None
        if not await asyncio.to_thread(_matches, stored, password):
            return False, None
        if HASHER.check_needs_rehash(stored):
            return True, await asyncio.to_thread(HASHER.hash, password)
        return True, None


def _matches(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
