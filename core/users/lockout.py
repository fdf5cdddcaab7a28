"""Sign-in lockout by address and by account.

Every failed sign-in is written down with its address and the e-mail tried. When
an address or an account reaches ``failures`` failures within ``window``, it is
locked for ``duration``: every sign-in from that address, or to that account,
is refused without checking anything (not even the password, so guessing gains
nothing) until the lock ends. Kept in the database, so every server process
sees the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from core import models as m

__all__ = ["Lockout", "locked_until", "record_failure"]


@dataclass(frozen=True, slots=True)
class Lockout:
    failures: int = 10
    window: timedelta = timedelta(minutes=15)
    duration: timedelta = timedelta(minutes=15)


def _keys(address: str, account: str) -> list[str]:
    return [f"address:{address}", f"account:{account}"]


async def locked_until(address: str, account: str, now: datetime) -> datetime | None:
    """When the later of the two locks (address, account) ends; ``None``: not locked."""
    rows = await m.SignInLock.filter(key__in=_keys(address, account), until__gt=now).values_list(
        "until", flat=True
    )
    ends = cast(list[datetime], rows)
    return max(ends) if ends else None


async def record_failure(
    address: str, account: str, now: datetime, policy: Lockout
) -> datetime | None:
    """Write one failure; lock what reached the limit. Returns when the lock ends, if any."""
    await m.SignInFailure.create(at=now, address=address[:64], account=account[:254])
    since = now - policy.window
    until = None
    counts = (
        ("address", await m.SignInFailure.filter(address=address[:64], at__gt=since).count()),
        ("account", await m.SignInFailure.filter(account=account[:254], at__gt=since).count()),
    )
    for kind, count in counts:
        if count >= policy.failures:
            until = now + policy.duration
            value = address if kind == "address" else account
            await m.SignInLock.create(key=f"{kind}:{value}"[:300], until=until)
    # Rows older than the window count for nothing any more.
    await m.SignInFailure.filter(at__lt=since).delete()
    await m.SignInLock.filter(until__lt=now).delete()
    return until
