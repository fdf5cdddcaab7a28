"""A time of day as the customer wrote it, and the hour it means.

Written hours are ambiguous ("at 4" is 16:00 at a hairdresser's, "at 9" is
09:00), so a :class:`Clock` keeps what was said: the digits, an am/pm, whether
it was a 24-hour phrasing, a part of day said with it. :func:`wall_time`
applies the conventions of ``time-wishes.md`` in their order of strength:
am/pm, then a 24-hour phrasing, then a part of day, then the hour rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

__all__ = ["PARTS", "Clock", "Part", "wall_time"]

Part = Literal["morning", "afternoon", "evening", "night"]

PARTS: dict[str, tuple[int, int]] = {
    "morning": (6, 12),
    "afternoon": (12, 17),
    "evening": (17, 22),
    "night": (17, 22),
}
"""Hours ``[start, end)`` of each part of day. "Night" is booked as the evening:
nobody books a haircut at 3 a.m., but "tonight" and "esta noche" mean 17–22."""


@dataclass(frozen=True, slots=True)
class Clock:
    hour: int
    """As written: 0–23, or 1–12 with a meridiem."""
    minute: int = 0
    meridiem: Literal["am", "pm"] | None = None
    as_written: bool = False
    """A 24-hour phrasing: an hour of 13 or more, 0, or a leading zero ("07:30")."""
    part: str | None = None
    """A part of day said right with the hour ("9 in the evening", "7 вечера")."""


def wall_time(clock: Clock, part: str | None = None) -> time | None:
    """The local time ``clock`` means; ``part`` is a part of day said elsewhere in
    the message ("tonight ... at 9"). ``None`` when no such time exists."""
    hour, minute = clock.hour, clock.minute
    part = clock.part or part
    if clock.meridiem is not None and 1 <= hour <= 12:
        hour = hour % 12 + (12 if clock.meridiem == "pm" else 0)
    elif clock.as_written or hour == 0 or hour > 12:
        pass
    elif part in ("afternoon", "evening"):
        hour = hour % 12 + 12
    elif part == "night":
        hour = 0 if hour == 12 else hour + 12 if hour >= 6 else hour
    elif part == "morning":
        pass
    elif 1 <= hour <= 7:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)
