"""What a text asks of the line: carrier words alone, and "stop texting me" in five languages."""

from __future__ import annotations

import pytest

from channels.base import CARRIER_KEYWORDS
from channels.sms.keywords import OPT_IN_WORDS, OPT_OUT_WORDS, request_of


def test_the_words_are_the_carriers() -> None:
    assert OPT_OUT_WORDS | OPT_IN_WORDS <= CARRIER_KEYWORDS


@pytest.mark.parametrize("text", ["STOP", " stop ", "Cancel", "unsubscribe", "STOPALL", "optout"])
def test_an_opt_out_word_alone(text: str) -> None:
    assert request_of(text) == "opt_out_keyword"


@pytest.mark.parametrize("text", ["START", "yes", "Unstop"])
def test_an_opt_in_word_alone(text: str) -> None:
    assert request_of(text) == "opt_in_keyword"


@pytest.mark.parametrize(
    "text",
    [
        "stop texting me",
        "Please don't text me again",
        "keine SMS mehr",
        "Hör auf, mir zu schreiben",
        "deja de escribirme",
        "Ne m'écrivez plus",
        "Хватит мне писать",
    ],
)
def test_stop_written_out(text: str) -> None:
    assert request_of(text) == "opt_out_words"


@pytest.mark.parametrize(
    "text", [None, "", "cancel my booking", "stop at 5pm", "yes please book it", "haircut"]
)
def test_a_message_for_the_bot(text: str | None) -> None:
    assert request_of(text) is None
