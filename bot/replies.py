"""What the bot says, in a form every channel can render in its own idiom.

A reply is text plus options (buttons on the web and Telegram, Block Kit in
Slack, a numbered list on SMS and in the console), an optional hint that a
date picker would help, and attachments (the booking's ``.ics``). Nothing here
knows a channel; the text is already translated and its times formatted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Attachment", "Hint", "Option", "Reply", "as_text"]

Hint = Literal["date", "contact"]
"""``"date"``: the bot asked for a day or time; a channel may show a date picker.
``"contact"``: the bot asked for a phone number or e-mail; a channel that can share the
person's own number (Telegram's contact button) may offer that. Channels ignore hints
they have no use for."""


@dataclass(frozen=True, slots=True)
class Option:
    """A button: ``label`` is shown, ``value`` comes back as the inbound ``choice``."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply; ``url`` is where a channel that cannot attach links to."""

    filename: str
    content_type: str
    data: bytes
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    options: tuple[Option, ...] = ()
    hint: Hint | None = None
    attachments: tuple[Attachment, ...] = field(default=())


def as_text(reply: Reply, *, attachments: bool = True) -> str:
    """A reply as one message of a channel without buttons: its text, then ``1. label`` per
    option (the customer answers with the number), then the links of the attachments when
    the channel cannot send files (``attachments=False``). The dialog keeps this within the
    channel's ``max_text``."""
    lines = [reply.text, *(f"{i}. {o.label}" for i, o in enumerate(reply.options, 1))]
    if not attachments:
        lines.extend(a.url for a in reply.attachments if a.url)
    return "\n".join(lines)
