"""The hour a written time means: am/pm, then 24-hour phrasing, then part of day, then
the hour rule (1–7 afternoon, 8–11 morning, 12 noon)."""

from __future__ import annotations

from datetime import time

import pytest

from bot.understand.clock import Clock, wall_time


@pytest.mark.parametrize(
    ("clock", "part", "expected"),
    [
        # the hour rule
        (Clock(1), None, time(13)),
        (Clock(4), None, time(16)),
        (Clock(7), None, time(19)),
        (Clock(8), None, time(8)),
        (Clock(11, 30), None, time(11, 30)),
        (Clock(12), None, time(12)),
        # am/pm is stronger than anything
        (Clock(7, 0, "am"), "evening", time(7)),
        (Clock(12, 0, "am"), None, time(0)),
        (Clock(12, 0, "pm"), None, time(12)),
        (Clock(9, 0, "pm"), None, time(21)),
        # 24-hour phrasings as written
        (Clock(15, 0, None, True), None, time(15)),
        (Clock(7, 30, None, True), None, time(7, 30)),
        (Clock(0, 0, None, True), None, time(0)),
        (Clock(15, 0, None, True), "morning", time(15)),
        # a part of day decides am/pm and wins over the hour rule
        (Clock(9), "evening", time(21)),
        (Clock(7), "morning", time(7)),
        (Clock(4), "afternoon", time(16)),
        (Clock(12), "afternoon", time(12)),
        (Clock(11), "night", time(23)),
        (Clock(2), "night", time(2)),
        (Clock(12), "night", time(0)),
        (Clock(9, 0, None, False, "evening"), None, time(21)),
        # no such time
        (Clock(13, 0, "pm"), None, time(13)),
        (Clock(25, 0, None, True), None, None),
    ],
)
def test_wall_time(clock: Clock, part: str | None, expected: time | None) -> None:
    assert wall_time(clock, part) == expected
