"""The business file: YAML in, a :class:`Business` out, and back.

The format is the contract in ``shared/spec/business-file.md``. Parsing is all or
nothing: every problem in the file is collected first (shape, values and the
references between sections), so that a person fixing a file sees the whole list
at once, and nothing is imported from a file that has any. Each problem names
its place with a path such as ``resources[2].weekly_hours.mon[0]``.

Pydantic checks the shape of each section; the rules that need the whole file
(unique ids, references, whether a service can ever be booked) are checked on
the raw data afterwards, so that one broken field does not hide the others.

BusinessFileError (an InvalidRequest of :mod:`core.errors`, so a ValueError)
 └── .problems: list[Problem]
"""

from __future__ import annotations

import difflib
import json
import os
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from dateutil.rrule import rrule, rrulestr
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from core.business import (
    DEFAULT_REMINDERS,
    Blackout,
    BookingCustomer,
    BookingRecord,
    Business,
    BusinessInfo,
    ServicePolicy,
)
from core.engine.slots import distinct_choice
from core.engine.snapshot import (
    RESOURCE_KINDS,
    WEEKDAYS,
    Block,
    DayHours,
    Resource,
    ResourceKind,
    Service,
)
from core.errors import InvalidRequest
from core.quiet import DEFAULT_QUIET, QuietHours
from core.text import first_control
from core.text.i18n import LANGUAGES

__all__ = [
    "BusinessFileError",
    "Problem",
    "dump_business",
    "load_business_file",
    "parse_business",
]

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a business file, at ``path`` ('' for the file as a whole)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class BusinessFileError(InvalidRequest):
    """A business file that cannot be imported, with every problem found in it."""

    code = "invalid_business_file"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0].path if problems else ""
        super().__init__("\n".join(str(problem) for problem in problems), field=first or None)


# --- reading YAML -------------------------------------------------------------------------


try:  # libyaml's parser, when PyYAML was built with it, reads big files ten times faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """YAML as a person writing a business file means it.

    YAML 1.1 reads ``13:00`` as the number 780 (base 60), ``no`` and ``on`` as
    booleans, ``010`` as 8 and ``2026-12-24`` as a date. Here only decimal (and hex)
    integers, plain decimals and true/false get a type; everything else stays text,
    so ``mon: [[09:00, 13:00]]`` works unquoted and validation sees what was written.
    A key given twice in one mapping is an error instead of silently winning.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found the key '{key_node.value}' twice",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_REPLACED_TAGS = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
    "tag:yaml.org,2002:yaml",
}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)

_MAX_DEPTH = 40
_MAX_VALUES = 1_000_000


def _load_yaml(text: str) -> tuple[Any, list[Problem]]:
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = exc.problem or exc.context or "unreadable"
        return None, [Problem("", f"YAML error{where}: {what}")]
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return None, [
            Problem("", f"YAML error at line {line}: character #x{code:04x} is not allowed")
        ]
    except yaml.YAMLError as exc:
        return None, [Problem("", f"YAML error: {exc}")]
    except RecursionError:
        return None, [Problem("", "the file nests too deeply to be a business file")]
    if data is None:
        return None, [
            Problem("", "the file is empty; expected a mapping with business, resources, services")
        ]
    if not isinstance(data, dict):
        return None, [
            Problem(
                "",
                "the top level must be a mapping with business, resources, services; "
                f"got {_show(data)}",
            )
        ]
    if not _small_enough(data):
        return None, [
            Problem("", "the file nests too deeply or expands (through YAML aliases) too far")
        ]
    return data, []


def _small_enough(data: Any) -> bool:
    """Guard pydantic against alias bombs and cycles, which YAML can express."""
    count = 0

    def walk(value: Any, depth: int) -> bool:
        nonlocal count
        count += 1
        if count > _MAX_VALUES or depth > _MAX_DEPTH:
            return False
        if isinstance(value, dict):
            return all(walk(k, depth + 1) and walk(v, depth + 1) for k, v in value.items())
        if isinstance(value, list | tuple | set):
            return all(walk(item, depth + 1) for item in value)
        return True

    return walk(data, 0)


# --- single values ------------------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9_-]+")
_TIME = re.compile(r"(\d\d):(\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_WALL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?")
_OFFSET = re.compile(r"(?:Z|z|[+-]\d\d(?::?\d\d)?)$")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_UNTIL = re.compile(r"UNTIL=([^;\s]*)", re.IGNORECASE)
_COLOUR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_ALIASES = 20
MAX_ALIAS_LENGTH = 100


def _fail(message: str, *at: str | int) -> PydanticCustomError:
    """A problem for pydantic to collect; ``at`` continues the path below the value checked."""
    return PydanticCustomError("slotwise", "{message}", {"message": message, "at": at})


def _quote(text: str) -> str:
    return f"'{text if len(text) <= 60 else text[:57] + '...'}'"


