"""Interval algebra: hand-picked edge cases, then properties against sets of integers."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.engine import Intervals

Spans = list[tuple[int, int]]


def iv(*spans: tuple[int, int]) -> Intervals:
    return Intervals(spans)


OPS: dict[str, Callable[[Intervals, Intervals], Intervals]] = {
    "|": lambda a, b: a | b,
    "&": lambda a, b: a & b,
    "-": lambda a, b: a - b,
}

BINARY_CASES = [
    # op, left, right, expected
    ("|", [(0, 5)], [(5, 10)], [(0, 10)]),  # touching
    ("|", [(0, 10)], [(2, 3)], [(0, 10)]),  # nested
    ("|", [(0, 5)], [(3, 8)], [(0, 8)]),  # overlapping
    ("|", [(0, 2)], [(4, 6)], [(0, 2), (4, 6)]),  # apart
    ("|", [(0, 2), (4, 6)], [(2, 4)], [(0, 6)]),  # bridging
    ("|", [(0, 5)], [(0, 5)], [(0, 5)]),  # equal
    ("|", [], [(1, 2)], [(1, 2)]),  # empty
    ("|", [], [], []),
    ("&", [(0, 5)], [(5, 10)], []),
    ("&", [(0, 10)], [(2, 3)], [(2, 3)]),
    ("&", [(2, 3)], [(0, 10)], [(2, 3)]),
    ("&", [(0, 5)], [(3, 8)], [(3, 5)]),
    ("&", [(0, 2)], [(4, 6)], []),
    ("&", [(0, 10)], [(1, 2), (3, 4), (9, 12)], [(1, 2), (3, 4), (9, 10)]),
    ("&", [(0, 5)], [(0, 5)], [(0, 5)]),
    ("&", [(0, 5)], [], []),
    ("&", [], [(0, 5)], []),
    ("-", [(0, 5)], [(5, 10)], [(0, 5)]),
    ("-", [(5, 10)], [(0, 5)], [(5, 10)]),
    ("-", [(0, 10)], [(2, 3)], [(0, 2), (3, 10)]),
    ("-", [(2, 3)], [(0, 10)], []),
    ("-", [(0, 5)], [(3, 8)], [(0, 3)]),
    ("-", [(3, 8)], [(0, 5)], [(5, 8)]),
    ("-", [(0, 10)], [(0, 2), (8, 10)], [(2, 8)]),
    ("-", [(0, 4), (6, 10)], [(3, 7)], [(0, 3), (7, 10)]),
    ("-", [(0, 5)], [(0, 5)], []),
    ("-", [(0, 5)], [], [(0, 5)]),
    ("-", [], [(0, 5)], []),
]


@pytest.mark.parametrize(("op", "left", "right", "expected"), BINARY_CASES)
def test_binary_operations(op: str, left: Spans, right: Spans, expected: Spans) -> None:
    assert OPS[op](Intervals(left), Intervals(right)).spans == tuple(expected)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([(5, 8), (0, 2)], [(0, 2), (5, 8)]),  # unsorted
        ([(0, 5), (5, 8)], [(0, 8)]),  # touching
        ([(0, 5), (1, 3)], [(0, 5)]),  # nested
        ([(0, 5), (4, 9), (9, 10)], [(0, 10)]),  # chained
        ([(3, 3), (5, 1)], []),  # empty and reversed spans vanish
        ([], []),
    ],
)
def test_constructor_normalises(spans: Spans, expected: Spans) -> None:
    assert Intervals(spans).spans == tuple(expected)


@pytest.mark.parametrize(
    ("spans", "start", "end", "expected"),
    [
        ([(0, 10)], 0, 10, True),
        ([(0, 10)], 2, 5, True),
        ([(0, 10)], 5, 11, False),
        ([(0, 10)], -1, 3, False),
        ([(0, 10)], 10, 12, False),
        ([(0, 10)], 5, 5, True),  # an empty window always fits
        ([(0, 5), (5, 10)], 3, 7, True),  # touching spans merged
        ([(0, 5), (6, 10)], 3, 7, False),  # a gap of one
        ([(0, 5), (6, 10)], 6, 10, True),
        ([], 1, 2, False),
        ([], 3, 3, True),
        ([(0, 1)], 5, 2, True),  # reversed window is empty
    ],
)
def test_contains(spans: Spans, start: int, end: int, expected: bool) -> None:
    assert Intervals(spans).contains(start, end) is expected


@pytest.mark.parametrize(
    ("spans", "point", "expected"),
    [
        ([(0, 5)], 0, True),
        ([(0, 5)], 4, True),
        ([(0, 5)], 5, False),  # half-open
        ([(0, 5)], -1, False),
        ([(0, 5), (7, 9)], 6, False),
        ([(0, 5), (7, 9)], 7, True),
        ([(0, 5), (7, 9)], 9, False),
        ([], 0, False),
    ],
)
def test_contains_point(spans: Spans, point: int, expected: bool) -> None:
    assert Intervals(spans).contains_point(point) is expected


@pytest.mark.parametrize(
    ("spans", "head", "tail", "expected"),
    [
        ([(0, 10)], 2, 3, [(2, 8)]),  # s = 7 gives [5, 10)
        ([(0, 10)], 5, 5, [(5, 6)]),  # exactly one start fits
        ([(0, 10)], 6, 5, []),  # too long
        ([(0, 10)], 0, 1, [(0, 10)]),
        ([(0, 4), (10, 20)], 1, 2, [(1, 3), (11, 19)]),
        ([(0, 4), (10, 20)], 0, 5, [(10, 16)]),  # the short span drops out
        ([(0, 5), (5, 10)], 0, 10, [(0, 1)]),  # touching spans are one span
        ([], 0, 1, []),
    ],
)
def test_shrink(spans: Spans, head: int, tail: int, expected: Spans) -> None:
    assert Intervals(spans).shrink(head, tail).spans == tuple(expected)


@pytest.mark.parametrize(
    ("spans", "start", "end", "expected"),
    [
        ([(0, 5), (7, 12)], 3, 10, [(3, 5), (7, 10)]),
        ([(0, 5), (7, 12)], 5, 7, []),  # only the gap
        ([(0, 5), (7, 12)], -5, 50, [(0, 5), (7, 12)]),
        ([(0, 5), (7, 12)], 10, 3, []),  # reversed range
        ([(0, 5)], 0, 5, [(0, 5)]),
        ([], 0, 5, []),
    ],
)
def test_clip(spans: Spans, start: int, end: int, expected: Spans) -> None:
    assert Intervals(spans).clip(start, end).spans == tuple(expected)


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ([], []),
        ([[(1, 2)]], [(1, 2)]),
        ([[(0, 2)], [(2, 4)], [(4, 6)]], [(0, 6)]),  # touching chain
        ([[(0, 10)], [(2, 3)], []], [(0, 10)]),  # nested, with an empty set
        ([[(0, 2), (8, 9)], [(1, 5)], [(20, 30)]], [(0, 5), (8, 9), (20, 30)]),
        ([[], []], []),
    ],
)
def test_union_all(sets: list[Spans], expected: Spans) -> None:
    assert Intervals.union_all(Intervals(s) for s in sets).spans == tuple(expected)


def test_small_helpers() -> None:
    a = iv((0, 2), (5, 9))
    assert a.shift(10) == iv((10, 12), (15, 19))
    assert a.total() == 6
    assert len(a) == 2
    assert list(a) == [(0, 2), (5, 9)]
    assert a
    assert not Intervals()
    assert hash(a) == hash(iv((5, 9), (0, 2)))
    assert a != [(0, 2), (5, 9)]
    assert repr(a) == "Intervals([(0, 2), (5, 9)])"


def test_shrink_with_zero_tail_stays_normalised() -> None:
    # Regression: the starts [0, 4) and [4, 7) touched and stayed unmerged.
    assert iv((0, 3), (4, 6)).shrink(0, 0) == iv((0, 7))


# --- properties against a model: the set of integers covered, on a small range ---

LO, HI = -5, 30
spans_strategy = st.lists(st.tuples(st.integers(LO, HI), st.integers(LO, HI)), max_size=6)
sets = spans_strategy.map(Intervals)


def model(intervals: Intervals) -> set[int]:
    return {x for a, b in intervals.spans for x in range(a, b)}


def from_model(points: set[int]) -> Intervals:
    return Intervals((x, x + 1) for x in points)


def assert_normalised(intervals: Intervals) -> None:
    spans = intervals.spans
    assert all(a < b for a, b in spans)
    assert all(b1 < a2 for (_, b1), (a2, _) in pairwise(spans))


@given(spans_strategy)
def test_constructor_matches_model(spans: Spans) -> None:
    result = Intervals(spans)
    assert_normalised(result)
    assert model(result) == {x for a, b in spans for x in range(a, b)}


@given(sets, sets)
def test_operations_match_model(a: Intervals, b: Intervals) -> None:
    for result, expected in [
        (a | b, model(a) | model(b)),
        (a & b, model(a) & model(b)),
        (a - b, model(a) - model(b)),
    ]:
        assert_normalised(result)
        assert result == from_model(expected)


@given(sets, spans_strategy)
def test_without_raw_spans_is_the_difference(a: Intervals, spans: Spans) -> None:
    """Overlapping, unsorted and empty spans, as a resource's bookings may come."""
    result = a.without(spans)
    assert_normalised(result)
    assert result == a - Intervals(spans)


