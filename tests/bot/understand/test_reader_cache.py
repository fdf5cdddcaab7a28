"""The reader keeps each message's clock-free reading: it must never keep what the clock,
the zone or the business's names decide."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.understand import Catalog, Exact, Named, Window, understand
from bot.understand.reader import _read

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday
TEXTS = (
    "hello",
    "tomorrow at 3",
    "in 2 hours",
    "asap",
    "haircut on Friday afternoon",
    "Tuesday 3 December at 10",
    "move it from Tuesday to Thursday",
    "2",
    "next week after 4pm",
    "cancel",
)
NOWS = (
    NOW,
    NOW + timedelta(days=1, hours=7),
    NOW + timedelta(days=400),
    datetime(2024, 11, 1, tzinfo=UTC),
)
CATALOG = Catalog(services=(Named("haircut", ("Haircut",)), Named("yoga", ("Yoga",))))


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    _read.cache_clear()
    yield
    _read.cache_clear()


def _fresh(text: str, now: datetime, zone: str, catalog: Catalog) -> object:
    _read.cache_clear()
    return understand(text, now=now, zone=zone, lang="en", catalog=catalog)


def test_a_kept_reading_is_the_one_read_afresh_at_any_clock_and_zone() -> None:
    for text in TEXTS:
        for zone in ("Europe/Berlin", "Pacific/Auckland"):
            for now in NOWS:
                understand(text, now=NOWS[0], zone="UTC", lang="en", catalog=CATALOG)
                hits = _read.cache_info().hits
                kept = understand(text, now=now, zone=zone, lang="en", catalog=CATALOG)
                assert _read.cache_info().hits == hits + 1  # served from the cache
                assert kept == _fresh(text, now, zone, CATALOG), (text, zone, now)


def test_the_same_words_a_day_later_mean_the_next_day() -> None:
    first = understand("tomorrow at 3pm", now=NOW, zone="UTC", lang="en").when
    later = understand("tomorrow at 3pm", now=NOW + timedelta(days=1), zone="UTC", lang="en").when
    assert first == Exact(datetime(2026, 12, 1, 15, tzinfo=UTC))
    assert later == Exact(datetime(2026, 12, 2, 15, tzinfo=UTC))


def test_a_date_that_was_free_of_conflict_last_year_is_not_kept_so() -> None:
    # 3 December is a Tuesday in 2024 and a Thursday in 2026.
    then = understand(
        "Tuesday 3 December", now=datetime(2024, 11, 1, tzinfo=UTC), zone="UTC", lang="en"
    )
    now = understand("Tuesday 3 December", now=NOW, zone="UTC", lang="en")
    assert not then.date_conflict
    assert isinstance(then.when, Window)
    assert now.date_conflict


def test_a_new_catalog_is_read_anew() -> None:
    before = understand("yoga tomorrow", now=NOW, zone="UTC", lang="en", catalog=CATALOG)
    renamed = Catalog(services=(Named("stretch", ("Yoga",)),))
    after = understand("yoga tomorrow", now=NOW, zone="UTC", lang="en", catalog=renamed)
    assert (before.service, after.service) == ("yoga", "stretch")
    assert understand("yoga tomorrow", now=NOW, zone="UTC", lang="en").service is None


def test_each_language_reads_for_itself() -> None:
    assert understand("mañana", now=NOW, zone="UTC", lang="es").when is not None
    assert understand("mañana", now=NOW, zone="UTC", lang="en") == _fresh(
        "mañana", NOW, "UTC", Catalog()
    )
