"""Whatever is typed, ``understand`` answers, quickly, and never with a time in the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.phrases import CATALOG, PHRASES
from bot.understand import LANGUAGES, Exact, Reading, Window, understand, warm_up

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
)
NOWS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis attaches the zones below
    max_value=datetime(2031, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, *(ZoneInfo(zone) for zone in ZONES)]),
    allow_imaginary=False,
)
LANGS = st.sampled_from((*LANGUAGES, "xx", ""))

WORDS = sorted({word for phrase in PHRASES for word in phrase.text.split()})
SOUP = st.lists(
    st.sampled_from(WORDS)
    | st.integers(0, 40).map(str)
    | st.sampled_from([":", "-", ".", "/", "h", "pm", "am", "30", "2027", "1999", "00"]),
    max_size=12,
).map(" ".join)
"""Messages made of the words the table uses: they exercise the grammar's corners."""

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def setup_module() -> None:
    warm_up()


def assert_sound(reading: Reading, now: datetime) -> None:
    """What every reading promises the dialog."""
    when = reading.when
    if isinstance(when, Exact):
        assert when.at.tzinfo is UTC
        assert when.at >= now, "an exact time in the past"
    elif isinstance(when, Window):
        assert when.start.tzinfo is UTC
        assert when.start >= now, "a window that starts before now"
        assert when.end is None or (when.end.tzinfo is UTC and when.end > when.start)
    else:
        assert when is None
    assert (reading.intent == "choice") == (reading.choice is not None)
    if reading.choice is not None:
        assert 1 <= reading.choice <= 99
        assert reading.when is None
    if reading.date_conflict:
        assert reading.when is None
    if reading.language is not None:
        assert reading.command == "language"
        assert reading.language in LANGUAGES
    assert reading.service in (None, *(named.id for named in CATALOG.services))
    assert reading.provider in (None, *(named.id for named in CATALOG.providers))


@SETTINGS
@given(text=st.text(max_size=5000), lang=LANGS, now=NOWS, zone=st.sampled_from(ZONES))
def test_any_text_gets_a_sound_reading(text: str, lang: str, now: datetime, zone: str) -> None:
    assert_sound(understand(text, now=now, zone=zone, lang=lang, catalog=CATALOG), now)


@SETTINGS
@given(text=SOUP, lang=LANGS, now=NOWS, zone=st.sampled_from(ZONES))
def test_time_words_in_any_order_get_a_sound_reading(
    text: str, lang: str, now: datetime, zone: str
) -> None:
    first = understand(text, now=now, zone=zone, lang=lang, catalog=CATALOG)
    assert_sound(first, now)
    assert understand(text, now=now, zone=zone, lang=lang, catalog=CATALOG) == first


IN_MINUTES = {
    "en": "in {n} minutes",
    "es": "en {n} minutos",
    "de": "in {n} Minuten",
    "fr": "dans {n} minutes",
    "ru": "через {n} минут",
}
IN_HOURS = {
    "en": "in {n} hours",
    "es": "dentro de {n} horas",
    "de": "in {n} Stunden",
    "fr": "dans {n} heures",
    "ru": "через {n} часов",
}


@SETTINGS
@given(
    n=st.integers(0, 300),
    lang=st.sampled_from(LANGUAGES),
    hours=st.booleans(),
    now=NOWS,
    zone=st.sampled_from(ZONES),
)
def test_in_n_minutes_or_hours_is_that_instant_never_the_past(
    n: int, lang: str, hours: bool, now: datetime, zone: str
) -> None:
    text = (IN_HOURS if hours else IN_MINUTES)[lang].format(n=n)
    reading = understand(text, now=now, zone=zone, lang=lang)
    assert reading.intent == "book"
    assert isinstance(reading.when, Exact)
    target = now.astimezone(UTC) + timedelta(minutes=n * (60 if hours else 1))  # real time
    assert target <= reading.when.at < target + timedelta(minutes=1)


@SETTINGS
@given(n=st.integers(0, 60), lang=st.sampled_from(LANGUAGES), now=NOWS, zone=st.sampled_from(ZONES))
def test_in_n_days_is_that_whole_local_day(n: int, lang: str, now: datetime, zone: str) -> None:
    text = {"en": "in {n} days", "es": "en {n} días", "de": "in {n} Tagen",
            "fr": "dans {n} jours", "ru": "через {n} дней"}[lang].format(n=n)  # fmt: skip
    reading = understand(text, now=now, zone=zone, lang=lang)
    assert isinstance(reading.when, Window)
    local = ZoneInfo(zone)
    day = now.astimezone(local).date() + timedelta(days=n)
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=local)
    assert reading.when.start == max(midnight.astimezone(UTC), now.astimezone(UTC))
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=local)
    assert reading.when.end == end.astimezone(UTC)
