"""The console channel: the bot in a terminal, one message per line.

Replies print as text with numbered options; every line goes to the bot as
text, and the bot reads a number as the button at that place (the dialog keeps
the buttons on screen, so the SMS channel gets the same for free). With input piped in it reads one
message per line, so a conversation can be scripted and its transcript
compared. Attachments print as their link (the console cannot save files).
:class:`ConsoleChannel` is the :class:`~channels.base.Channel` of it: numbers, not buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.inbound import ChatHandler, Inbound
from bot.replies import Reply
from bot.traits import ChannelTraits

__all__ = ["CONSOLE", "CONSOLE_TRAITS", "ConsoleChannel", "console_chat", "render"]

CONSOLE = "console"
CONSOLE_TRAITS = ChannelTraits(
    has_buttons=False,
    max_options=9,
    max_text=4000,
    attachments=False,
    reserved_words=frozenset(),
    date_picker=False,
)
"""Numbered options (five slots, three ways to page and the waitlist fit on a screen),
links instead of files, no date picker."""


def render(replies: Sequence[Reply]) -> str:
    """Replies as the console shows them: text, then ``  1. label`` per option."""
    lines: list[str] = []
    for reply in replies:
        lines.append(f"bot: {reply.text}")
        lines.extend(f"  {i}. {option.label}" for i, option in enumerate(reply.options, 1))
        for attachment in reply.attachments:
            lines.append(f"  [{attachment.filename}] {attachment.url or ''}".rstrip())
    return "\n".join(lines)


class ConsoleChannel:
    """The console as a :class:`~channels.base.Channel`: ``send`` prints through ``write``
    (one terminal, so the recipient is only named)."""

    name = CONSOLE
    traits = CONSOLE_TRAITS

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        self._write(render(replies))

    def inbound(
        self,
        user: str,
        text: str | None = None,
        *,
        locale: str | None = None,
        timezone: str | None = None,
    ) -> Inbound:
        """A message typed at the console, with this channel's name and traits."""
        return Inbound(
            self.name, user, text=text, locale=locale, timezone=timezone, traits=self.traits
        )


async def console_chat(
    chat: ChatHandler,
    lines: Iterable[str],
    write: Callable[[str], None],
    *,
    user: str = "console",
    locale: str | None = None,
    zone: str | None = None,
    echo: bool = False,
) -> None:
    """Greet, then answer each line until the input ends. ``echo`` repeats what was typed
    (for piped input, so the transcript reads as a conversation)."""
    console = ConsoleChannel(write)
    replies = await chat.handle(console.inbound(user, locale=locale, timezone=zone))
    write(render(replies))
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if echo:
            write(f"you: {line}")
        inbound = console.inbound(user, line, locale=locale, timezone=zone)
        write(render(await chat.handle(inbound)))
