"""Every row of the phrase table, read with the test catalog, gives exactly its reading."""

from __future__ import annotations

import pytest

from bench.phrases import CATALOG, PHRASES, Phrase
from bot.understand import reading_json, understand, warm_up


def setup_module() -> None:
    warm_up()


def test_the_table_is_big_enough_in_every_language() -> None:
    per_language = {
        lang: sum(p.lang == lang for p in PHRASES) for lang in ("en", "es", "de", "fr", "ru")
    }
    assert len(PHRASES) >= 300
    assert min(per_language.values()) >= 50, per_language


@pytest.mark.parametrize("phrase", PHRASES, ids=[phrase.id for phrase in PHRASES])
def test_phrase(phrase: Phrase) -> None:
    reading = understand(
        phrase.text, now=phrase.now, zone=phrase.zone, lang=phrase.lang, catalog=CATALOG
    )
    assert reading_json(reading) == reading_json(phrase.expected), phrase.note
    assert reading == phrase.expected
