"""The promises the dialog relies on: a pure function with a fixed JSON form."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import bot.understand
from bot.understand import Exact, Reading, Window, reading_json, understand
from channels.wire import utc_z

PACKAGE = Path(bot.understand.__file__).parent
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_no_module_reads_the_clock_or_does_io() -> None:
    """Pure: the same text at the same ``now`` is the same reading, in tests and in prod."""
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("now", "today", "utcnow"):
                pytest.fail(f"{path.name}:{node.lineno} reads the clock")
            if isinstance(node, ast.Name) and node.id in ("open", "print", "input"):
                pytest.fail(f"{path.name}:{node.lineno} does I/O")


def test_now_in_any_zone_is_the_same_instant() -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    for text in ("tomorrow at 3", "in 2 hours", "today", "asap"):
        assert understand(text, now=tokyo, zone="Europe/Berlin", lang="en") == understand(
            text, now=NOW, zone="Europe/Berlin", lang="en"
        )


def test_an_unknown_language_is_read_as_english() -> None:
    assert understand("tomorrow", now=NOW, zone="UTC", lang="pt") == understand(
        "tomorrow", now=NOW, zone="UTC", lang="en"
    )


def test_a_naive_now_or_an_unknown_zone_is_the_callers_mistake() -> None:
    with pytest.raises(ValueError, match="aware"):
        understand("hi", now=NOW.replace(tzinfo=None), zone="UTC", lang="en")
    with pytest.raises(ValueError, match="time zone"):
        understand("hi", now=NOW, zone="Mars/Olympus", lang="en")


def test_json_form() -> None:
    assert reading_json(Reading("choice", choice=2)) == {
        "intent": "choice", "service": None, "provider": None, "choice": 2, "when": None,
        "command": None, "language": None, "date_conflict": False,
    }  # fmt: skip
    at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert reading_json(Reading("book", when=Exact(at)))["when"] == {"at": utc_z(at)}
    window = Window(at, None)
    assert reading_json(Reading("book", when=window))["when"] == {"from": utc_z(at), "to": None}


def test_dates_are_read_only_in_the_first_300_characters() -> None:
    late = "x " * 200 + "tomorrow"
    assert understand(late, now=NOW, zone="UTC", lang="en").when is None
    assert understand("tomorrow " + "x " * 200, now=NOW, zone="UTC", lang="en").when
