"""The grammar of time wishes: tagged words to a :class:`Wish`, still without a calendar.

A message is read in passes, each replacing the words it understands with
one item, so later passes see "a clock" instead of "at", "3", "pm":

1. relative counts: "in 2 hours", "dans 3 jours", "через неделю";
2. clocks and ranges: "15:00", "at 4", "9 in the evening", "between 2 and 4",
   "de 14h à 16h", "halb 4", "a las 5 y media";
3. dates: "Dec 3", "3 de diciembre", "3.12.", "12/3", "the 10th", "10-го";
4. a number right after a day word is an hour ("tomorrow 3").

What is left is collected into a :class:`Wish`: which day, which part of it,
which time or range. Turning that into instants needs ``now`` and the zone,
and is :mod:`bot.understand.resolve`'s job. A bare number alone is never
a time: it needs a marker ("at", "pm", ":", "Uhr", "h", a part of day) or a
day word before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.understand.clock import Clock
from bot.understand.dates import month_date
from bot.understand.lexicon import Lexicon, TagKind
from bot.understand.tagging import Word

__all__ = [
    "After",
    "At",
    "Before",
    "Between",
    "DateRef",
    "DayOfMonth",
    "DaySpec",
    "NextWeek",
    "Offset",
    "Relative",
    "ThisWeek",
    "TimeSpec",
    "Weekday",
    "Weekend",
    "WholeMonth",
    "Wish",
    "read_wish",
]

Unit = Literal["day", "week", "hour", "minute", "month"]

_DASHES = frozenset({"-", "\u2013", "\u2014"})
_WEEKDAY_NUMBER_IS_DATE = frozenset({"es", "fr", "ru"})
"""Languages where "jueves 10", "jeudi 10", "четверг 10" is the 10th, not 10 o'clock."""
_CARDINAL_DAYS = frozenset({"es", "fr"})
"""Languages that name a day of the month with a cardinal: "el dos", "le vingt-deux"."""
_GENITIVE_ORDINAL = ("ого", "его")
"""Russian ordinals in the genitive ("второго", "двадцать второго") name a day of the
month: "the second one" is "второй" or "вторую"."""
_SHADOWED_WEEKDAYS = {"mar": 1}
"""Weekday abbreviations that are a month elsewhere ("mar" is martes in "de mar a jue")."""
_ONE_OCLOCK = frozenset({"час"})
"""A word for one o'clock itself: "в час" is at one, "через час" in an hour."""
_MAX_COUNT: dict[str, int] = {"minute": 24 * 60 * 7, "hour": 24 * 14, "day": 730, "week": 104}
_MAX_COUNT["month"] = 24


@dataclass(frozen=True, slots=True)
class Relative:
    unit: Unit
    count: int


@dataclass(frozen=True, slots=True)
class Span:
    first: Clock
    last: Clock


@dataclass(frozen=True, slots=True)
class DateRef:
    month: int
    day: int
    year: int | None = None


@dataclass(frozen=True, slots=True)
class DayOfMonth:
    day: int


@dataclass(frozen=True, slots=True)
class Offset:
    days: int


@dataclass(frozen=True, slots=True)
class Weekday:
    weekday: int
    in_next_week: bool = False
    weeks_ahead: int = 0
    """ "Friday in two weeks": that weekday in the week two weeks from this one."""


@dataclass(frozen=True, slots=True)
class ThisWeek:
    pass


@dataclass(frozen=True, slots=True)
class NextWeek:
    pass


@dataclass(frozen=True, slots=True)
class Weekend:
    next: bool = False


@dataclass(frozen=True, slots=True)
class WholeMonth:
    month: int


@dataclass(frozen=True, slots=True)
class MonthsAhead:
    count: int


@dataclass(frozen=True, slots=True)
class NthWeekday:
    """ "first Friday of June" (n=1), "last Thursday of April" (n=-1), "the second
    Monday of next month" (month None, months_ahead 1)."""

    n: int
    weekday: int
    month: int | None = None
    months_ahead: int = 0


@dataclass(frozen=True, slots=True)
class MonthDay:
    """ "the 12th of next month": a day of the month ``months_ahead`` from this one."""

    day: int
    months_ahead: int


@dataclass(frozen=True, slots=True)
class DayRange:
    """ "Aug 3-5", "du 4 au 9", "from Monday to Wednesday": whole days, both ends included."""

    first: DaySpec
    last: DaySpec


DaySpec = (
    Offset
    | Weekday
    | DateRef
    | DayOfMonth
    | ThisWeek
    | NextWeek
    | Weekend
    | WholeMonth
    | MonthsAhead
    | NthWeekday
    | MonthDay
    | DayRange
)


@dataclass(frozen=True, slots=True)
class At:
    clock: Clock


@dataclass(frozen=True, slots=True)
class After:
    clock: Clock


@dataclass(frozen=True, slots=True)
class Before:
    clock: Clock


@dataclass(frozen=True, slots=True)
class Between:
    first: Clock
    last: Clock


TimeSpec = At | After | Before | Between


