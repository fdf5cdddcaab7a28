"""Recurring requests: "every Tuesday at 10 for 8 weeks", "every 3 days, 5 times".

Occurrences repeat the first one's *local wall time* in the business's zone,
so a weekly 10:00 stays at 10:00 across a clock change. A wall time that does
not exist on some date (skipped when clocks go forward) has no instant: that
occurrence is a conflict, never silently shifted by an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from core.errors import InvalidRequest

__all__ = ["MAX_OCCURRENCES", "Frequency", "Recurrence", "shift_wall"]

Frequency = Literal["weekly", "biweekly", "days"]
MAX_OCCURRENCES = 104
"""Two years of weekly sessions; anything longer is a different conversation."""
MAX_EVERY_DAYS = 365


@dataclass(frozen=True, slots=True)
class Recurrence:
    """``weekly``, ``biweekly`` (every 2 weeks) or every ``every_days`` days, ``count`` times.

    ``count`` includes the first occurrence.
    """

    frequency: Frequency
    count: int
    every_days: int | None = None

    @classmethod
    def weekly(cls, count: int) -> Recurrence:
        return cls("weekly", count)

    @classmethod
    def biweekly(cls, count: int) -> Recurrence:
        return cls("biweekly", count)

    @classmethod
    def every(cls, days: int, count: int) -> Recurrence:
        return cls("days", count, days)

    @property
    def interval_days(self) -> int:
        if self.frequency == "weekly":
            return 7
        if self.frequency == "biweekly":
            return 14
        return self.every_days or 0

    def check(self) -> None:
        """Raise :class:`InvalidRequest` naming the field that is wrong."""
        if self.frequency not in ("weekly", "biweekly", "days"):
            raise InvalidRequest(
                f"unknown frequency {self.frequency!r}; use weekly, biweekly or days",
                field="recurrence.frequency",
            )
        if isinstance(self.count, bool) or not isinstance(self.count, int):
            raise InvalidRequest("count must be a whole number", field="recurrence.count")
        if not 1 <= self.count <= MAX_OCCURRENCES:
            raise InvalidRequest(
                f"count must be between 1 and {MAX_OCCURRENCES}, got {self.count}",
                field="recurrence.count",
            )
        if self.frequency == "days":
            days = self.every_days
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
                raise InvalidRequest(
                    f"every_days must be a whole number from 1 to {MAX_EVERY_DAYS}",
                    field="recurrence.every_days",
                )
        elif self.every_days is not None:
            raise InvalidRequest(
                "every_days goes only with frequency 'days'", field="recurrence.every_days"
            )

    def starts(self, first: datetime, zone: str) -> list[tuple[datetime, bool]]:
        """The occurrences, the first being ``first``: each instant (UTC) and whether its
        wall time exists that day (see :func:`shift_wall`)."""
        step = timedelta(days=self.interval_days)
        return [shift_wall(first, step * k, zone) for k in range(self.count)]


def shift_wall(moment: datetime, by: timedelta, zone: str) -> tuple[datetime, bool]:
    """``moment`` moved by ``by`` on the local wall clock of ``zone`` (DST-exact), and
    whether that wall time exists.

    In a repeated hour the same fold as ``moment`` is kept. A wall time skipped by
    a clock change has no instant; the one returned then is where the zone's rules
    put it (an hour off), only for telling the caller which date failed.
    """
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    wall = local.replace(tzinfo=None) + by
    candidate = wall.replace(tzinfo=tz, fold=local.fold)
    back = candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return candidate.astimezone(UTC), back == wall
