"""Server-side sessions of the admin panel.

The browser holds a random token; the database holds only its SHA-256, with the
user, a CSRF token, and three ends: ``expires_at`` (absolute), the idle limit
(``last_seen_at``), and ``revoked_at`` (sign-out, a new enrolment link, a
disabled user). Signing in always makes a new token (and revokes the one the
browser came with), so a token planted before sign-in is worth nothing after.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import models as m

__all__ = [
    "SessionInfo",
    "SessionPolicy",
    "close_other_sessions",
    "close_session",
    "open_session",
    "session_of",
]

_TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often, not on every request."""


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Who a request's session belongs to, and the CSRF token its forms carry."""

    user_id: int
    email: str
    role: m.UserRole
    resource: str | None
    locale: str
    csrf: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    user_id: int, *, address: str, now: datetime, policy: SessionPolicy, replaces: str | None
) -> str:
    """A new session for ``user_id``; returns its token (for the cookie). The session the
    browser had before (``replaces``) is revoked."""
    if replaces:
        await close_session(replaces, now)
    token = secrets.token_urlsafe(32)
    await m.UserSession.create(
        digest=_digest(token),
        user_id=user_id,
        csrf=secrets.token_urlsafe(32),
        address=address[:64],
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.lifetime,
    )
    return token


async def session_of(token: str, *, now: datetime, policy: SessionPolicy) -> SessionInfo | None:
    """The live session of ``token`` with its user, or ``None`` (unknown, revoked, expired,
    idle too long, or its user disabled)."""
    if not token or len(token) > 100:
        return None
    row = await m.UserSession.get_or_none(digest=_digest(token), revoked_at=None).prefetch_related(
        "user"
    )
    if row is None or row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        return None
    user = row.user
    if not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        await m.UserSession.filter(id=row.id).update(last_seen_at=now)
    return SessionInfo(
        user_id=user.id,
        email=user.email,
        role=m.UserRole(user.role),
        resource=user.resource,
        locale=user.locale,
        csrf=row.csrf,
        expires_at=row.expires_at,
    )


async def close_session(token: str, now: datetime) -> None:
    """Revoke the session of ``token`` (sign-out); unknown tokens are ignored."""
    await m.UserSession.filter(digest=_digest(token), revoked_at=None).update(revoked_at=now)


async def close_sessions_of(user_id: int, now: datetime) -> None:
    await m.UserSession.filter(user_id=user_id, revoked_at=None).update(revoked_at=now)


async def close_other_sessions(user_id: int, keep: str, now: datetime) -> int:
    """Revoke every live session of ``user_id`` but the one of ``keep`` (the browser that
    changed the password); returns how many ended."""
    return await (
        m.UserSession.filter(user_id=user_id, revoked_at=None)
        .exclude(digest=_digest(keep))
        .update(revoked_at=now)
    )
