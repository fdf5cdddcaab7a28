"""What the panel is built with: its policies, its clock and how it knows an address.

Handed to :func:`admin.make_admin` by the composition root (``slotwise/app.py``),
so the panel reads no settings and imports no channel: the address of a request
(behind trusted proxies or not) is the root's to say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from quart import Request

from core.bookings import BookingService
from core.calendars import Calendars
from core.feeds import FeedService
from core.users import Lockout, SessionPolicy

__all__ = ["AdminConfig"]


def _now() -> datetime:
    return datetime.now(UTC)


def _peer(request: Request) -> str:
    return request.remote_addr or "unknown"


@dataclass(frozen=True, slots=True)
class AdminConfig:
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    lockout: Lockout = field(default_factory=Lockout)
    secure_cookies: bool = False
    """``Secure`` cookies: on when the public address is https."""
    clock: Callable[[], datetime] = _now
    address: Callable[[Request], str] = _peer
    webhooks_allow_private: bool = False
    """Webhooks may go to private and loopback addresses (tests, closed networks)."""
    bookings: Callable[[], BookingService] | None = None
    """The app's booking service (cancel, move, no-show); ``None``: one without holds."""
    calendars: Callable[[], Calendars] | None = None
    """Staff members' own calendars (the Calendars page); ``None``: the page says so."""
    feeds: Callable[[], FeedService] | None = None
    """Feed addresses, from the services opened when the app serves."""
