"""The web chat and the console as ``Channel``s: their traits reach the bot, and ``send``."""

from __future__ import annotations

from quart import Quart
from quart.typing import TestClientProtocol as Client

from bot.replies import Option, Reply
from channels.base import Channel
from channels.console import CONSOLE_TRAITS, ConsoleChannel
from channels.webchat import CHANNEL, WEB_TRAITS, WebChat
from tests.channels.test_webchat import SESSION, app, button, client, labels, send, text

__all__ = ["app", "client"]  # the fixtures, shared with the web chat's tests


def test_the_web_chat_and_the_console_are_channels() -> None:
    assert isinstance(WebChat(), Channel)
    assert isinstance(ConsoleChannel(print), Channel)
    assert WEB_TRAITS.has_buttons
    assert WEB_TRAITS.max_options == 8
    assert WEB_TRAITS.date_picker
    assert not CONSOLE_TRAITS.has_buttons


async def test_web_chat_offers_at_most_eight_options_the_rest_behind_more(
    client: Client,
) -> None:
    await send(client)
    helped = await send(client, text="help")
    assert len(labels(helped)) == 8
    assert labels(helped)[-1] == "More"
    rest = await send(client, choice=button(helped, "More"))
    assert "Language" in labels(rest)
    chosen = await send(client, choice=button(rest, "Language"))
    assert "Español" in labels(chosen)


async def test_what_is_sent_to_a_web_session_comes_with_its_next_answer(
    app: Quart, client: Client
) -> None:
    await send(client)
    channel: WebChat = app.extensions[CHANNEL]
    await channel.send(SESSION, [Reply("Reminder: your haircut is tomorrow.")])
    await channel.send("another-session-abcdefghijkl", [Reply("Not for you.")])
    replies = await send(client, text="help")
    assert replies[0]["text"] == "Reminder: your haircut is tomorrow."
    assert "Not for you." not in text(replies)
    assert "Reminder" not in text(await send(client, text="help"))  # delivered once


async def test_the_web_mailbox_is_bounded() -> None:
    channel = WebChat(keep=2, sessions=2)
    for i in range(3):
        await channel.send("a", [Reply(f"{i}")])
    await channel.send("b", [Reply("b")])
    await channel.send("c", [Reply("c", (Option("x", "y"),))])
    assert channel.collect("a") == []  # the oldest session made room
    assert [r.text for r in channel.collect("c")] == ["c"]
    assert channel.collect("c") == []


async def test_the_console_sends_by_printing() -> None:
    printed: list[str] = []
    await ConsoleChannel(printed.append).send("me", [Reply("Hi", (Option("One", "1"),))])
    assert printed == ["bot: Hi\n  1. One"]
