"""Services and providers by the names the business gave them, and no others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.understand import Catalog, Named, understand

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
CATALOG = Catalog(
    services=(
        Named("haircut", ("Haircut", "hair cut")),
        Named("kids-haircut", ("Kids haircut",)),
        Named("yoga", ("Morning yoga",)),
        Named("massage", ("Massage", "массаж")),
        Named("spa", ("Spa",)),
    ),
    providers=(
        Named("dr-lee", ("Dr. Lee", "Доктор Ли")),
        Named("anna", ("Anna Schmidt", "Анна")),
        Named("ivan", ("Иван",)),
        Named("may", ("May",)),
    ),
)


def read(text: str, lang: str = "en") -> tuple[str | None, str | None]:
    reading = understand(text, now=NOW, zone="UTC", lang=lang, catalog=CATALOG)
    return reading.service, reading.provider


@pytest.mark.parametrize(
    ("text", "lang", "service", "provider"),
    [
        ("HAIRCUT", "en", "haircut", None),
        ("hiarcut", "en", "haircut", None),  # one slip in a 7-letter word
        ("haircuts for two", "en", "haircut", None),  # an ending
        ("a hair cut", "en", "haircut", None),  # written apart
        ("a kids haircut", "en", "kids-haircut", None),  # the fuller name wins
        ("yoga", "en", "yoga", None),  # one distinctive word of the name
        ("morning", "en", None, None),  # a time word never names anything alone
        ("masage", "en", "massage", None),
        ("massaj", "en", None, None),  # two slips in a 7-letter word
        ("на массаже", "ru", "massage", None),
        ("spa day", "en", "spa", None),
        ("spam", "en", None, None),  # three letters: the whole word or nothing
        ("span", "en", None, None),
        ("Dr Lee", "en", None, "dr-lee"),
        ("doctor lee", "en", None, "dr-lee"),
        ("lee", "en", None, "dr-lee"),
        ("leek soup", "en", None, None),
        ("к доктору Ли", "ru", None, "dr-lee"),
        ("есть ли время?", "ru", None, None),  # "ли" is a word, not Dr Lee
        ("anna", "en", None, "anna"),
        ("schmidt", "de", None, "anna"),
        ("у Анны", "ru", None, "anna"),  # declined
        ("к Ивану", "ru", None, "ivan"),
        ("with Ivan", "en", None, None),  # another alphabet is another name
        ("with Анна", "en", None, "anna"),  # the business gave that spelling
        ("may I come?", "en", None, None),  # a month and a verb, not the provider May
    ],
)
def test_names(text: str, lang: str, service: str | None, provider: str | None) -> None:
    assert read(text, lang) == (service, provider)


def test_an_empty_catalog_names_nothing() -> None:
    reading = understand("haircut with Dr Lee", now=NOW, zone="UTC", lang="en")
    assert (reading.intent, reading.service, reading.provider) == ("unknown", None, None)
