"""The JSON in docs/channels/ is what the fakes receive (issue 13: "show the Telegram
keyboard and the Slack blocks as the fake received them"): the same conversation
("haircut on Tuesday afternoon") is sent again, and its offer compared with the first
JSON block of each page. Days, times and instants change with the week the test runs
in, so slot labels and slot values are compared by their form; everything else
(keys, texts, rows, navigation buttons, callback data and action ids) exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.channels.drivers import Driver, open_driver, plain

DOCS = Path(__file__).parents[2] / "docs" / "channels"
LABEL = re.compile(r"^[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2} [AP]M · \S.*$")
VALUE = re.compile(r"^(o:)?slot:\d+:\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00$")


def first_json(page: str) -> Any:
    text = (DOCS / page).read_text(encoding="utf-8")
    found = re.search(r"```json\n(.*?)```", text, flags=re.DOTALL)
    assert found, f"no JSON in {page}"
    return json.loads(found.group(1))


def shape(value: Any) -> Any:
    """``value`` with each slot's label and value replaced by the form it must have."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, str):
        text = plain(value)
        if LABEL.match(text):
            return "<slot label>"
        if VALUE.match(text):
            return "<slot value>"
        return text
    return value


@pytest.fixture
async def offered(
    request: pytest.FixtureRequest, empty_db_url: str, httpserver: Any
) -> AsyncIterator[Driver]:
    async with open_driver(request.param, empty_db_url, httpserver) as driver:
        await driver.say("haircut on Tuesday afternoon")
        yield driver


@pytest.mark.parametrize("offered", ["telegram"], indirect=True)
async def test_the_telegram_keyboard_in_the_docs_is_the_one_sent(offered: Any) -> None:
    documented = first_json("telegram.md")
    sent = offered.fake.of("sendMessage")[-1]
    received = {
        "chat_id": sent.params["chat_id"],
        "text": sent.params["text"],
        "reply_markup": sent.markup,
    }
    assert shape(documented) == shape(received)
    rows = received["reply_markup"]["inline_keyboard"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)


@pytest.mark.parametrize("offered", ["slack"], indirect=True)
async def test_the_slack_blocks_in_the_docs_are_the_ones_posted(offered: Any) -> None:
    """The page's example comes from another business (its own text, four slots left
    out); its blocks, buttons and navigation are the demo business's all the same."""
    documented = first_json("slack.md")
    received = offered.fake.posted("chat.postMessage")[-1]
    assert documented.keys() == received.keys()
    assert received["text"] == received["blocks"][0]["text"]["text"]
    assert documented["text"] == documented["blocks"][0]["text"]["text"]
    section, slots, navigation = received["blocks"]
    doc_section, doc_slots, doc_navigation = documented["blocks"]
    assert shape({**doc_section, "text": {**doc_section["text"], "text": "…"}}) == shape(
        {**section, "text": {**section["text"], "text": "…"}}
    )
    assert {k: v for k, v in doc_slots.items() if k != "elements"} == {
        k: v for k, v in slots.items() if k != "elements"
    }
    shown = [e for e in doc_slots["elements"] if isinstance(e, dict)]
    assert shown
    assert shape(shown) == shape(slots["elements"][: len(shown)])
    assert len(slots["elements"]) == 5  # one actions block holds five buttons
    assert doc_navigation == navigation
