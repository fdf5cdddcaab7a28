"""The bot's replies in Telegram's idiom, and the callback data of their buttons.

A reply becomes one text message (options as an inline keyboard, one button a
row; a ``"date"`` hint adds a button that opens an inline calendar; a
``"contact"`` hint a reply keyboard whose button shares the person's own number),
then one document per attachment (the ``.ics``).

Callback data is at most 64 bytes (Telegram refuses longer), so an option's
value travels as it is when it fits (``o:<value>``), else as a short hash
(``h:<16 hex>``) that :func:`resolve` finds again among the options the
conversation shows. The calendar's own buttons (``c:``, ``d:``, ``n``) never
reach the dialog as choices: a month is shown by editing the keyboard, a day
is sent as the date the person picked.

Pure: no I/O, no clock (``today`` is a parameter).
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from babel.dates import format_date, get_day_names

from bot.i18n import gettext_in
from bot.replies import Reply

__all__ = [
    "CALLBACK_BYTES",
    "Document",
    "Pressed",
    "Text",
    "calendar_keyboard",
    "callback_of",
    "parse_callback",
    "render",
    "resolve",
]

CALLBACK_BYTES = 64
"""Telegram's limit on a button's callback data."""
NOOP = "n"

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    markup: Markup | None = None


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content_type: str
    data: bytes


Outgoing = Text | Document


@dataclass(frozen=True, slots=True)
class Pressed:
    """What a pressed button means: ``kind`` is ``"option"`` (``value`` is the option's value),
    ``"hashed"`` (``value`` is the hash to :func:`resolve`), ``"month"`` (``YYYY-MM`` to
    show), ``"day"`` (``YYYY-MM-DD`` picked) or ``"noop"`` (a calendar's label)."""

    kind: str
    value: str = ""


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def callback_of(value: str) -> str:
    """The callback data of an option with ``value``: the value itself when it fits."""
    plain = f"o:{value}"
    if len(plain.encode()) <= CALLBACK_BYTES:
        return plain
    return f"h:{_hash(value)}"


def parse_callback(data: str | None) -> Pressed:
    kind, _sep, rest = (data or "").partition(":")
    match kind:
        case "o" if rest:
            return Pressed("option", rest)
        case "h" if rest:
            return Pressed("hashed", rest)
        case "c" if _month(rest) is not None:
            return Pressed("month", rest)
        case "d" if _day(rest) is not None:
            return Pressed("day", rest)
    return Pressed("noop")


def resolve(key: str, values: Iterable[str]) -> str | None:
    """The value among ``values`` (the options on screen) whose hash is ``key``."""
    return next((v for v in values if _hash(v) == key), None)


def _month(text: str) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        return None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def render(reply: Reply, *, lang: str, today: date) -> list[Outgoing]:
    """One reply as the messages that show it (see the module docstring)."""
    _ = gettext_in(lang)
    markup: Markup | None = None
    rows = [
        [InlineKeyboardButton(text=o.label, callback_data=callback_of(o.value))]
        for o in reply.options
    ]
    if reply.hint == "date":
        label = "\N{CALENDAR} " + _("Pick a date")
        rows.append([InlineKeyboardButton(text=label, callback_data=f"c:{today:%Y-%m}")])
    if rows:
        markup = InlineKeyboardMarkup(inline_keyboard=rows)
    elif reply.hint == "contact":
        share = KeyboardButton(
            text="\N{MOBILE PHONE} " + _("Share my phone number"), request_contact=True
        )
        markup = ReplyKeyboardMarkup(
            keyboard=[[share]], resize_keyboard=True, one_time_keyboard=True
        )
    out: list[Outgoing] = [Text(reply.text, markup)]
    out.extend(Document(a.filename, a.content_type, a.data) for a in reply.attachments)
    return out


def calendar_keyboard(month: str, *, lang: str, today: date) -> InlineKeyboardMarkup:
    """A month as an inline keyboard: ``‹ December 2026 ›``, the weekdays, then the days
    (a day before ``today`` is blank). The arrows show the month before and after."""
    first = _month(month) or today.replace(day=1)
    before = (first.replace(day=1) - date.resolution).replace(day=1)
    after = (first.replace(day=28) + 4 * date.resolution).replace(day=1)
    title = format_date(first, "LLLL y", locale=lang)
    rows: list[list[InlineKeyboardButton]] = [
        [
            _button("\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}", f"c:{before:%Y-%m}"),
            _button(title[:1].upper() + title[1:], NOOP),
            _button("\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}", f"c:{after:%Y-%m}"),
        ],
        [_button(name, NOOP) for name in _weekdays(lang)],
    ]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        rows.append([_day_button(d, first.month, today) for d in week])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _weekdays(lang: str) -> Sequence[str]:
    names = get_day_names("abbreviated", locale=lang)
    return [str(names[i]) for i in range(7)]


def _day_button(day: date, month: int, today: date) -> InlineKeyboardButton:
    if day.month != month or day < today:
        return _button(" ", NOOP)
    return _button(str(day.day), f"d:{day.isoformat()}")


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)