def _show(value: object) -> str:
    """A value as the person wrote it, for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {_quote(value)}"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    choices = list(options)
    lowered = {option.lower(): option for option in choices}
    if word.lower() in lowered:
        return f"; did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        hint = re.sub(r"[^a-z0-9_]+", "-", value.lower()).strip("-")
        example = f" (e.g. '{hint}')" if hint else ""
        raise _fail(
            f"{_quote(value)} is not a valid id: use lowercase letters, digits, '-' and '_'"
            + example
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise _fail("must not be empty")
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(value: str) -> str:
    if value not in _zones():
        raise _fail(f"unknown timezone {_quote(value)}{_did_you_mean(value, _zones())}")
    return value


def _locale(value: str) -> str:
    if not _LOCALE.fullmatch(value):
        raise _fail(f"{_quote(value)} is not a language code like 'en' or 'de-AT'")
    return value


def _colour(value: object) -> str:
    """``#rgb`` or ``#rrggbb``, kept as lowercase ``#rrggbb``."""
    if value is None:
        # YAML reads an unquoted `colour: #0f766e` as a comment, leaving nothing.
        raise _fail('expected a colour like "#0f766e"; write it in quotes, as # starts a comment')
    if not isinstance(value, str):
        raise _fail(f'expected a colour like "#0f766e" in quotes, got {_show(value)}')
    match = _COLOUR.fullmatch(value.strip())
    if match is None:
        raise _fail(f'{_quote(value)} is not a colour; write it as "#rrggbb", e.g. "#0f766e"')
    digits = match[1].lower()
    return "#" + (digits if len(digits) == 6 else "".join(digit * 2 for digit in digits))


def _alias(value: str) -> str:
    if not value.strip():
        raise _fail("must not be empty")
    if len(value) > MAX_ALIAS_LENGTH:
        raise _fail(f"{_quote(value)} is longer than {MAX_ALIAS_LENGTH} characters")
    return value


def _aliases(values: list[str]) -> list[str]:
    if len(values) > MAX_ALIASES:
        raise _fail(f"at most {MAX_ALIASES} aliases, got {len(values)}")
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        key = value.casefold()
        if key in first:
            raise _fail(
                f"{_quote(value)} is listed twice (also aliases[{first[key]}]); "
                "aliases are compared ignoring case",
                index,
            )
        first[key] = index
    return values


_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,31}")


MAX_REMINDERS = 10
MAX_REMINDER_MIN = 60 * 24 * 60


def _reminders(values: list[int]) -> list[int]:
    """Minutes before the start, each once, largest first (the order they go out)."""
    if len(values) > MAX_REMINDERS:
        raise _fail(f"at most {MAX_REMINDERS} reminders, got {len(values)}")
    for index, value in enumerate(values):
        if not 1 <= value <= MAX_REMINDER_MIN:
            raise _fail(
                f"{value} is not a number of minutes before the start from 1 to "
                f"{MAX_REMINDER_MIN} (60 days); e.g. 1440 is a day before",
                index,
            )
        if value in values[:index]:
            raise _fail(f"{value} is listed twice (also [{values.index(value)}])", index)
    return sorted(values, reverse=True)


def _staff_email(value: str) -> str:
    """An address staff notices can go to (syntax only), in its normal spelling."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise _fail(f"{_quote(value)} is not an e-mail address: {error}") from None


def _slack_user(value: str) -> str:
    if not _SLACK_USER.fullmatch(value):
        raise _fail(
            f"{_quote(value)} is not a Slack user id; copy it from the person's Slack profile "
            '("Copy member ID"), e.g. "U012AB3CD"'
        )
    return value


def _names(values: dict[str, str]) -> dict[str, str]:
    """``{de: Haarschnitt}``: a name per language we speak, each one a name a person reads."""
    for lang, name in values.items():
        if lang not in LANGUAGES:
            raise _fail(
                f"unknown language {_quote(lang)}{_did_you_mean(lang, LANGUAGES)}; "
                f"use one of {', '.join(LANGUAGES)}",
                lang,
            )
        if not name.strip():
            raise _fail("must not be empty", lang)
        if len(name) > MAX_ALIAS_LENGTH:
            raise _fail(f"{_quote(name)} is longer than {MAX_ALIAS_LENGTH} characters", lang)
        if first_control(name) is not None:
            raise _fail("has a control character; write the name as plain text", lang)
    return values


def _token(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise _fail(
            f"{_quote(value)} is not a manage token: 16 to 64 letters, digits, '-' or '_' "
            "(leave it out and the import makes one)"
        )
    return value


def _kind(value: str) -> str:
    if value not in RESOURCE_KINDS:
        raise _fail(
            f"unknown kind {_quote(value)}{_did_you_mean(value, RESOURCE_KINDS)} "
            f"(kinds are {', '.join(RESOURCE_KINDS)})"
        )
    return value


def _minutes(value: object, role: str) -> int:
    if not isinstance(value, str):
        raise _fail(f'{role} must be a time "HH:MM" in quotes, got {_show(value)}')
    match = _TIME.fullmatch(value)
    if match is None:
        raise _fail(f'{role} {_quote(value)} is not a time "HH:MM" (e.g. "09:00")')
    hours, minutes = int(match[1]), int(match[2])
    if (hours, minutes) == (24, 0):
        if role == "start":
            raise _fail("start 24:00 is not a time of day; 24:00 is allowed only as an end")
        return 1440
    if hours > 23 or minutes > 59:
        raise _fail(f"{role} {_quote(value)} is not a time of day (00:00 to 23:59, or 24:00)")
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _interval(value: object) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(f'expected [start, end] like ["09:00", "12:00"], got {_show(value)}')
    start, end = _minutes(value[0], "start"), _minutes(value[1], "end")
    if end < start:
        raise _fail(f"end {_hhmm(end)} is before start {_hhmm(start)}")
    if end == start:
        raise _fail(f"end {_hhmm(end)} is the same as start; an interval must end after it starts")
    return start, end


def _no_overlap(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    order = sorted(range(len(intervals)), key=lambda i: intervals[i])
    for before, after in pairwise(order):
        if intervals[after][0] < intervals[before][1]:
            first, second = intervals[before], intervals[after]
            raise _fail(
                f"{_hhmm(second[0])}-{_hhmm(second[1])} overlaps "
                f"{_hhmm(first[0])}-{_hhmm(first[1])} at [{before}]",
                after,
            )
    return intervals


def _date_key(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    shown = _quote(value) if isinstance(value, str) else _show(value)
    raise _fail(f"{shown} is not a date YYYY-MM-DD")


def _wall_time(value: object, whose: str = "block times are the resource's") -> datetime:
    """A naive local date and time: block times are the resource's wall clock,
    blackout times the business's."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise _fail(
                f"{value.isoformat()} has a UTC offset; {whose} "
                'local wall time without one, e.g. "2026-12-01T10:00"'
            )
        return value
    if not isinstance(value, str):
        raise _fail(f'expected a local date and time like "2026-12-01T10:00", got {_show(value)}')
    text = value.strip()
    if _WALL.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise _fail(f"{_quote(value)} is not a valid date and time") from None
    offset = _OFFSET.search(text)
    if offset and _WALL.fullmatch(text[: offset.start()]):
        raise _fail(
            f"{_quote(value)} has a UTC offset; {whose} local wall "
            f'time without one, e.g. "{text[: offset.start()]}"'
        )
    raise _fail(f'{_quote(value)} is not a local date and time like "2026-12-01T10:00"')


