"""What the engine reuses between queries gives the answers it would compute afresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from core.engine import Busy
from core.engine.calendar import _compute_open, open_instants
from core.engine.slots import busy_by_resource
from core.engine.snapshot import Block, Resource
from core.engine.zones import instant_seconds

WEEK = dict.fromkeys(range(5), ((9 * 60, 17 * 60),))
LO = instant_seconds(datetime(2030, 1, 7, tzinfo=UTC))
HI = instant_seconds(datetime(2030, 1, 14, tzinfo=UTC))


def test_open_time_is_reused_only_for_the_same_rules() -> None:
    ana = Resource("ana", "Ana", weekly_hours=WEEK)
    first = open_instants(ana, "Europe/Madrid", LO, HI)
    assert (
        open_instants(Resource("ana", "Ana", weekly_hours=dict(WEEK)), "Europe/Madrid", LO, HI)
        is first
    )
    blocked = replace(
        ana,
        blocks=(Block(datetime(2030, 1, 7, 10), datetime(2030, 1, 7, 12), reason="dentist"),),  # noqa: DTZ001
    )
    after = open_instants(blocked, "Europe/Madrid", LO, HI)
    assert after == _compute_open(blocked, "Europe/Madrid", LO, HI)
    assert after != first
    shorter = replace(ana, weekly_hours={**WEEK, 0: ((9 * 60, 12 * 60),)})
    assert open_instants(shorter, "Europe/Madrid", LO, HI) == _compute_open(
        shorter, "Europe/Madrid", LO, HI
    )
    assert open_instants(shorter, "Europe/Madrid", LO, HI) != first
    assert open_instants(ana, "UTC", LO, HI) != first  # another zone, another answer
    assert not open_instants(replace(ana, active=False), "Europe/Madrid", LO, HI)


def test_busy_seconds_from_the_store_mean_what_the_datetimes_mean() -> None:
    start = datetime(2030, 1, 7, 9, 0, 30, 500, tzinfo=UTC)
    end = datetime(2030, 1, 7, 10, 0, 0, 1, tzinfo=UTC)
    plain = Busy("ana", start, end, 2, "booking 1")
    given = replace(plain, seconds=(instant_seconds(start), instant_seconds(end) + 1))
    assert given == plain  # the seconds are a cache, not part of the value
    for lo, hi in ((LO, HI), (instant_seconds(end), HI), (LO, instant_seconds(start))):
        assert busy_by_resource([given], {"ana"}, lo, hi) == busy_by_resource(
            [plain], {"ana"}, lo, hi
        )
