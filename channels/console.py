"""The console channel: the bot in a terminal, one message per line.

Replies print as text with numbered options; typing a number presses that
button, anything else is sent as text. With input piped in it reads one
message per line, so a conversation can be scripted and its transcript
compared. Attachments print as their link (the console cannot save files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.inbound import ChatHandler, Inbound
from bot.replies import Option, Reply

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


def _inbound(
    line: str, options: Sequence[Option], user: str, locale: str | None, zone: str | None
) -> Inbound:
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return Inbound(
            "console", user, choice=options[int(text) - 1].value, locale=locale, timezone=zone
        )
    return Inbound("console", user, text=line, locale=locale, timezone=zone)


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
    options = _last_options(replies, ())
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if echo:
            write(f"you: {line}")
        replies = await chat.handle(_inbound(line, options, user, locale, zone))
        write(render(replies))
        options = _last_options(replies, options)


def _last_options(replies: Sequence[Reply], before: Sequence[Option]) -> Sequence[Option]:
    for reply in reversed(replies):
        if reply.options:
            return reply.options
    return before if not replies else ()