def _instant(value: object) -> datetime:
    """An aware moment, kept in UTC as the store and the export want it."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        offset = _OFFSET.search(text)
        if _WALL.fullmatch(text):
            raise _fail(f"{_quote(value)} has no UTC offset; add Z (UTC) or an offset like +01:00")
        if offset is None or not _WALL.fullmatch(text[: offset.start()]):
            raise _fail(f'{_quote(value)} is not a date and time like "2026-12-01T08:00:00Z"')
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _fail(f"{_quote(value)} is not a valid date and time") from None
    else:
        raise _fail(f'expected a date and time like "2026-12-01T08:00:00Z", got {_show(value)}')
    if moment.tzinfo is None:
        raise _fail(f"{moment.isoformat()} has no UTC offset; add Z (UTC) or an offset like +01:00")
    return moment.astimezone(UTC)


def _distinct(pool: list[str]) -> list[str]:
    for index, item in enumerate(pool):
        if item in pool[:index]:
            raise _fail(f"{_quote(item)} is listed twice in this pool", index)
    return pool


# --- the shape ----------------------------------------------------------------------------

Slug = Annotated[StrictStr, AfterValidator(_slug)]
Name = Annotated[StrictStr, AfterValidator(_not_blank)]
Ref = Annotated[StrictStr, AfterValidator(_not_blank)]
Zone = Annotated[StrictStr, AfterValidator(_zone)]
Count = Annotated[StrictInt, Field(ge=1)]
Minutes = Annotated[StrictInt, Field(ge=0)]
Interval = Annotated[tuple[int, int], PlainValidator(_interval)]
Day = Annotated[list[Interval], AfterValidator(_no_overlap)]
DateKey = Annotated[date, PlainValidator(_date_key)]
WallTime = Annotated[datetime, PlainValidator(_wall_time)]
BlackoutTime = Annotated[
    datetime,
    PlainValidator(lambda value: _wall_time(value, "blackout times are the business's")),
]
Instant = Annotated[datetime, PlainValidator(_instant)]
Pool = Annotated[list[Ref], Field(min_length=1), AfterValidator(_distinct)]
Aliases = Annotated[list[Annotated[StrictStr, AfterValidator(_alias)]], AfterValidator(_aliases)]
Names = Annotated[dict[StrictStr, StrictStr], AfterValidator(_names)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Quiet(_Model):
    """``{start: "21:00", end: "08:00"}``: quiet from start to end, in the customer's zone."""

    start: Annotated[int, PlainValidator(lambda value: _minutes(value, "start"))]
    end: Annotated[int, PlainValidator(lambda value: _minutes(value, "end") % 1440)]

    def hours(self) -> QuietHours:
        return QuietHours(self.start, self.end)


class _Info(_Model):
    name: Name
    timezone: Zone
    locale: Annotated[StrictStr, AfterValidator(_locale)] = "en"
    colour: Annotated[str | None, PlainValidator(_colour)] = None
    quiet_hours: _Quiet | None = None


class _Week(_Model):
    mon: Day | None = None
    tue: Day | None = None
    wed: Day | None = None
    thu: Day | None = None
    fri: Day | None = None
    sat: Day | None = None
    sun: Day | None = None


