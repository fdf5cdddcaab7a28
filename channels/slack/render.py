"""The bot's replies as Block Kit: a section with the text, then rows of buttons.

Slack's limits (https://api.slack.com/reference/block-kit): a section's text is at
most 3000 characters, a button's label 75 and its value 2000. Five buttons fit a
row on a phone, so the options are cut into actions blocks of :data:`PER_ROW`.
Slack cannot carry a file here: an attachment shows as its link (the ``.ics``).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.replies import Reply
from bot.traits import ChannelTraits

__all__ = ["CHOICE", "PER_ROW", "SLACK_TRAITS", "blocks_of", "escape", "fallback_text", "section"]

log = logging.getLogger(__name__)

SLACK_TRAITS = ChannelTraits(
    has_buttons=True,
    max_options=10,
    max_text=3000,
    attachments=False,
    reserved_words=frozenset(),
    date_picker=False,
)
PER_ROW = 5
"""Buttons in one actions block."""
MAX_LABEL = 75
MAX_VALUE = 2000
CHOICE = "choice"
"""The ``action_id`` prefix of a customer's option button (``choice-0``, ``choice-1``...)."""

Block = dict[str, Any]


def escape(text: str) -> str:
    """Text that Slack's mrkdwn shows as written: ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def section(text: str) -> Block:
    """A section of mrkdwn ``text`` (already escaped), cut to Slack's 3000 characters."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": (text or " ")[:3000]}}


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    found: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label[:MAX_LABEL], "emoji": True},
        "value": value,
    }
    if style is not None:
        found["style"] = style
    return found


def fallback_text(reply: Reply) -> str:
    """What a notification or a client without blocks shows: the text and the links."""
    links = [a.url for a in reply.attachments if a.url]
    return "\n".join([reply.text, *links])[:3000]


def blocks_of(reply: Reply) -> list[Block]:
    """One reply as blocks: its text (with the attachments' links), then its options."""
    blocks = [section(escape(fallback_text(reply)))]
    options = [o for o in reply.options if 0 < len(o.value) <= MAX_VALUE]
    if len(options) < len(reply.options):
        log.warning("a Slack button's value is empty or over %d characters; left out", MAX_VALUE)
    for row in range(0, len(options), PER_ROW):
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{CHOICE}s-{row // PER_ROW}",
                "elements": [
                    button(option.label, f"{CHOICE}-{row + i}", option.value)
                    for i, option in enumerate(options[row : row + PER_ROW])
                ],
            }
        )
    return blocks
