"""A :class:`~bot.understand.timewish.Wish` on the calendar: local days, then UTC instants.

Every wall-clock computation happens on local dates in the business's zone
and each boundary is converted on its own, so a day across a DST change is
23 or 25 hours long and "tomorrow at 9" is 09:00 local whatever the offset.
Times that fall into a DST gap or fold take the offset before the change.

Two rules keep a wish from pointing at the past: a wish without a day is
today if any of it is still ahead, else tomorrow; a wish that names a day
whose time has passed ("this morning" said at 14:00, "3 May 2020") gives no
time at all, so the dialog asks instead of guessing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.understand.clock import PARTS, wall_time
from bot.understand.reading import Exact, When, Window
from bot.understand.timewish import (
    After,
    At,
    Before,
    Between,
    DateRef,
    DayOfMonth,
    DayRange,
    DaySpec,
    MonthDay,
    MonthsAhead,
    NextWeek,
    NthWeekday,
    Offset,
    ThisWeek,
    Weekday,
    Weekend,
    WholeMonth,
    Wish,
)

__all__ = ["Resolved", "resolve"]

_YEARS_AHEAD = 10
"""A year further ahead is a typo, not a booking (and keeps date arithmetic in range)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    when: When | None
    conflict: bool = False


def resolve(wish: Wish, now: datetime, zone: ZoneInfo) -> Resolved:
    today = now.astimezone(zone).date()
    if wish.soon is not None:
        minutes = wish.soon.count * (60 if wish.soon.unit == "hour" else 1)
        return Resolved(Exact(_ceil_minute(now + timedelta(minutes=minutes)).astimezone(UTC)))
    days = _days(wish.day, today) if wish.day is not None else None
    if wish.day is not None and days is None:
        return Resolved(None)  # a date that does not exist or has passed
    single = days is not None and days[1] - days[0] == timedelta(1)
    if days is not None and single and wish.weekday not in (None, days[0].weekday()):
        return Resolved(None, conflict=True)
    if days is None:
        if wish.asap:
            return Resolved(Window(now.astimezone(UTC), None))
        if wish.time is None and wish.part is None:
            return Resolved(None)
        when = _on_day(wish, today, now, zone)
        if when is None:
            when = _on_day(wish, today + timedelta(1), now, zone)
        return Resolved(when)
    first, last = days
    if last - first > timedelta(1):
        return Resolved(_window(_at(first, time(0), zone), _at(last, time(0), zone), now))
    return Resolved(_on_day(wish, first, now, zone))


def _on_day(wish: Wish, day: date, now: datetime, zone: ZoneInfo) -> When | None:
    """The wish on one local day, or None when it is invalid or entirely past."""
    part = PARTS.get(wish.part or "")
    day_start = (time(part[0]), day) if part else (time(0), day)
    day_end = (time(part[1]), day) if part else (time(0), day + timedelta(1))
    spec = wish.time
    if isinstance(spec, At):
        moment = wall_time(spec.clock, wish.part)
        if moment is None:
            return None
        at = _at(day, moment, zone)
        return Exact(at) if at >= now else None
    if isinstance(spec, After):
        moment = wall_time(spec.clock, wish.part)
        if moment is None:
            return None
        if part and not time(part[0]) <= moment < time(part[1]):
            day_end = (time(0), day + timedelta(1))
        return _window(_at(day, moment, zone), _at(day_end[1], day_end[0], zone), now)
    if isinstance(spec, Before):
        moment = wall_time(spec.clock, wish.part)
        if moment is None:
            return None
        if part and not time(part[0]) < moment <= time(part[1]):
            day_start = (time(0), day)
        return _window(_at(day, day_start[0], zone), _at(day, moment, zone), now)
    if isinstance(spec, Between):
        first, last = wall_time(spec.first, wish.part), wall_time(spec.last, wish.part)
        if first is None or last is None:
            return None
        if last <= first and last.hour < 12 and not spec.last.as_written:
            last = time(last.hour + 12, last.minute)
        return _window(_at(day, first, zone), _at(day, last, zone), now)
    return _window(_at(day_start[1], day_start[0], zone), _at(day_end[1], day_end[0], zone), now)


