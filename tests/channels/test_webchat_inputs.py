"""Bodies the web chat's endpoint cannot read, found by an outside probe: each is a 4xx
problem, never the 500 HTML page, and never reaches the bot."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from tests.channels.test_webchat import SESSION, app, assert_problem, client, conversation_of

__all__ = ["app", "client"]  # the fixtures, shared with test_webchat

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("data", [b"\xff\xfe", b"\xff\xfe{\x00}\x00", b'{"session": "\xff"}'])
async def test_a_body_that_is_not_utf8_is_refused(app: Quart, client: Client, data: bytes) -> None:
    """``\\xff\\xfe`` used to raise UnicodeDecodeError past the handler: a 500 HTML page."""
    response = await client.post("/chat/messages", data=data, headers=JSON)
    await assert_problem(response, 400)


@pytest.mark.parametrize("depth", [20_000, 100])
async def test_json_nested_deeply_is_refused(app: Quart, client: Client, depth: int) -> None:
    """20,000 nested arrays used to end in a RecursionError: a 500 HTML page."""
    data = '{"session": "' + SESSION + '", "text": ' + "[" * depth + "]" * depth + "}"
    response = await client.post("/chat/messages", data=data, headers=JSON)
    await assert_problem(response, 400)
    assert await conversation_of(app, SESSION) is None
