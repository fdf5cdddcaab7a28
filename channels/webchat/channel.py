"""The web chat as a :class:`~channels.base.Channel`: buttons, eight options, a date picker.

The page only asks (``POST /chat/messages``) and the server only answers, so an
outbound message waits in a mailbox for the session's next message and is
answered before the bot's replies. The mailbox is in this process's memory and
bounded (a session keeps its last ``KEEP`` messages; at most ``SESSIONS``
sessions wait, the oldest dropped first): a web chat session is anonymous and
short-lived, so reminders that must arrive go by SMS or e-mail, not here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from bot.replies import Reply
from bot.traits import ChannelTraits

__all__ = ["WEB", "WEB_TRAITS", "WebChat"]

WEB = "web"
WEB_TRAITS = ChannelTraits(
    has_buttons=True,
    max_options=8,
    max_text=2000,
    attachments=True,
    reserved_words=frozenset(),
    date_picker=True,
)
KEEP = 20
SESSIONS = 10_000


class WebChat:
    name = WEB
    traits = WEB_TRAITS

    def __init__(self, *, keep: int = KEEP, sessions: int = SESSIONS) -> None:
        self._keep = keep
        self._sessions = sessions
        self._waiting: OrderedDict[str, list[Reply]] = OrderedDict()

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        waiting = self._waiting.pop(recipient, [])
        waiting = [*waiting, *replies][-self._keep :]
        self._waiting[recipient] = waiting
        while len(self._waiting) > self._sessions:
            self._waiting.popitem(last=False)

    def collect(self, session: str) -> list[Reply]:
        """The replies waiting for ``session``, oldest first; the mailbox is then empty."""
        return self._waiting.pop(session, [])
