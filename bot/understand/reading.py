"""What the bot understood of one message: the :class:`Reading` and its JSON form.

These types are the contract between understanding and the dialog: plain,
frozen data with every instant aware and in UTC, so the dialog never has to
know which language or zone the customer wrote in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from core.text.i18n import LANGUAGES

__all__ = [
    "LANGUAGES",
    "Catalog",
    "Command",
    "Exact",
    "Intent",
    "Named",
    "Reading",
    "When",
    "Window",
    "reading_json",
    "reading_text",
    "utc_z",
]

Intent = Literal[
    "book", "list", "cancel", "reschedule", "waitlist", "help", "yes", "no", "choice", "unknown"
]
Command = Literal["restart", "human", "language", "earlier", "later", "another_day"]


@dataclass(frozen=True, slots=True)
class Named:
    """A service or provider the business offers."""

    id: str
    names: tuple[str, ...]
    """Its name first, then aliases (any language)."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """The names a message may mention; empty when the bot knows no business yet."""

    services: tuple[Named, ...] = ()
    providers: tuple[Named, ...] = ()


@dataclass(frozen=True, slots=True)
class Exact:
    """One start time the customer asked for."""

    at: datetime
    """Aware, UTC."""


@dataclass(frozen=True, slots=True)
class Window:
    """Acceptable start times ``[start, end)``."""

    start: datetime
    """Aware, UTC; never before the ``now`` the message was read at."""
    end: datetime | None
    """Aware, UTC; ``None`` means open-ended ("as soon as possible")."""


When = Exact | Window


@dataclass(frozen=True, slots=True)
class Reading:
    """The intent of a message and everything it named."""

    intent: Intent
    service: str | None = None
    """A :attr:`Named.id` of the catalog's services."""
    provider: str | None = None
    """A :attr:`Named.id` of the catalog's providers."""
    choice: int | None = None
    """1-based, with intent ``"choice"``."""
    when: When | None = None
    command: Command | None = None
    """Start over, talk to a person, change language, earlier, later, another day."""
    language: str | None = None
    """With command ``"language"``: the language asked for, if named."""
    date_conflict: bool = False
    """A weekday and a date that disagree ("Thursday the 10th" on a Friday): ask."""


def utc_z(moment: datetime) -> str:
    """An instant as the wire writes it (``2026-12-03T14:00:00Z``).

    The same format as ``channels.wire.utc_z``; restated here because the bot
    must not import a channel layer (channels depend on the bot, not back).
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when_json(when: When | None) -> dict[str, object] | None:
    if when is None:
        return None
    if isinstance(when, Exact):
        return {"at": utc_z(when.at)}
    return {"from": utc_z(when.start), "to": None if when.end is None else utc_z(when.end)}


def reading_json(reading: Reading) -> dict[str, object]:
    """The form ``slotwise understand --json`` prints: the five keys of the spec first."""
    return {
        "intent": reading.intent,
        "service": reading.service,
        "provider": reading.provider,
        "choice": reading.choice,
        "when": when_json(reading.when),
        "command": reading.command,
        "language": reading.language,
        "date_conflict": reading.date_conflict,
    }


def reading_text(reading: Reading, zone: str) -> str:
    """A short account for a person (``slotwise understand`` without ``--json``),
    with times in ``zone``'s wall clock and in UTC."""
    lines = [f"intent:   {reading.intent}"]
    for label, value in (
        ("service", reading.service),
        ("provider", reading.provider),
        ("choice", reading.choice),
        ("command", reading.command),
        ("language", reading.language),
    ):
        if value is not None:
            lines.append(f"{label + ':':9} {value}")
    lines.append(f"when:     {_when_text(reading.when, ZoneInfo(zone))}")
    if reading.date_conflict:
        lines.append("note:     the weekday and the date disagree; the bot will ask")
    return "\n".join(lines)


def _when_text(when: When | None, zone: ZoneInfo) -> str:
    if when is None:
        return "no time wish"
    if isinstance(when, Exact):
        return f"at {_local(when.at, zone)} ({utc_z(when.at)})"
    start = f"from {_local(when.start, zone)}"
    if when.end is None:
        return f"{start} on, open-ended ({utc_z(when.start)} ..)"
    return f"{start} to {_local(when.end, zone)} ({utc_z(when.start)} .. {utc_z(when.end)})"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
