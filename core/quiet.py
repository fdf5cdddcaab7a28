"""Quiet hours: when a message that nobody is waiting for may go out.

The business file's ``business.quiet_hours`` (default 21:00 to 08:00) is a stretch of
wall time, ``[start, end)``, read in the *customer's* zone: a customer in Tokyo
booking a salon in Berlin is not woken at 03:00 Tokyo time. A stretch may wrap past
midnight (21:00 to 08:00) or not (13:00 to 14:00); ``start == end`` means none.

Two answers, both pure (an instant and a zone in, an instant out; no clock):

- :func:`before_quiet`: a reminder whose moment falls in quiet hours goes at the last
  minute before they began (a reminder late is worse than one early);
- :func:`after_quiet`: a message held back (a waitlist offer, a change staff made)
  goes when they end.

A moment outside quiet hours is returned unchanged. Wall times that a DST change
skips or repeats are read the way :mod:`zoneinfo` reads them (``fold=0``): the
answer is always a real instant, and never inside quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_QUIET",
    "QuietHours",
    "after_quiet",
    "before_quiet",
    "is_quiet",
    "reminder_times",
]

_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Quiet from ``start_min`` to ``end_min`` (minutes after local midnight), half-open."""

    start_min: int = 21 * 60
    end_min: int = 8 * 60

    def __post_init__(self) -> None:
        for value in (self.start_min, self.end_min):
            if not 0 <= value < _DAY:
                raise ValueError(f"quiet hours are minutes of a day (0 to 1439), not {value}")

    @property
    def none(self) -> bool:
        return self.start_min == self.end_min

    @property
    def wraps(self) -> bool:
        """Whether the stretch runs over midnight (21:00 to 08:00)."""
        return self.start_min > self.end_min

    def text(self) -> tuple[str, str]:
        """``("21:00", "08:00")``: as the business file writes them."""
        return (_hhmm(self.start_min), _hhmm(self.end_min))


DEFAULT_QUIET = QuietHours()


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minute_of(local: datetime) -> int:
    return local.hour * 60 + local.minute


def is_quiet(moment: datetime, quiet: QuietHours, zone: str) -> bool:
    """Whether ``moment`` (aware) falls in the quiet hours of wall time in ``zone``."""
    if quiet.none:
        return False
    minute = _minute_of(moment.astimezone(ZoneInfo(zone)))
    if quiet.wraps:
        return minute >= quiet.start_min or minute < quiet.end_min
    return quiet.start_min <= minute < quiet.end_min


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The instant of wall time ``minutes`` on ``day`` in ``tz`` (skipped times land after
    the gap, as zoneinfo reads them)."""
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    # Normalise through UTC: a wall time in a DST gap becomes the real instant it names.
    return local.astimezone(UTC)


def _quiet_start(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """When the quiet stretch that holds ``moment`` began (``moment`` is quiet)."""
    local = moment.astimezone(tz)
    day = local.date()
    if quiet.wraps and _minute_of(local) < quiet.end_min:
        day -= timedelta(days=1)  # the small hours belong to the evening before
    return _at(day, quiet.start_min, tz)


def _quiet_end(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """When the quiet stretch that holds ``moment`` ends (``moment`` is quiet)."""
    local = moment.astimezone(tz)
    day = local.date()
    if quiet.wraps and _minute_of(local) >= quiet.start_min:
        day += timedelta(days=1)
    return _at(day, quiet.end_min, tz)


def before_quiet(moment: datetime, quiet: QuietHours, zone: str) -> datetime:
    """``moment``, or when it is quiet the last minute before the quiet hours began
    (``20:59`` for quiet hours from 21:00)."""
    if not is_quiet(moment, quiet, zone):
        return moment
    tz = ZoneInfo(zone)
    earlier = _quiet_start(moment, quiet, tz) - timedelta(minutes=1)
    # A DST change inside that minute can leave its wall time quiet (never in real
    # zones, but cheap to be sure of): step back minute by minute until it is not.
    while is_quiet(earlier, quiet, zone):
        earlier -= timedelta(minutes=1)
    return earlier.astimezone(moment.tzinfo or UTC)


def after_quiet(moment: datetime, quiet: QuietHours, zone: str) -> datetime:
    """``moment``, or when it is quiet the first minute after the quiet hours end."""
    if not is_quiet(moment, quiet, zone):
        return moment
    later = _quiet_end(moment, quiet, ZoneInfo(zone))
    while is_quiet(later, quiet, zone):
        later += timedelta(minutes=1)
    return later.astimezone(moment.tzinfo or UTC)


def reminder_times(
    start: datetime, offsets_min: Sequence[int], now: datetime, quiet: QuietHours, zone: str
) -> list[tuple[int, datetime]]:
    """``(offset, when)`` of each reminder of an appointment at ``start``: ``offset``
    minutes before it, moved to :func:`before_quiet`; one whose time is not after ``now``
    (it passed, or quiet hours pushed it into the past) is left out. Two reminders that
    land on the same minute stay two: each is its own message."""
    times = [
        (offset, before_quiet(start - timedelta(minutes=offset), quiet, zone))
        for offset in offsets_min
    ]
    return [(offset, when) for offset, when in times if when > now]