@given(sets, sets)
def test_difference_and_intersection_rebuild_the_set(a: Intervals, b: Intervals) -> None:
    assert (a - b) | (a & b) == a
    assert (a - b) & b == Intervals()


@given(sets, sets, sets)
def test_commutative_and_associative(a: Intervals, b: Intervals, c: Intervals) -> None:
    assert a | b == b | a
    assert a & b == b & a
    assert (a | b) | c == a | (b | c)
    assert (a & b) & c == a & (b & c)
    assert a & (b | c) == (a & b) | (a & c)


@given(sets, st.integers(LO - 2, HI + 2), st.integers(LO - 2, HI + 2))
def test_contains_and_clip_match_model(a: Intervals, start: int, end: int) -> None:
    points = model(a)
    assert a.contains(start, end) == all(x in points for x in range(start, end))
    assert a.contains_point(start) == (start in points)
    clipped = a.clip(start, end)
    assert_normalised(clipped)
    assert model(clipped) == points & set(range(start, end))


@given(sets, st.integers(0, 8), st.integers(0, 8))
def test_shrink_matches_model(a: Intervals, head: int, tail: int) -> None:
    assume(head + tail > 0)  # an empty window fits anywhere, which shrink does not model
    points = model(a)
    result = a.shrink(head, tail)
    assert_normalised(result)
    expected = {
        s
        for s in range(LO - head - tail, HI + head + tail)
        if all(x in points for x in range(s - head, s + tail))
    }
    assert model(result) == expected
    assert all(a.contains(s - head, s + tail) for s in expected)


@given(st.lists(sets, max_size=5))
def test_union_all_matches_folding(many: list[Intervals]) -> None:
    expected = Intervals()
    for s in many:
        expected = expected | s
    result = Intervals.union_all(many)
    assert_normalised(result)
    assert result == expected


@given(sets, st.integers(-10, 10))
def test_shift_and_total_match_model(a: Intervals, delta: int) -> None:
    assert model(a.shift(delta)) == {x + delta for x in model(a)}
    assert a.total() == len(model(a))