class _Block(_Model):
    start: WallTime
    end: WallTime | None = None
    duration_min: Count | None = None
    rrule: StrictStr | None = None
    reason: StrictStr = ""

    @model_validator(mode="after")
    def _check(self) -> _Block:
        if self.rrule is not None:
            if self.end is not None:
                raise _fail("a recurring block takes duration_min, not end", "end")
            if self.duration_min is None:
                raise _fail("missing required field 'duration_min' (a recurring block needs it)")
            _check_rrule(self.rrule, self.start)
        elif self.end is not None and self.duration_min is not None:
            raise _fail("give end or duration_min, not both", "duration_min")
        elif self.end is None and self.duration_min is None:
            raise _fail("missing required field 'end' (or 'duration_min')")
        elif self.end is not None and self.end <= self.start:
            raise _fail(
                f"end {_local_text(self.end)} is not after start {_local_text(self.start)}",
                "end",
            )
        try:
            self.finish()
        except OverflowError:
            raise _fail("duration_min is too large", "duration_min") from None
        return self

    def finish(self) -> datetime:
        if self.end is not None:
            return self.end
        assert self.duration_min is not None  # the model validator saw to it
        return self.start + timedelta(minutes=self.duration_min)


MAX_WINDOW_MIN = 1440
_FREQ = re.compile(r"FREQ=([A-Za-z]+)", re.IGNORECASE)


def _check_rrule(text: str, start: datetime) -> None:
    if not text.strip():
        raise _fail('must not be empty; e.g. "FREQ=WEEKLY;BYDAY=MO"', "rrule")
    if "DTSTART" in text.upper():
        raise _fail("leave DTSTART out: the block's start is its DTSTART", "rrule")
    until = _UNTIL.search(text)
    if until and (until[1].upper().endswith("Z") or "TZID" in text.upper()):
        naive = until[1].rstrip("Zz")
        raise _fail(
            f"UNTIL {until[1]} has a time zone but start is naive local time; "
            f"use a naive UNTIL like {naive}",
            "rrule",
        )
    frequency = _FREQ.search(text)
    if frequency and frequency[1].upper() in ("SECONDLY", "MINUTELY"):
        raise _fail(
            f"FREQ={frequency[1].upper()} repeats too often for a block; "
            "use HOURLY or longer, or a one-off block",
            "rrule",
        )
    try:
        parsed = rrulestr(text, dtstart=start)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise _fail(
            f'{_quote(text)} is not a valid RRULE (e.g. "FREQ=WEEKLY;BYDAY=MO"): {exc}', "rrule"
        ) from None
    if not isinstance(parsed, rrule):
        raise _fail("give a single RRULE (no EXDATE, RDATE or several rules)", "rrule")


class _Resource(_Model):
    id: Slug
    name: Name
    aliases: Aliases = Field(default_factory=list)
    slack_user: Annotated[StrictStr, AfterValidator(_slack_user)] | None = None
    email: Annotated[StrictStr, Field(max_length=254), AfterValidator(_staff_email)] | None = None
    morning_summary: (
        Annotated[int, PlainValidator(lambda value: _minutes(value, "morning_summary") % 1440)]
        | None
    ) = None
    names: Names = Field(default_factory=dict)
    kind: Annotated[StrictStr, AfterValidator(_kind)] = "staff"
    capacity: Count = 1
    timezone: Zone | None = None
    weekly_hours: _Week = _Week()
    date_overrides: dict[DateKey, Day] = Field(default_factory=dict)
    blocks: list[_Block] = Field(default_factory=list)
    active: StrictBool = True


class _Blackout(_Model):
    start: BlackoutTime
    end: BlackoutTime
    reason: StrictStr = ""

    @model_validator(mode="after")
    def _check(self) -> _Blackout:
        if self.end <= self.start:
            raise _fail(
                f"end {_local_text(self.end)} is not after start {_local_text(self.start)}",
                "end",
            )
        return self


class _NoShows(_Model):
    after: Count
    then: Literal["confirm", "refuse_chat"] = "confirm"


class _Service(_Model):
    id: Slug
    name: Name
    aliases: Aliases = Field(default_factory=list)
    names: Names = Field(default_factory=dict)
    duration_min: Count
    buffer_before_min: Minutes = 0
    buffer_after_min: Minutes = 0
    slot_step_min: Count | None = None
    min_notice_min: Minutes = 0
    max_advance_days: Count = 60
    seats: Count = 1
    requires: Annotated[list[Pool], Field(min_length=1)]
    active: StrictBool = True
    cancel_notice_min: Minutes = 0
    reschedule_notice_min: Minutes = 0
    max_reschedules: Minutes | None = None
    blackouts: list[_Blackout] = Field(default_factory=list)
    waitlist: Literal["offer", "book"] = "offer"
    no_shows: _NoShows | None = None
    reminders: Annotated[list[Minutes], AfterValidator(_reminders)] | None = None

    @model_validator(mode="after")
    def _check(self) -> _Service:
        # The engine and the database layer look up to a day around a query for
        # the windows that reach into it; a longer appointment would escape them.
        window = self.buffer_before_min + self.duration_min + self.buffer_after_min
        if window > MAX_WINDOW_MIN:
            raise _fail(
                f"duration_min plus buffers is {window} minutes; at most {MAX_WINDOW_MIN} "
                "(one day) is supported",
                "duration_min",
            )
        return self


class _Customer(_Model):
    name: StrictStr = ""
    phone: StrictStr | None = None
    email: StrictStr | None = None
    locale: StrictStr | None = None
    timezone: StrictStr | None = None


