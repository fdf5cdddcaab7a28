"""What customers write and what the bot must read: the shared phrase table.

Used by ``tests/bot/understand/test_phrases.py`` (each row is a test) and by
``python -m bench.understand`` (accuracy and time per message); it lives with the
benchmarks because they may not import the tests (``tests/test_layers.py``).
Rows are grouped under a heading that fixes the language, ``now`` (UTC) and the business's zone:

    @ en 2026-11-30T10:00:00Z Europe/Berlin      Monday, 11:00 in Berlin

The rows live in ``phrases.txt`` beside this module (a table, no line limit).
A row is ``text | intent | when | also``:

- ``when`` is in the zone's wall-clock time, as a receptionist thinks:
  ``-`` (no time wish), ``at 2026-12-01 15:00`` (exact), ``2026-12-01 00:00
  .. 2026-12-02 00:00`` (window ``[from, to)``), ``now .. 2026-12-01 00:00``
  (a window clipped to now) or ``now ..`` (open-ended). A wall time may carry
  an offset (``2026-10-25 02:30+02:00``) where DST makes it ambiguous.
- ``also`` lists what else is expected, e.g. ``service=haircut
  provider=dr-lee choice=2 command=language language=es conflict``.

Anything not listed is expected to be empty: each row states the full reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.understand import Catalog, Exact, Named, Reading, Window

__all__ = ["CATALOG", "HELDOUT", "MESSAGES", "PHRASES", "TABLE", "Phrase", "load"]

CATALOG = Catalog(
    services=(
        Named("haircut", ("Haircut", "cut", "corte de pelo", "Haarschnitt", "coupe", "стрижка")),
        Named("coloring", ("Hair coloring", "color", "tinte", "Färben", "coloration",
                           "окрашивание")),
        Named("massage", ("Massage", "masaje", "массаж")),
        Named("manicure", ("French manicure", "manicura", "Maniküre", "маникюр")),
        Named("consult", ("Consultation", "consulta", "Beratung", "консультация")),
    ),
    providers=(
        Named("dr-lee", ("Dr Lee",)),
        Named("anna", ("Anna Schmidt",)),
        Named("marie", ("Marie Dubois",)),
        Named("ivan", ("Иван Петров",)),
        Named("carlos", ("Carlos Ruiz",)),
    ),
)  # fmt: skip

TABLE = Path(__file__).with_name("phrases.txt")
MESSAGES_TABLE = Path(__file__).with_name("messages.txt")
"""Whole messages in the style of SMS and chat: the tuning part."""
HELDOUT_TABLE = Path(__file__).with_name("heldout.txt")
"""Messages never used to tune the reader: the held-out part, measured only."""


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    lang: str
    now: datetime
    zone: str
    expected: Reading
    note: str
    """The heading's description of ``now``, for failure messages."""

    @property
    def id(self) -> str:
        return f"{self.lang}:{self.text}@{self.now:%Y%m%dT%H%M}"


def _wall(text: str, zone: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _when(text: str, now: datetime, zone: ZoneInfo) -> Exact | Window | None:
    text = text.strip()
    if text == "-":
        return None
    if text.startswith("at "):
        return Exact(_wall(text[3:], zone))
    start, _, end = text.partition("..")
    first = now if start.strip() == "now" else _wall(start, zone)
    return Window(first, _wall(end, zone) if end.strip() else None)


def _reading(intent: str, when: Exact | Window | None, also: str) -> Reading:
    fields: dict[str, object] = {}
    for item in also.split():
        key, _, value = item.partition("=")
        if key == "conflict":
            fields["date_conflict"] = True
        elif key == "choice":
            fields["choice"] = int(value)
        else:
            fields[key] = value
    return Reading(intent, when=when, **fields)  # type: ignore[arg-type]


def _parse(table: str) -> tuple[Phrase, ...]:
    phrases: list[Phrase] = []
    lang, now, zone, note = "", datetime.min.replace(tzinfo=UTC), ZoneInfo("UTC"), ""
    for line in table.splitlines():
        if not line.strip() or line.startswith("# ") or line == "#":
            continue  # a comment ("#3" is a row: the customer picks option 3)
        if line.startswith("@"):
            parts = line[1:].split(maxsplit=3)
            lang, zone = parts[0], ZoneInfo(parts[2])
            now = datetime.fromisoformat(parts[1].replace("Z", "+00:00"))
            note = parts[3] if len(parts) > 3 else ""
            continue
        if not lang:
            raise ValueError(f"a row before the first heading: {line!r}")
        text, intent, when, also = (cell.strip() for cell in line.split("|"))
        expected = _reading(intent, _when(when, now, zone), also)
        phrases.append(Phrase(text, lang, now, zone.key, expected, note))
    return tuple(phrases)


def load(path: Path) -> tuple[Phrase, ...]:
    """The rows of one table file."""
    return _parse(path.read_text(encoding="utf-8"))


PHRASES = load(TABLE)
MESSAGES = load(MESSAGES_TABLE)
HELDOUT = load(HELDOUT_TABLE)