@dataclass(frozen=True, slots=True)
class Wish:
    """Everything a message says about when, before any calendar arithmetic."""

    asap: bool = False
    soon: Relative | None = None
    """"in 2 hours", "in 30 minutes": an exact instant after now."""
    day: DaySpec | None = None
    weekday: int | None = None
    """A weekday said together with a date, to check that they agree."""
    part: str | None = None
    time: TimeSpec | None = None
    later: DaySpec | None = None
    """The last of two days said ("from Tuesday to Thursday"): a move's target."""

    @property
    def said(self) -> bool:
        """Whether the message expressed any time wish at all."""
        return bool(self.asap or self.soon or self.day or self.part or self.time)


Item = Word | Clock | Span | DateRef | DayOfMonth | Relative | NthWeekday | MonthDay | DayRange


def read_wish(words: Sequence[Word], lexicon: Lexicon) -> Wish:
    items: list[Item] = list(words)
    items = _relatives(items)
    items = _clocks(items, lexicon)
    items = _nth_weekdays(items)
    items = _dates(items, lexicon)
    items = _next_month_days(items)
    items = _day_ranges(items)
    items = _bare_clocks(items, lexicon)
    return _collect(items)


# -- helpers ---------------------------------------------------------------------------


def _word(items: Sequence[Item], index: int) -> Word | None:
    if 0 <= index < len(items):
        item = items[index]
        if isinstance(item, Word):
            return item
    return None


def _has(items: Sequence[Item], index: int, *kinds: TagKind) -> bool:
    word = _word(items, index)
    return word is not None and word.has(*kinds)


def _skip(items: Sequence[Item], index: int, *kinds: TagKind) -> int:
    """The first index from ``index`` on whose item is not a word tagged one of ``kinds``."""
    while _has(items, index, *kinds):
        index += 1
    return index


def _back(items: Sequence[Item], index: int, *kinds: TagKind) -> int:
    """The last index before ``index`` whose item is not a word tagged one of ``kinds``."""
    index -= 1
    while _has(items, index, *kinds):
        index -= 1
    return index


def _is_sym(items: Sequence[Item], index: int, symbols: frozenset[str]) -> bool:
    word = _word(items, index)
    return word is not None and word.kind == "sym" and word.text in symbols


def _count(word: Word | None) -> int | None:
    if word is None:
        return None
    if word.has("one"):
        return 1
    return word.number()


# -- pass 1: "in 2 hours" --------------------------------------------------------------