class _Booking(_Model):
    service: Ref
    start: Instant
    resources: Annotated[list[Ref], Field(min_length=1)]
    seats: Count | None = None
    token: Annotated[StrictStr, AfterValidator(_token)] | None = None
    customer: _Customer | None = None


class _File(_Model):
    business: _Info
    resources: list[_Resource]
    services: list[_Service]
    bookings: list[_Booking] = Field(default_factory=list)

    sections: ClassVar[tuple[str, ...]] = ("business", "resources", "services", "bookings")


# --- pydantic's errors in words -----------------------------------------------------------

_FIELDS: dict[tuple[str, ...], type[BaseModel]] = {
    (): _File,
    ("business",): _Info,
    ("business", "quiet_hours"): _Quiet,
    ("resources",): _Resource,
    ("resources", "weekly_hours"): _Week,
    ("resources", "blocks"): _Block,
    ("services",): _Service,
    ("services", "blackouts"): _Blackout,
    ("bookings",): _Booking,
    ("bookings", "customer"): _Customer,
}
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out


def _field_names(parent: Loc) -> tuple[str, ...]:
    model = _FIELDS.get(tuple(part for part in parent if isinstance(part, str)))
    return tuple(model.model_fields) if model else ()


def _problem(error: ErrorDetails) -> Problem:
    loc: Loc = tuple(part for part in error["loc"] if part != "[key]")
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "slotwise":
        return Problem(_path(loc + tuple(ctx["at"])), str(ctx["message"]))
    if kind in {"missing", "extra_forbidden"}:
        parent, field = loc[:-1], str(loc[-1])
        if kind == "missing":
            return Problem(_path(parent), f"missing required field '{field}'")
        names = _field_names(parent)
        if names == tuple(WEEKDAYS):
            message = f"unknown weekday '{field}'{_did_you_mean(field, names)} "
            return Problem(_path(parent), message + f"(days are {' '.join(WEEKDAYS)})")
        return Problem(_path(parent), f"unknown field '{field}'{_did_you_mean(field, names)}")
    messages = {
        "int_type": f"expected a whole number, got {_show(value)}",
        "string_type": f"expected text, got {_show(value)}",
        "bool_type": f"expected true or false, got {_show(value)}",
        "list_type": f"expected a list, got {_show(value)}",
        "dict_type": f"expected a mapping, got {_show(value)}",
        "model_type": f"expected a mapping, got {_show(value)}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}, got {_show(value)}",
        "too_short": "must not be empty",
        "invalid_key": f"keys must be text, got {_show(value)}",
    }
    return Problem(_path(loc), messages.get(kind, error["msg"]))


# --- rules across the file ----------------------------------------------------------------


