"""Codes that prove a phone number belongs to the person in a chat: six digits, sent by SMS.

A number typed into a chat on another channel (Telegram, Slack, the web) is only a
claim: anyone may type anyone's number. Before such a chat is tied to the customer
with that number (and so sees and changes their bookings), the number gets a code
by SMS and the person types it back. An SMS itself needs none of this: the carrier
vouches for its ``From``.

Pure and synchronous, like the dialog: :func:`issue` makes a code and a
:class:`Pending` (what to remember: no code, only its keyed digest, the expiry and
the tries left); :func:`check` answers a typed code. The caller keeps the
``Pending`` where it keeps the conversation and passes ``now``. ``key`` is the
server's secret, so a stolen ``Pending`` does not give the code away cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["CODE_DIGITS", "MAX_ATTEMPTS", "TTL", "Checked", "Pending", "check", "issue"]

CODE_DIGITS = 6
TTL = timedelta(minutes=10)
"""How long a code may be typed back: long enough to switch apps, short for a guesser."""
MAX_ATTEMPTS = 5
"""Wrong codes before the code is void: one in 200 000 for a guesser, not more."""

Checked = Literal["confirmed", "wrong", "expired", "exhausted"]
"""``wrong``: try again (tries left); ``expired`` and ``exhausted``: issue a new code."""


@dataclass(frozen=True, slots=True)
class Pending:
    """A code sent and not yet confirmed (the code itself is not kept)."""

    phone: str
    digest: str
    expires_at: datetime
    attempts_left: int


def _digest(key: bytes, phone: str, code: str) -> str:
    return hmac.new(key, f"{phone}\n{code}".encode(), hashlib.sha256).hexdigest()


def issue(
    phone: str,
    key: bytes,
    now: datetime,
    *,
    ttl: timedelta = TTL,
    attempts: int = MAX_ATTEMPTS,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> tuple[str, Pending]:
    """A fresh code for ``phone`` (E.164) to send, and what to remember until it comes back."""
    if now.tzinfo is None:
        raise ValueError("now: an aware instant (UTC), not a naive datetime")
    if attempts < 1:
        raise ValueError(f"attempts: at least 1, not {attempts}")
    code = f"{randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return code, Pending(phone, _digest(key, phone, code), now + ttl, attempts)


def check(
    pending: Pending, typed: str, key: bytes, now: datetime
) -> tuple[Checked, Pending | None]:
    """The typed code against ``pending``: the answer and what to remember next (``None``
    when the code is used up: confirmed, expired or out of tries). Spaces and dashes in
    what was typed are ignored ("123 456")."""
    if now >= pending.expires_at:
        return "expired", None
    if pending.attempts_left < 1:
        return "exhausted", None
    code = "".join(ch for ch in typed if ch not in " -")
    if hmac.compare_digest(_digest(key, pending.phone, code), pending.digest):
        return "confirmed", None
    left = pending.attempts_left - 1
    if left < 1:
        return "exhausted", None
    return "wrong", replace(pending, attempts_left=left)
