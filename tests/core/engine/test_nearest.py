"""nearest(): the slots closest to a wish, on both sides, widening only as needed."""

from __future__ import annotations

from datetime import UTC, datetime

from core.engine import Busy, Resource, Service, Snapshot, nearest

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def salon(busy: tuple[Busy, ...] = ()) -> Snapshot:
    ana = Resource("ana", "Ana", weekly_hours=dict.fromkeys(range(5), ((9 * 60, 17 * 60),)))
    cut = Service("cut", "Haircut", 30, (("ana",),), slot_step_min=15, max_advance_days=20)
    return Snapshot("UTC", {"ana": ana}, {"cut": cut}, busy)


def test_taken_time_gives_the_closest_on_both_sides() -> None:
    taken = Busy("ana", at(2, 15), at(2, 16), 1, "booking 1")
    starts = [s.start for s in nearest(salon((taken,)), "cut", at(2, 15), NOW, n=4)]
    assert starts == [at(2, 14, 30), at(2, 14, 15), at(2, 14), at(2, 16)]


def test_free_target_comes_first() -> None:
    assert nearest(salon(), "cut", at(2, 10), NOW, n=1)[0].start == at(2, 10)


def test_widens_past_a_closed_weekend() -> None:
    # Saturday 5 December: Friday's last slot, and Monday's first so that both sides show.
    starts = [s.start for s in nearest(salon(), "cut", at(5, 12), NOW, n=2)]
    assert starts == [at(4, 16, 30), at(7, 9)]


def test_one_side_only_when_the_other_has_nothing() -> None:
    starts = [s.start for s in nearest(salon(), "cut", at(21, 12), NOW, n=2)]
    assert starts == [at(18, 16, 30), at(18, 16, 15)]


def test_never_before_now_nor_beyond_the_window() -> None:
    starts = [s.start for s in nearest(salon(), "cut", at(1, 8), at(1, 12), n=3)]
    assert starts == [at(1, 12), at(1, 12, 15), at(1, 12, 30)]
    far = nearest(salon(), "cut", datetime(2027, 3, 1, tzinfo=UTC), NOW, n=1)
    assert [s.start for s in far] == [at(18, 16, 30)]