def _items(data: Mapping[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def _strings(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _pools(value: object) -> list[list[str]] | None:
    if not isinstance(value, list) or not value:
        return None
    pools: list[list[str]] = []
    for pool in value:
        names = _strings(pool)
        if not names:
            return None
        pools.append(names)
    return pools


def _int_or(value: object, default: int) -> int | None:
    if value is None:
        return default
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _all_named(data: Mapping[str, Any], section: str) -> bool:
    items = data.get(section)
    return isinstance(items, list) and all(
        isinstance(item, dict) and isinstance(item.get("id"), str) for item in items
    )


def _unique(
    data: Mapping[str, Any], section: str, key: str, said: Callable[[str, int], str]
) -> Iterator[Problem]:
    """A problem for each item of ``section`` whose ``key`` repeats an earlier item's;
    ``said(value, first index)`` words it."""
    first: dict[str, int] = {}
    for index, item in _items(data, section):
        value = item.get(key)
        if not isinstance(value, str):
            continue
        if value in first:
            yield Problem(f"{section}[{index}].{key}", said(value, first[value]))
        else:
            first[value] = index


def _unique_ids(data: Mapping[str, Any], section: str) -> Iterator[Problem]:
    yield from _unique(
        data, section, "id", lambda ident, i: f"duplicate id '{ident}' (also {section}[{i}])"
    )


def _cross_checks(data: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _unique_ids(data, "resources")
    yield from _unique(
        data,
        "resources",
        "slack_user",
        lambda _, i: f"the same Slack user as resources[{i}]; one person, one resource",
    )
    yield from _unique_ids(data, "services")
    yield from _unique(
        data,
        "bookings",
        "token",
        lambda _, i: f"the same token as bookings[{i}]; each booking has its own",
    )
    capacity: dict[str, int | None] = {}
    for _, item in _items(data, "resources"):
        if isinstance(item.get("id"), str):
            capacity.setdefault(item["id"], _int_or(item.get("capacity"), 1))
    # A resource or service without a readable id has its own problem already; calling
    # every reference to it unknown as well would bury that one in noise.
    all_resources = _all_named(data, "resources")
    all_services = _all_named(data, "services")
    service_pools: dict[str, list[list[str]] | None] = {}
    for index, item in _items(data, "services"):
        where = f"services[{index}]"
        pools = _pools(item.get("requires"))
        if isinstance(item.get("id"), str):
            service_pools.setdefault(item["id"], pools)
        if pools is None:
            continue
        for p, pool in enumerate(pools):
            for r, resource in enumerate(pool):
                if resource not in capacity and all_resources:
                    yield Problem(
                        f"{where}.requires[{p}][{r}]",
                        f"unknown resource {_quote(resource)}{_did_you_mean(resource, capacity)}",
                    )
        if not all(resource in capacity for pool in pools for resource in pool):
            continue
        if distinct_choice(pools) is None:
            yield Problem(
                f"{where}.requires",
                "can never be booked: no choice of different resources fills every pool",
            )
        seats = _int_or(item.get("seats"), 1)
        for p, pool in enumerate(pools):
            sizes = [capacity[resource] for resource in pool]
            if seats is None or None in sizes:
                continue
            largest = max(size for size in sizes if size is not None)
            if seats > largest:
                yield Problem(
                    f"{where}.seats",
                    f"{seats} seats can never be booked: the resources of requires[{p}] "
                    f"({', '.join(pool)}) hold at most {largest}",
                )
    for index, item in _items(data, "bookings"):
        yield from _check_booking(
            f"bookings[{index}]",
            item,
            service_pools if all_services else None,
            capacity if all_resources else None,
        )


def _check_booking(
    where: str,
    item: Mapping[str, Any],
    service_pools: Mapping[str, list[list[str]] | None] | None,
    capacity: Mapping[str, object] | None,
) -> Iterator[Problem]:
    """The references of one booking; ``None`` for a section whose ids are not all known."""
    service = item.get("service")
    if not isinstance(service, str) or not service.strip() or service_pools is None:
        return
    if service not in service_pools:
        suggestion = _did_you_mean(service, service_pools)
        yield Problem(f"{where}.service", f"unknown service {_quote(service)}{suggestion}")
        return
    pools, chosen = service_pools[service], _strings(item.get("resources"))
    if pools is None or not chosen:
        return
    if isinstance(item.get("token"), str):
        # A booking that exists (an export writes its token) was made under the rules
        # of its day; it must name known resources, not fit today's pools.
        for r, resource in enumerate(chosen):
            if capacity is not None and resource not in capacity:
                yield Problem(
                    f"{where}.resources[{r}]",
                    f"unknown resource {_quote(resource)}{_did_you_mean(resource, capacity)}",
                )
        return
    if len(chosen) != len(pools):
        listed = "; ".join(f"requires[{p}]: {', '.join(pool)}" for p, pool in enumerate(pools))
        yield Problem(
            f"{where}.resources",
            f"service '{service}' takes {len(pools)} resource(s), one from each pool "
            f"({listed}); got {len(chosen)}",
        )
        return
    for r, (resource, pool) in enumerate(zip(chosen, pools, strict=True)):
        at = f"{where}.resources[{r}]"
        if capacity is not None and resource not in capacity:
            yield Problem(
                at, f"unknown resource {_quote(resource)}{_did_you_mean(resource, capacity)}"
            )
        elif resource not in pool:
            yield Problem(
                at,
                f"{_quote(resource)} is not in requires[{r}] of service '{service}' "
                f"({', '.join(pool)})",
            )
        elif resource in chosen[:r]:
            yield Problem(
                at,
                f"{_quote(resource)} is already taken for requires[{chosen.index(resource)}]; "
                "each pool needs a different resource",
            )


def _order(problem: Problem) -> tuple[int, int]:
    """Problems in file order, section by section and item by item."""
    match = re.match(r"(\w+)(?:\[(\d+)\])?", problem.path)
    if match is None or match[1] not in _File.sections:
        return (-1, 0)
    return (_File.sections.index(match[1]), int(match[2] or -1))


# --- the types ----------------------------------------------------------------------------


def _day(intervals: list[tuple[int, int]]) -> DayHours:
    return tuple((start, end) for start, end in intervals)


_KINDS: dict[str, ResourceKind] = {kind: kind for kind in RESOURCE_KINDS}


def _resource(model: _Resource) -> Resource:
    week = model.weekly_hours
    return Resource(
        id=model.id,
        name=model.name,
        kind=_KINDS[model.kind],
        capacity=model.capacity,
        timezone=model.timezone,
        weekly_hours={
            number: _day(hours)
            for number, day in enumerate(WEEKDAYS)
            if (hours := getattr(week, day)) is not None
        },
        date_overrides={day: _day(hours) for day, hours in model.date_overrides.items()},
        blocks=tuple(
            Block(start=block.start, end=block.finish(), rrule=block.rrule, reason=block.reason)
            for block in model.blocks
        ),
        active=model.active,
    )


def _service(model: _Service) -> Service:
    return Service(
        id=model.id,
        name=model.name,
        duration_min=model.duration_min,
        requires=tuple(tuple(pool) for pool in model.requires),
        buffer_before_min=model.buffer_before_min,
        buffer_after_min=model.buffer_after_min,
        slot_step_min=model.slot_step_min,
        min_notice_min=model.min_notice_min,
        max_advance_days=model.max_advance_days,
        seats=model.seats,
        active=model.active,
    )


def _business(model: _File) -> Business:
    return Business(
        info=BusinessInfo(
            name=model.business.name,
            timezone=model.business.timezone,
            locale=model.business.locale,
            colour=model.business.colour,
            quiet_hours=(
                model.business.quiet_hours.hours() if model.business.quiet_hours else DEFAULT_QUIET
            ),
        ),
        resources=tuple(_resource(item) for item in model.resources),
        services=tuple(_service(item) for item in model.services),
        bookings=tuple(
            BookingRecord(
                service=item.service,
                start=item.start,
                resources=tuple(item.resources),
                seats=item.seats,
                token=item.token,
                customer=_customer(item.customer),
            )
            for item in model.bookings
        ),
        policies={
            item.id: policy
            for item in model.services
            if (policy := _policy(item)) != ServicePolicy()
        },
        service_aliases={item.id: tuple(item.aliases) for item in model.services if item.aliases},
        resource_aliases={item.id: tuple(item.aliases) for item in model.resources if item.aliases},
        slack_users={item.id: item.slack_user for item in model.resources if item.slack_user},
        service_names={item.id: dict(item.names) for item in model.services if item.names},
        resource_names={item.id: dict(item.names) for item in model.resources if item.names},
        reminders={
            item.id: tuple(item.reminders)
            for item in model.services
            if item.reminders is not None and tuple(item.reminders) != DEFAULT_REMINDERS
        },
        resource_emails={item.id: item.email for item in model.resources if item.email},
        morning_summaries={
            item.id: item.morning_summary
            for item in model.resources
            if item.morning_summary is not None
        },
    )


def _customer(model: _Customer | None) -> BookingCustomer | None:
    if model is None:
        return None
    return BookingCustomer(
        name=model.name,
        phone=model.phone,
        email=model.email,
        locale=model.locale,
        timezone=model.timezone,
    )


def _policy(model: _Service) -> ServicePolicy:
    return ServicePolicy(
        cancel_notice_min=model.cancel_notice_min,
        reschedule_notice_min=model.reschedule_notice_min,
        max_reschedules=model.max_reschedules,
        waitlist=model.waitlist,
        no_show_after=model.no_shows.after if model.no_shows else None,
        no_show_then=model.no_shows.then if model.no_shows else "confirm",
        blackouts=tuple(
            Blackout(start=item.start, end=item.end, reason=item.reason) for item in model.blackouts
        ),
    )


# --- public -------------------------------------------------------------------------------


def parse_business(text: str) -> Business:
    """The business a file describes, or :class:`BusinessFileError` with all its problems."""
    data, problems = _load_yaml(text)
    if problems:
        raise BusinessFileError(problems)
    return _validated(data, problems)


def business_from_document(data: Mapping[str, Any]) -> Business:
    """The business that file data describes (:func:`business_document`, edited), checked
    by the very validator of the business file; :class:`BusinessFileError` names each
    problem with its path in the data."""
    plain = json.loads(json.dumps(data))  # the YAML layer's own types become plain data
    if not _small_enough(plain):
        raise BusinessFileError([Problem("", "the business is too large or too deep")])
    return _validated(plain, [])


def _validated(data: Any, problems: list[Problem]) -> Business:
    model: _File | None = None
    try:
        model = _File.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problem(error) for error in exc.errors())
    problems.extend(_cross_checks(data))
    if problems or model is None:
        raise BusinessFileError(sorted(problems, key=_order))
    return _business(model)


def load_business_file(path: str | os.PathLike[str]) -> Business:
    """:func:`parse_business` of a file, with an unreadable file as one more problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BusinessFileError([Problem("", f"no such file: {os.fspath(path)}")]) from None
    except UnicodeDecodeError as exc:
        raise BusinessFileError(
            [Problem("", f"{os.fspath(path)} is not UTF-8 text (byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise BusinessFileError(
            [Problem("", f"cannot read {os.fspath(path)}: {exc.strerror or exc}")]
        ) from None
    return parse_business(text)


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as the spec writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _Flow(list[Any]):
    """A list written inline: ``["09:00", "12:00"]``."""


class _FlowMap(dict[str, Any]):
    """A mapping written inline: ``{start: ..., end: ...}``."""


class _Quoted(str):
    """Text always in double quotes: times, dates and rules, so no YAML reader retypes them."""

    __slots__ = ()


def _represent_text(dumper: _Dumper, text: str) -> yaml.ScalarNode:
    """Odd characters in double quotes, escaped: plain YAML would fold some of them away."""
    style = None if text.isprintable() else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, True)
)
_Dumper.add_representer(
    _FlowMap, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True)
)
_Dumper.add_representer(
    _Quoted,
    lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"'),
)


def _local_text(moment: datetime) -> str:
    if moment.microsecond:
        return moment.isoformat()
    return moment.isoformat(timespec="seconds" if moment.second else "minutes")


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"booking start {moment.isoformat()} is naive; it must be aware")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def _hours(hours: DayHours) -> _Flow:
    return _Flow(_Flow([_Quoted(_hhmm(start)), _Quoted(_hhmm(end))]) for start, end in hours)


def _block_data(block: Block) -> _FlowMap:
    data = _FlowMap(start=_Quoted(_local_text(block.start)))
    if block.rrule is None:
        data["end"] = _Quoted(_local_text(block.end))
    else:
        length = block.end - block.start
        if length <= timedelta(0) or length % timedelta(minutes=1):
            raise ValueError(f"a recurring block must last whole minutes, not {length}")
        data["duration_min"] = length // timedelta(minutes=1)
        data["rrule"] = _Quoted(block.rrule)
    if block.reason:
        data["reason"] = block.reason
    return data


def _resource_data(
    resource: Resource,
    aliases: Sequence[str],
    names: Mapping[str, str],
    slack_user: str | None = None,
    email: str | None = None,
    morning_summary: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": resource.id, "name": resource.name}
    if names:
        data["names"] = _FlowMap(names)
    if aliases:
        data["aliases"] = _Flow(aliases)
    if slack_user is not None:
        data["slack_user"] = slack_user
    if email is not None:
        data["email"] = email
    if morning_summary is not None:
        data["morning_summary"] = _Quoted(_hhmm(morning_summary))
    data["kind"] = resource.kind
    if resource.capacity != 1:
        data["capacity"] = resource.capacity
    if resource.timezone is not None:
        data["timezone"] = resource.timezone
    if not resource.active:
        data["active"] = False
    if resource.weekly_hours:
        data["weekly_hours"] = {
            WEEKDAYS[day]: _hours(resource.weekly_hours[day])
            for day in sorted(resource.weekly_hours)
        }
    if resource.date_overrides:
        data["date_overrides"] = {
            _Quoted(day.isoformat()): _hours(resource.date_overrides[day])
            for day in sorted(resource.date_overrides)
        }
    if resource.blocks:
        data["blocks"] = [_block_data(block) for block in resource.blocks]
    return data


_SERVICE_DEFAULTS = {
    "buffer_before_min": 0,
    "buffer_after_min": 0,
    "slot_step_min": None,
    "min_notice_min": 0,
    "max_advance_days": 60,
    "seats": 1,
}


_POLICY_DEFAULTS = {
    "cancel_notice_min": 0,
    "reschedule_notice_min": 0,
    "max_reschedules": None,
}


def _service_data(
    service: Service,
    policy: ServicePolicy,
    aliases: Sequence[str],
    names: Mapping[str, str],
    reminders: tuple[int, ...] = DEFAULT_REMINDERS,
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": service.id, "name": service.name}
    if names:
        data["names"] = _FlowMap(names)
    if aliases:
        data["aliases"] = _Flow(aliases)
    data["duration_min"] = service.duration_min
    for field, default in _SERVICE_DEFAULTS.items():
        if getattr(service, field) != default:
            data[field] = getattr(service, field)
    if not service.active:
        data["active"] = False
    data["requires"] = [_Flow(pool) for pool in service.requires]
    for field, default in _POLICY_DEFAULTS.items():
        if getattr(policy, field) != default:
            data[field] = getattr(policy, field)
    if policy.blackouts:
        data["blackouts"] = [_blackout_data(blackout) for blackout in policy.blackouts]
    if policy.waitlist != "offer":
        data["waitlist"] = policy.waitlist
    if policy.no_show_after is not None:
        data["no_shows"] = _FlowMap(after=policy.no_show_after, then=policy.no_show_then)
    if reminders != DEFAULT_REMINDERS:
        data["reminders"] = _Flow(reminders)
    return data


def _blackout_data(blackout: Blackout) -> _FlowMap:
    data = _FlowMap(
        start=_Quoted(_local_text(blackout.start)), end=_Quoted(_local_text(blackout.end))
    )
    if blackout.reason:
        data["reason"] = blackout.reason
    return data


def _booking_data(booking: BookingRecord) -> _FlowMap:
    data = _FlowMap(
        service=booking.service,
        start=_Quoted(_utc_text(booking.start)),
        resources=_Flow(booking.resources),
    )
    if booking.seats is not None:
        data["seats"] = booking.seats
    if booking.token is not None:
        data["token"] = booking.token
    if booking.customer is not None:
        who = booking.customer
        customer = _FlowMap(name=who.name)
        for field in ("phone", "email", "locale", "timezone"):
            if getattr(who, field) is not None:
                customer[field] = _Quoted(getattr(who, field))
        data["customer"] = customer
    return data


def dump_business(business: Business) -> str:
    """The business file of a business; :func:`parse_business` reads it back equal."""
    data = business_document(business)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)


def business_document(business: Business) -> dict[str, Any]:
    """The business as the data of its file (plain dicts, lists and text): what rule
    edits change before :func:`business_from_document` checks the result."""
    info: dict[str, Any] = {"name": business.info.name, "timezone": business.info.timezone}
    if business.info.locale != "en":
        info["locale"] = business.info.locale
    if business.info.colour is not None:
        info["colour"] = _Quoted(business.info.colour)
    if business.info.quiet_hours != DEFAULT_QUIET:
        start, end = business.info.quiet_hours.text()
        info["quiet_hours"] = _FlowMap(start=_Quoted(start), end=_Quoted(end))
    data: dict[str, Any] = {
        "business": info,
        "resources": [
            _resource_data(
                resource,
                business.resource_aliases.get(resource.id, ()),
                business.resource_names.get(resource.id, {}),
                business.slack_users.get(resource.id),
                business.resource_emails.get(resource.id),
                business.morning_summaries.get(resource.id),
            )
            for resource in business.resources
        ],
        "services": [
            _service_data(
                service,
                business.policies.get(service.id, ServicePolicy()),
                business.service_aliases.get(service.id, ()),
                business.service_names.get(service.id, {}),
                business.reminders_of(service.id),
            )
            for service in business.services
        ],
    }
    if business.bookings:
        data["bookings"] = [_booking_data(booking) for booking in business.bookings]
    return data