def _relatives(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    index = 0
    while index < len(items):
        found = _relative_at(items, index)
        if found is None:
            out.append(items[index])
            index += 1
        else:
            relative, index = found
            if relative.count <= _MAX_COUNT[relative.unit]:
                out.append(relative)
    return out


def _relative_at(items: Sequence[Item], index: int) -> tuple[Relative, int] | None:
    if _has(items, index, "in"):
        at = _skip(items, index + 1, "article")
        if _has(items, at, "fortnight") or _has(items, _skip(items, at, "one"), "fortnight"):
            return Relative("day", 14), _skip(items, at, "one") + 1
        if _has(items, at, "halfhour"):
            return Relative("minute", 30), at + 1
        count = _count(_word(items, at))
        if count is not None:
            at += 1
        unit = _unit(_word(items, at))
        if unit is not None:
            return Relative(unit, 1 if count is None else count), at + 1
    count = _count(_word(items, index))
    if count is not None and _has(items, index + 2, "fromnow"):
        unit = _unit(_word(items, index + 1))
        if unit is not None:
            return Relative(unit, count), index + 3
    if _has(items, index, "halfhour") and _has(items, index + 1, "fromnow"):
        return Relative("minute", 30), index + 2
    return None


def _unit(word: Word | None) -> Unit | None:
    if word is None:
        return None
    if word.has("week"):
        return "week"
    if word.has("hourword") and word.text in ("h", "ч", "hs", "hrs"):
        return "hour"  # "in 2h", "через 2ч"
    value = word.value("unit")
    if value in ("day", "hour", "minute", "month"):
        return value  # type: ignore[return-value]
    return None


# -- pass 2: clocks and ranges ---------------------------------------------------------


def _clocks(items: list[Item], lexicon: Lexicon) -> list[Item]:
    out: list[Item] = []
    index = 0
    while index < len(items):
        found = _range_at(items, index, lexicon) or _clock_at(items, index, lexicon)
        if found is None:
            out.append(items[index])
            index += 1
        else:
            item, next_index = found
            if isinstance(item, Span) and _has(items, index, "between", "range_from", "from"):
                pass  # the opener is part of the range
            elif _has(items, index, "after", "before", "until", "from", "at"):
                out.append(items[index])  # the qualifier stays for _collect
            out.append(item)
            index = next_index
    return out


def _range_at(items: Sequence[Item], index: int, lexicon: Lexicon) -> tuple[Span, int] | None:
    """ "between 2 and 4", "from 9 to 5", "de 14h à 16h", "с 14 до 16", "2-4pm"."""
    opened = _has(items, index, "between", "from", "range_from")
    start = _skip(items, index + 1, "article") if opened else index
    if not opened and not _opens_bare_range(items, index):
        return None
    if not opened and _word(items, index).kind == "num" and _names_a_day(items, index - 1, lexicon):  # type: ignore[union-attr]
        return None  # "le 12 à 15h", "jeudi 3 à 11h": a date, then a time
    first = _read_clock(items, start, numdate=True)
    if first is None:
        return None
    clock, at = first
    joined = _has(items, at, "and", "to", "until") or _is_sym(items, at, _DASHES)
    if not joined:
        return None
    second = _read_clock(items, _skip(items, at + 1, "article", "at"), numdate=True)
    if second is None:
        return None
    last, end = second
    if _month_follows(items, end) or (not opened and _has(items, index - 1, "month")):
        return None  # "du 12 au 14 janvier", "jan 12-14": days of a month, not hours
    day_before = _has(items, index - 1, "at", "day", "weekday", "part")
    if not opened and not (_marked(clock) or _marked(last) or day_before):
        return None
    return Span(*_share_meridiem(clock, last)), end


def _opens_bare_range(items: Sequence[Item], index: int) -> bool:
    word = _word(items, index)
    if word is None or word.kind not in ("num", "clock"):
        return False
    found = _read_clock(items, index, numdate=False)
    at = index + 1 if found is None else found[1]
    return _is_sym(items, at, _DASHES) or _has(items, at, "to", "until")


def _marked(clock: Clock) -> bool:
    return clock.meridiem is not None or clock.as_written or clock.part is not None


def _share_meridiem(first: Clock, last: Clock) -> tuple[Clock, Clock]:
    """ "2-4pm" is 14–16 and "10-11am" 10–11: a meridiem said once covers both ends
    when that keeps the range in order; "11-1pm" keeps 11 as 11."""
    shares = first.hour % 12 <= last.hour % 12 or last.meridiem == "am"
    if first.meridiem is None and last.meridiem is not None and not first.as_written and shares:
        first = Clock(first.hour, first.minute, last.meridiem, False, first.part)
    if first.part is None and last.part is not None:
        first = Clock(first.hour, first.minute, first.meridiem, first.as_written, last.part)
    return first, last


_CONTEXT: tuple[TagKind, ...] = ("at", "after", "before", "until", "from")


def _clock_at(items: Sequence[Item], index: int, lexicon: Lexicon) -> tuple[Clock, int] | None:
    word = _word(items, index)
    if word is None:
        return None
    if word.has(*_CONTEXT):
        start = _skip(items, index + 1, "article", "at")
        one = _word(items, start)
        if one is not None and one.text in _ONE_OCLOCK and word.text in ("в", "во"):
            return _suffixes(items, start + 1, Clock(1, 0))  # "в час": at one
        found = _read_clock(items, start, numdate=True)
        if found is None or _date_follows(items, found[1]):
            return None  # "на 15 число", "на 3 декабря": a date, not 15:00
        return found
    numdate = word.kind == "numdate" and (
        _has(items, index + 1, "hourword", "meridiem") or not _could_be_date(word.text)
    )
    found = _read_clock(items, index, numdate=numdate)
    if found is None:
        return None
    clock, end = found
    explicit = numdate or word.kind == "clock" or word.has("noon", "midnight", "minutes_before")
    explicit = (
        explicit or clock.minute != 0 or (word.kind == "ordnum" and clock.meridiem is not None)
    )
    if explicit or _said_with_marker(items, index, end):
        return found
    if clock.meridiem is not None:
        return found
    if clock.part is not None and not _names_a_day(items, index - 1, lexicon):
        return found  # "9 in the evening", "7 вечера"; but "el 15 por la tarde" is a date
    return None


def _could_be_date(text: str) -> bool:
    """ "16.45" and "11.30" are no dates (no 45th month, no 30th month): they are times."""
    parts = [part for part in text.replace("/", ".").split(".") if part]
    if len(parts) != 2:
        return True
    first, second = int(parts[0]), int(parts[1])
    if "/" not in text:
        return 1 <= first <= 31 and 1 <= second <= 12  # dots are always day first
    return (1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31)


def _names_a_day(items: Sequence[Item], index: int, lexicon: Lexicon) -> bool:
    """Whether the word before a number makes it a day of the month: "el", "le", "am",
    or a weekday where "jueves 10" is the 10th (Spanish, French, Russian)."""
    return _has(items, index, "dom") or (
        lexicon.code in _WEEKDAY_NUMBER_IS_DATE and _has(items, index, "weekday")
    )


def _date_follows(items: Sequence[Item], at: int) -> bool:
    if _has(items, at, "thru", "until", "to") or _is_sym(items, at, _DASHES):
        following = _word(items, at + 1)  # "с 3 по 5 декабря": days, not 15:00
        if (
            following is not None
            and following.kind == "num"
            and (_month_follows(items, at + 2) or _has(items, at + 2, "dom_after"))
        ):
            return True  # "с 10 по 12 число" too
    return _has(items, at, "dom_after") or _month_follows(items, at)


def _said_with_marker(items: Sequence[Item], start: int, end: int) -> bool:
    """Whether an hour word or minutes ("Uhr", "y media") came with the number."""
    return any(_has(items, i, "hourword", "minutes") for i in range(start, end))


def _read_clock(items: Sequence[Item], index: int, *, numdate: bool) -> tuple[Clock, int] | None:
    """A time of day starting at ``index`` and the index after it; ``numdate`` lets
    "15.30" be a time (it is a date unless an "at" or "Uhr" says otherwise)."""
    word = _word(items, index)
    if word is None:
        return None
    at = index + 1
    if word.has("noon"):
        return _suffixes(items, at, Clock(12, 0, None, True))  # "midi et demi"
    if word.has("midnight"):
        return Clock(0, 0, None, True), at
    past = _minutes_past(items, index)
    if past is not None:
        return past
    if word.has("minutes_before"):
        hour = _count(_word(items, at)) or _ordinal(_word(items, at))
        offset = word.value("minutes_before")
        if hour is None or not isinstance(offset, int) or not 1 <= hour <= 23:
            return None
        around = Clock(hour, offset) if offset > 0 else Clock((hour - 1) or 12, 60 + offset)
        return _suffixes(items, at + 1, around)
    clock = _clock_of(word, numdate=numdate)
    if clock is None:
        return None
    return _suffixes(items, at, clock)


_PAST = frozenset({"past", "after", "nach"})
_TO = frozenset({"to", "til", "till", "vor"})


def _ordinal(word: Word | None) -> int | None:
    value = None if word is None else word.value("ordinal")
    return value if isinstance(value, int) else None


def _minute_count(items: Sequence[Item], index: int) -> tuple[int, int] | None:
    """Minutes said as digits or words ("25", "twenty five", "fünfundzwanzig")."""
    word = _word(items, index)
    if word is None:
        return None
    if word.kind == "num" and not word.tags:
        value = int(word.text)
        return (value, index + 1) if 0 <= value <= 59 else None
    said = word.number()
    if said is None:
        return None
    value = said
    following = _word(items, index + 1)
    unit = following.number() if following is not None and following.kind != "num" else None
    if value in (20, 30, 40, 50) and unit is not None and 1 <= unit <= 9:
        return value + unit, index + 2
    return (value, index + 1) if value <= 59 else None


def _minutes_past(items: Sequence[Item], index: int) -> tuple[Clock, int] | None:
    """ "25 past 4", "ten to 3", "zehn nach 4": minutes, a word that says which side,
    an hour. "to"/"vor" only after minutes in words: "10 to 12" is a range."""
    counted = _minute_count(items, index)
    if counted is None:
        return None
    minutes, at = counted
    side = _word(items, at)
    if side is None or not 1 <= minutes <= 59:
        return None
    words_said = _word(items, index) is not None and _word(items, index).kind != "num"  # type: ignore[union-attr]
    if side.text in _PAST:
        sign = 1
    elif side.text in _TO and words_said:
        sign = -1
    else:
        return None
    hour = _count(_word(items, at + 1))
    if hour is None or not 1 <= hour <= 23:
        return None
    if sign > 0:
        return _suffixes(items, at + 2, Clock(hour, minutes))
    return _suffixes(items, at + 2, Clock((hour - 1) or 12, 60 - minutes))


def _compact(text: str) -> Clock | None:
    """ "1130", "845": an hour and its minutes run together (never a year like 2027)."""
    number = int(text)
    hour, minute = divmod(number, 100)
    if len(text) == 4 and 1900 <= number <= 2100:
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return Clock(hour, minute, None, hour == 0 or hour > 12 or text.startswith("0"))


def _clock_of(word: Word, *, numdate: bool) -> Clock | None:
    text = word.text
    if word.kind == "ordnum" and text.endswith("a") and text[:-1].isdigit() and len(text) <= 3:
        hour = int(text[:-1])  # "8a" in a chat: 8 a.m. (read only where am/pm is English)
        return Clock(hour, 0, "am") if 1 <= hour <= 12 and word.tags == () else None
    if word.kind == "num" and not word.tags and len(text) in (3, 4):
        return _compact(text)
    if word.kind == "clock" or (numdate and word.kind == "numdate"):
        if word.kind == "numdate":
            text = text.removesuffix(".")  # "16.45..." ends a sentence, not a date's month
        hours, _, minutes = text.replace("h", ":").replace(".", ":").partition(":")
        if not minutes.isdigit() or len(minutes) != 2 or ":" in minutes:
            return None
        hour, minute = int(hours), int(minutes)
        if hour > 23 or minute > 59:
            return None
        return Clock(hour, minute, None, hour == 0 or hour > 12 or hours.startswith("0"))
    number = word.number()
    if number is None or number > 23:
        return None
    padded = word.kind == "num" and len(text) == 2 and text.startswith("0")
    return Clock(number, 0, None, number == 0 or number > 12 or padded)


def _suffixes(items: Sequence[Item], at: int, clock: Clock) -> tuple[Clock, int]:
    """Absorb what may follow an hour: minutes, am/pm, "Uhr 30", a part of day."""
    hour, minute, meridiem, as_written, part = (
        clock.hour, clock.minute, clock.meridiem, clock.as_written, clock.part,
    )  # fmt: skip
    _first_suffix = at
    while True:
        word = _word(items, at)
        if word is None:
            break
        if word.has("minutes") and minute == 0:
            offset = word.value("minutes")
            if isinstance(offset, int):
                if offset < 0:
                    hour, minute = (hour - 1) % 24 or 12, 60 + offset
                else:
                    minute = offset
        elif minute == 0 and clock.minute == 0 and at == _first_suffix and _is_minutes(items, at):
            counted = _minute_count(items, at)
            if counted is not None:
                minute, at = counted[0], counted[1] - 1
        elif word.has("meridiem") and meridiem is None and hour <= 12:
            meridiem = "am" if word.value("meridiem") == "am" else "pm"
        elif word.has("hourword"):
            following = _word(items, at + 1)
            if (
                following is not None
                and following.kind == "num"
                and len(following.text) == 2
                and int(following.text) < 60
                and minute == 0
            ):
                minute = int(following.text)
                at += 1
            elif minute == 0 and following is not None and following.has("numword"):
                counted = _minute_count(items, at + 1)  # "seize heures trente", "onze heures cinq"
                if (
                    counted is not None
                    and counted[0] >= 1
                    and not _has(items, counted[1], "unit", "week", "month", "hourword")
                ):
                    minute, at = counted[0], counted[1] - 1
        elif word.has("part") and part is None:
            part_value = word.value("part")
            part = part_value if isinstance(part_value, str) else None
        else:
            break
        at += 1
    return Clock(hour, minute, meridiem, as_written, part), at


def _is_minutes(items: Sequence[Item], at: int) -> bool:
    """Whether the word right after an hour gives its minutes: "4 45", "four forty",
    "eleven fifteen", "16 30"; not "4 people", "3 12" (a date) or "10 2027"."""
    word = _word(items, at)
    if word is None:
        return False
    if word.kind == "num" and not word.tags:
        if len(word.text) != 2 or int(word.text) > 59:
            return False
        return not _has(items, at + 1, "month", "unit", "week", "dom_after")
    value = word.number()
    return (
        value is not None
        and value >= 10
        and word.kind != "num"
        and not _has(items, at + 1, "month", "unit", "week")
    )


# -- pass 3: dates ---------------------------------------------------------------------


def _dates(items: list[Item], lexicon: Lexicon) -> list[Item]:
    out: list[Item] = []
    index = 0
    while index < len(items):
        found = _date_at(items, index, lexicon)
        if found is None:
            out.append(items[index])
            index += 1
        else:
            keep, item, index = found
            if keep is not None:
                out.append(keep)
            out.append(item)
    return out


def _date_at(
    items: Sequence[Item], index: int, lexicon: Lexicon
) -> tuple[Item | None, DateRef | DayOfMonth, int] | None:
    word = _word(items, index)
    if word is None:
        return None
    if word.kind == "iso":
        parts = [int(part) for part in word.text.split("-")]
        return None, DateRef(parts[1], parts[2], parts[0]), index + 1
    if word.kind == "numdate":
        return None, _numeric_date(word.text, lexicon), index + 1
    month_first = _month_first(items, index, lexicon)
    if month_first is not None:
        return None, month_first[0], month_first[1]
    day = _day_number(word)
    if day is None and word.has("numword") and _month_follows(items, index + 1):
        value = word.value("numword")
        day = value if isinstance(value, int) and 1 <= value <= 31 else None  # "el siete de junio"
    if day is not None:
        after = _skip(items, _past_day_word(items, index + 1), "of")
        if _is_sym(items, after, frozenset({"."})):
            after = _skip(items, after + 1, "of")
        named = _word(items, after)
        if named is not None and named.has("month"):
            return None, *_with_year(items, index, after + 1, day, named, lexicon)
    if word.has("dom"):
        target = _word(items, index + 1)
        number = _day_number(target) if target is not None else None
        if number is None and target is not None and target.kind != "num":
            cardinal = target.number() if lexicon.code in _CARDINAL_DAYS else None
            number = cardinal if cardinal is not None and 1 <= cardinal <= 31 else None
        if number is not None and not _month_follows(items, index + 2):
            end = index + 2
            if _is_sym(items, end, frozenset({"."})):
                end += 1
            return None, DayOfMonth(number), end
    if word.kind == "ordnum" and day is not None and not _has(items, index + 1, "filler"):
        return None, DayOfMonth(day), index + 1
    if word.kind == "num" and _has(items, index + 1, "dom_after") and day is not None:
        return None, DayOfMonth(day), index + 2
    if word.has("ordinal") and day is not None and word.text.endswith(_GENITIVE_ORDINAL):
        end = index + 2 if _has(items, index + 1, "dom_after") else index + 1
        return None, DayOfMonth(day), end  # "двадцать второго", "второго числа"
    if word.has("weekday") and lexicon.code in _WEEKDAY_NUMBER_IS_DATE:
        at = _skip(items, index + 1, "article", "dom")
        target = _word(items, at)
        if (
            target is not None
            and target.kind == "num"
            and _day_number_ok(target.text)
            and not _month_follows(items, at + 1)
        ):
            return word, DayOfMonth(int(target.text)), at + 1
    return None


def _month_follows(items: Sequence[Item], at: int) -> bool:
    """Whether a month name comes next, perhaps after "day", "of", "de" or a dot."""
    at = _past_day_word(items, at)
    at = _skip(items, at, "of")
    if _is_sym(items, at, frozenset({"."})):
        at = _skip(items, at + 1, "of")
    return _has(items, at, "month")


def _past_day_word(items: Sequence[Item], at: int) -> int:
    """After "day" and its link in "fourth day of May", "le quatrième jour de mai"."""
    word = _word(items, at)
    if word is None or word.value("unit") != "day":
        return at
    link = _word(items, at + 1)
    return at + 2 if link is not None and link.text in ("de", "d", "del") else at + 1


def _day_number_ok(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 31


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _day_number(word: Word) -> int | None:
    """1–31 as a day of the month: "3", "3rd", "1er", "10-го", "first", "первое"."""
    if word.kind == "num" and not word.tags:
        return int(word.text) if _day_number_ok(word.text) else None
    if word.kind == "ordnum":
        digits = _digits(word.text)
        return int(digits) if _day_number_ok(digits) else None
    value = word.value("ordinal")
    return value if isinstance(value, int) and 1 <= value <= 31 else None


def _month_first(items: Sequence[Item], index: int, lexicon: Lexicon) -> tuple[DateRef, int] | None:
    """ "Dec 3", "December 3rd, 2027", "december the 3rd"."""
    month = _word(items, index)
    if month is None or not month.has("month"):
        return None
    at = _skip(items, index + 1, "article", "dom")
    target = _word(items, at)
    day = _day_number(target) if target is not None else None
    if target is None or day is None or _has(items, at + 1, "month", "hourword", "meridiem"):
        return None
    ref, end = _with_year(items, index, at + 1, day, month, lexicon)
    return ref, end


def _with_year(
    items: Sequence[Item], start: int, at: int, day: int, month: Word, lexicon: Lexicon
) -> tuple[DateRef, int]:
    """The date from ``start`` with a year if one follows; dateparser reads the span."""
    probe = at
    if _is_sym(items, probe, frozenset({","})):
        probe += 1
    probe = _skip(items, probe, "of")
    year_word = _word(items, probe)
    year: int | None = None
    if year_word is not None and year_word.kind == "num" and len(year_word.text) == 4:
        year, at = int(year_word.text), probe + 1
    number = month.value("month")
    own = DateRef(number if isinstance(number, int) else 1, day, year)
    span = " ".join(item.text for item in items[start:at] if isinstance(item, Word))
    parsed = month_date(span, lexicon.code)
    if parsed is None:
        return own, at
    return DateRef(parsed[1], parsed[2], year), at


def _numeric_date(text: str, lexicon: Lexicon) -> DateRef:
    """ "3.12." is 3 December everywhere; "12/3" is 3 December in English only."""
    parts = [int(part) for part in text.replace("/", ".").split(".") if part]
    first, second = parts[0], parts[1]
    if "/" in text and not lexicon.month_day_first:
        first, second = second, first
    if second > 12 >= first:
        first, second = second, first  # "14/3" in en-US, "3/14" elsewhere: one reading only
    year = None
    if len(parts) > 2:
        year = parts[2] + 2000 if parts[2] < 100 else parts[2]
    return DateRef(second, first, year)


# -- weekdays of a month, days of next month, ranges of days ---------------------------

_LINKS = frozenset({"d", "of", "im", "de", "del", "du", "des", "in"})


def _next_month(items: Sequence[Item], at: int) -> int | None:
    """The index after "next month" ("mes que viene", "mois prochain", "nächsten Monats",
    "следующего месяца") said from ``at``, else None."""
    at = _skip(items, at, "of", "article", "dom")
    first, second = _word(items, at), _word(items, at + 1)
    if first is None or second is None:
        return None
    month_word = ("mes", "mois", "monats", "monat", "month", "месяца", "месяц")
    if first.has("next") and (second.value("unit") == "month" or second.text in month_word):
        return at + 2
    if (first.value("unit") == "month" or first.text in month_word) and second.has("next"):
        return at + 2
    return None


def _nth_weekdays(items: list[Item]) -> list[Item]:
    """ "first Friday of June", "el último jueves de abril", "второй понедельник января",
    "the second Monday of next month"."""
    out: list[Item] = []
    index = 0
    while index < len(items):
        word = _word(items, index)
        weekday = _word(items, index + 1)
        n = None
        if word is not None and word.has("last"):
            n = -1
        elif word is not None and word.kind != "num":
            value = _ordinal(word)
            n = value if value is not None and 1 <= value <= 5 else None
        if n is not None and weekday is not None and weekday.has("weekday"):
            at = index + 2
            while (link := _word(items, at)) is not None and (
                link.text in _LINKS or link.has("of", "article")
            ):
                at += 1
            month = _word(items, at)
            ahead = _next_month(items, at)
            if (month is not None and month.has("month")) or ahead is not None:
                number = month.value("month") if month is not None and ahead is None else None
                out.append(
                    NthWeekday(
                        n,
                        _int(weekday.value("weekday")),
                        number if isinstance(number, int) else None,
                        1 if ahead is not None else 0,
                    )
                )
                index = ahead if ahead is not None else at + 1
                continue
        out.append(items[index])
        index += 1
    return out


def _next_month_days(items: list[Item]) -> list[Item]:
    """ "the 12th of next month", "le 12 du mois prochain", "12 числа следующего месяца"."""
    out: list[Item] = []
    index = 0
    while index < len(items):
        item = items[index]
        if isinstance(item, DayOfMonth):
            at = index + 1
            while (link := _word(items, at)) is not None and (
                link.text in _LINKS or (link.has("of", "filler") and link.text == ".")
            ):
                at += 1
            ahead = _next_month(items, at)
            if ahead is not None:
                out.append(MonthDay(item.day, 1))
                index = ahead
                continue
        out.append(item)
        index += 1
    return out


_THRU_WORDS = frozenset({"a", "al", "au", "bis", "по", "на", "to", "till", "until", "thru"})
_OPENERS = frozenset({"from", "del", "du", "de", "vom", "von", "с", "со", "desde", "entre"})


def _day_end(items: Sequence[Item], at: int) -> tuple[DaySpec, int] | None:
    item = items[at] if 0 <= at < len(items) else None
    if isinstance(item, DateRef | DayOfMonth):
        return item, at + 1
    word = _word(items, at)
    if word is None:
        return None
    if word.has("weekday"):
        return Weekday(_int(word.value("weekday"))), at + 1
    if word.has("month") and word.text in _SHADOWED_WEEKDAYS:
        return Weekday(_SHADOWED_WEEKDAYS[word.text]), at + 1  # kept only with a weekday
    if word.kind == "num" and not word.tags and _day_number_ok(word.text):
        end = at + 2 if _is_sym(items, at + 1, frozenset({"."})) else at + 1
        return DayOfMonth(int(word.text)), end
    if word.kind == "ordnum":
        digits = _digits(word.text)
        if _day_number_ok(digits):
            return DayOfMonth(int(digits)), at + 1
    return None


def _day_ranges(items: list[Item]) -> list[Item]:
    """Two days joined by "to", "-", "bis", "au", "al", "по": every day between, both
    included. A bare number needs an opener ("du 4 au 9") or a month on the other end."""
    out: list[Item] = []
    index = 0
    while index < len(items):
        found = _day_range_at(items, index)
        if found is None:
            out.append(items[index])
            index += 1
            continue
        item, index = found
        out.append(item)
    return out


def _day_range_at(items: Sequence[Item], index: int) -> tuple[DayRange, int] | None:
    opener = _word(items, index)
    opened = opener is not None and (opener.text in _OPENERS or opener.has("from", "range_from"))
    start = _skip(items, index + 1, "article", "dom") if opened else index
    first = _day_end(items, start)
    if first is None:
        return None
    spec, at = first
    joiner = _word(items, at)
    dash = _is_sym(items, at, _DASHES)
    hyphened = isinstance(spec, Weekday) and joiner is not None and joiner.has("weekday")
    hyphened = hyphened and joiner.tokens[0].after_hyphen  # type: ignore[union-attr]
    if hyphened:
        second = _day_end(items, at)  # "Di-Do", "вт-чт"
    elif joiner is None or not (dash or joiner.text in _THRU_WORDS or joiner.has("thru", "until")):
        return None
    else:
        second = _day_end(items, _skip(items, at + 1, "article", "dom"))
    if second is None:
        return None
    last, end = second
    bare = isinstance(spec, DayOfMonth) and _word(items, start) is not None
    if isinstance(spec, Weekday) != isinstance(last, Weekday):
        return None
    if isinstance(spec, DayOfMonth) and isinstance(last, DateRef):
        spec = DateRef(last.month, spec.day, last.year)  # "4 a 6 de agosto"
    elif isinstance(spec, DateRef) and isinstance(last, DayOfMonth):
        last = DateRef(spec.month, last.day, spec.year)  # "Aug 3-5"
    elif isinstance(spec, DayOfMonth) and isinstance(last, DayOfMonth):
        if bare and not opened:
            return None  # "3 - 5" alone: hours, a choice or nothing, not days
    elif not (isinstance(spec, DateRef) and isinstance(last, DateRef)) and not isinstance(
        spec, Weekday
    ):
        return None
    return DayRange(spec, last), end


# -- pass 4: "tomorrow 3" --------------------------------------------------------------


def _bare_clocks(items: list[Item], lexicon: Lexicon) -> list[Item]:
    """A number right after a day word or part of day is an hour: "tomorrow 3",
    "Tuesday 4" (in English and German; elsewhere "jueves 10" is the 10th)."""
    out: list[Item] = []
    index = 0
    while index < len(items):
        word = _word(items, index)
        before_day = (
            word is not None
            and word.kind == "num"
            and not word.tags
            and _a_day_follows(items, index + 1)
            and (
                index == 0
                or _has(items, index - 1, "at", "polite", "filler", "yes")
                or _is_sym(items, index - 1, frozenset({",", "!", ".", ":", "-"}))
            )
        )  # "10 tomorrow", "в 10 завтра"
        if before_day and word is not None and 1 <= int(word.text) <= 23:
            out.append(Clock(int(word.text), 0, None, int(word.text) > 12))
            index += 1
            continue
        after_day = _has(items, index - 1, "day", "part") or (
            _has(items, index - 1, "weekday") and lexicon.code not in _WEEKDAY_NUMBER_IS_DATE
        )
        if word is not None and after_day and (word.kind == "num" or word.has("numword")):
            found = _read_clock(items, index, numdate=False)
            if found is not None:
                out.append(found[0])
                index = found[1]
                continue
        out.append(items[index])
        index += 1
    return out


def _a_day_follows(items: Sequence[Item], at: int) -> bool:
    """ "10 tomorrow", "11 on friday", "10 am Freitag": a day right after an hour."""
    if _has(items, at, "day"):
        return True
    word = _word(items, at)
    on = word is not None and (word.text == "on" or word.has("on_day"))
    return on and _has(items, at + 1, "weekday")


# -- collecting ------------------------------------------------------------------------


def _collect(items: Sequence[Item]) -> Wish:
    asap = any(isinstance(item, Word) and item.has("asap") for item in items)
    soon: Relative | None = None
    days: list[DaySpec] = []
    weekday: int | None = None
    week_next = False
    part: str | None = None
    time: TimeSpec | None = None
    for index, item in enumerate(items):
        if isinstance(item, Relative):
            if item.unit in ("hour", "minute"):
                soon = soon or item
            else:
                days.append(_relative_day(item))
        elif isinstance(item, DateRef | DayOfMonth | NthWeekday | MonthDay | DayRange):
            days.append(item)
        elif isinstance(item, Span):
            time = time or Between(item.first, item.last)
        elif isinstance(item, Clock):
            qualified = _qualified(items, index, item)
            if isinstance(time, After) and isinstance(qualified, Before):
                time = Between(time.clock, qualified.clock)  # "not before 2:30 but by 5"
            time = time or qualified
        elif isinstance(item, Word):
            if item.has("day"):
                days.append(Offset(_int(item.value("day"))))
            if item.has("weekday"):
                if weekday is not None:
                    days.append(Weekday(_int(item.value("weekday"))))  # a second weekday
                else:
                    weekday = _int(item.value("weekday"))
            if item.has("week"):
                near = (index - 1, _skip(items, index + 1, "article"))
                if any(_has(items, i, "next") for i in near):
                    days.append(NextWeek())
                    week_next = True
                elif any(_has(items, i, "this") for i in near):
                    days.append(ThisWeek())
            if item.has("weekend"):
                around = (index - 1, index - 2, index + 1)
                days.append(Weekend(next=any(_has(items, i, "next") for i in around)))
            if item.has("month") and _has(items, index - 1, "in", "at"):
                days.append(WholeMonth(_int(item.value("month"))))
            if item.has("part") and part is None:
                value = item.value("part")
                part = value if isinstance(value, str) else None
    if isinstance(time, At | After | Before) and time.clock.part is not None:
        part = part or time.clock.part
    weeks = [item.count for item in items if isinstance(item, Relative) and item.unit == "week"]
    weeks += [_int(w.value("weeks_on")) for w in items if isinstance(w, Word) and w.has("weeks_on")]
    if weekday is not None and weeks and not any(isinstance(d, DateRef | DayOfMonth) for d in days):
        days = [d for d in days if not isinstance(d, Offset)]
        days.insert(0, Weekday(weekday, weeks_ahead=weeks[0]))  # "Friday in two weeks"
    day = _pick_day(days, weekday, week_next)
    check = weekday if isinstance(day, DateRef | DayOfMonth | Offset) else None
    later = day.last if isinstance(day, DayRange) else None
    if later is None and weekday is not None:
        extra = [d for d in days if isinstance(d, Weekday) and d.weekday != weekday]
        later = extra[-1] if extra else None  # "von Dienstag auf Donnerstag"
    return Wish(asap, soon, day, check, part, time, later)


def _int(value: int | str | None) -> int:
    return value if isinstance(value, int) else 0


def _relative_day(relative: Relative) -> DaySpec:
    if relative.unit == "month":
        return MonthsAhead(relative.count)
    return Offset(relative.count * (7 if relative.unit == "week" else 1))


def _qualified(items: Sequence[Item], index: int, clock: Clock) -> TimeSpec:
    before = _back(items, index, "article", "at")
    if _has(items, before, "after", "from"):
        return After(clock)
    if _has(items, before, "before", "until"):
        return Before(clock)
    return At(clock)


def _pick_day(days: list[DaySpec], weekday: int | None, week_next: bool) -> DaySpec | None:
    """One day out of all the day words: a date beats a relative day beats a weekday
    beats a week; a weekday with "next week" is that weekday of next week."""
    for kinds in (
        (DayRange, NthWeekday, MonthDay),
        (DateRef, DayOfMonth),
        (Offset, MonthsAhead),
        (Weekday,),
    ):
        for day in days:
            if isinstance(day, kinds):
                return day
    if weekday is not None:
        return Weekday(weekday, in_next_week=week_next)
    return days[0] if days else None
