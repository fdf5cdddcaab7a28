"""The console channel: the bot in a terminal, one message per line.

Replies print as text with numbered options; every line goes to the bot as
text, and the bot reads a number as the button at that place (the dialog keeps
the buttons on screen, so the SMS channel gets the same for free). With input piped in it reads one
message per line, so a conversation can be scripted and its transcript
compared. Attachments print as their link (the console cannot save files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.inbound import ChatHandler, Inbound
from bot.replies import Reply

__all__ = ["console_chat", "render"]


def render(replies: Sequence[Reply]) -> str:
    """Replies as the console shows them: text, then ``  1. label`` per option."""
    lines: list[str] = []
    for reply in replies:
        lines.append(f"bot: {reply.text}")
        lines.extend(f"  {i}. {option.label}" for i, option in enumerate(reply.options, 1))
        for attachment in reply.attachments:
            lines.append(f"  [{attachment.filename}] {attachment.url or ''}".rstrip())
    return "\n".join(lines)


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
    replies = await chat.handle(Inbound("console", user, locale=locale, timezone=zone))
    write(render(replies))
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if echo:
            write(f"you: {line}")
        inbound = Inbound("console", user, text=line, locale=locale, timezone=zone)
        write(render(await chat.handle(inbound)))