def _window(start: datetime, end: datetime, now: datetime) -> Window | None:
    """``[start, end)`` cut to start no earlier than now; None when nothing is left."""
    start = max(start, now)
    if end <= start:
        return None
    return Window(start.astimezone(UTC), end.astimezone(UTC))


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _days(spec: DaySpec, today: date) -> tuple[date, date] | None:
    """Local days ``[first, last)`` a day word names, or None if no such day is ahead."""
    monday = today + timedelta(7 - today.weekday())
    if isinstance(spec, Offset):
        return _one(today + timedelta(spec.days))
    if isinstance(spec, Weekday):
        if spec.weeks_ahead:
            this_monday = today - timedelta(today.weekday())
            return _one(this_monday + timedelta(7 * spec.weeks_ahead + spec.weekday))
        if spec.in_next_week:
            return _one(monday + timedelta(spec.weekday))
        return _one(today + timedelta((spec.weekday - today.weekday() - 1) % 7 + 1))
    if isinstance(spec, DateRef):
        found = _date(spec, today)
        return None if found is None else _one(found)
    if isinstance(spec, DayOfMonth):
        found = _day_of_month(spec.day, today)
        return None if found is None else _one(found)
    if isinstance(spec, ThisWeek):
        return today, monday
    if isinstance(spec, NextWeek):
        return monday, monday + timedelta(7)
    if isinstance(spec, Weekend):
        saturday = today + timedelta(5 - today.weekday())  # this week's, maybe today or past
        if spec.next:
            saturday = monday + timedelta(5)
        return max(saturday, today), saturday + timedelta(2)
    if isinstance(spec, WholeMonth):
        year = today.year + (1 if spec.month < today.month else 0)
        first = date(year, spec.month, 1)
        return max(first, today), _add_months(first, 1)
    if isinstance(spec, MonthsAhead):
        return _one(_add_months(today, spec.count))
    if isinstance(spec, NthWeekday):
        found = _nth_weekday(spec, today)
        return None if found is None else _one(found)
    if isinstance(spec, MonthDay):
        first = _add_months(today.replace(day=1), spec.months_ahead)
        if spec.day > calendar.monthrange(first.year, first.month)[1]:
            return None
        return _one(first.replace(day=spec.day))
    if isinstance(spec, DayRange):
        return _range(spec, today)
    return None


def _nth_weekday(spec: NthWeekday, today: date) -> date | None:
    """The n-th (or last, n=-1) weekday of the named month, the next such date ahead."""
    for ahead in range(13):
        first = _add_months(today.replace(day=1), ahead + spec.months_ahead)
        if spec.month is not None and first.month != spec.month:
            continue
        days = calendar.monthrange(first.year, first.month)[1]
        matching = [
            first.replace(day=d)
            for d in range(1, days + 1)
            if first.replace(day=d).weekday() == spec.weekday
        ]
        index = spec.n - 1 if spec.n > 0 else spec.n
        if -len(matching) <= index < len(matching) and matching[index] >= today:
            return matching[index]
        if spec.months_ahead:
            return None
    return None


def _range(spec: DayRange, today: date) -> tuple[date, date] | None:
    """Both ends' days, the last one the first such day on or after the first."""
    first = _days(spec.first, today)
    if first is None:
        return None
    start = first[0]
    last_spec = spec.last
    if isinstance(last_spec, Weekday):
        end = start + timedelta((last_spec.weekday - start.weekday()) % 7)
    elif isinstance(last_spec, DayOfMonth):
        end_range = _days(last_spec, start)
        if end_range is None:
            return None
        end = end_range[0]
    elif isinstance(last_spec, DateRef):
        found = _date(last_spec, start)
        if found is None:
            return None
        end = found
    else:
        return None
    if end < start or end - start > timedelta(92):
        return None
    return start, end + timedelta(1)


def _one(day: date) -> tuple[date, date]:
    return day, day + timedelta(1)


def _date(ref: DateRef, today: date) -> date | None:
    """A date with its year, or the next one not in the past when no year was said."""
    if ref.year is not None:
        if not today.year <= ref.year <= today.year + _YEARS_AHEAD:
            return None
        try:
            found = date(ref.year, ref.month, ref.day)
        except ValueError:
            return None
        return found if found >= today else None
    for year in range(today.year, today.year + 9):
        try:
            found = date(year, ref.month, ref.day)
        except ValueError:
            if ref.month == 2 and ref.day == 29:
                continue  # not a leap year: try the next
            return None
        if found >= today:
            return found
    return None


def _day_of_month(day: int, today: date) -> date | None:
    """The next date with this day number, today included ("the 31st" skips short months)."""
    if not 1 <= day <= 31:
        return None
    for ahead in range(13):
        first = _add_months(today.replace(day=1), ahead)
        if day <= calendar.monthrange(first.year, first.month)[1]:
            found = first.replace(day=day)
            if found >= today:
                return found
    return None


def _add_months(day: date, count: int) -> date:
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
