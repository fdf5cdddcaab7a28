"""The web chat: the page at ``/``, the embeddable ``/widget.js`` and ``POST /chat/messages``.

The page and the widget are plain files (``static/chat.js``, ``static/chat.css``,
``templates/webchat_*``): no build step, no dependencies, no CDN. The widget is
an ``<iframe>`` of ``/?embed=1`` behind a floating button, so another site gets
the very same chat, isolated from its styles and scripts, talking to its own
origin (no CORS). The endpoint turns each message into an ``Inbound`` for the
bot's runner, which the app keeps in its services (``channels.services``)
(anything with the :class:`ChatHandler` shape), and returns its replies.
"""

from bot.inbound import ChatHandler
from channels.webchat.blueprint import CHANNEL, HANDLER, LIMITER, MESSAGES_PER_MINUTE, webchat
from channels.webchat.channel import WEB_TRAITS, WebChat

__all__ = [
    "CHANNEL",
    "HANDLER",
    "LIMITER",
    "MESSAGES_PER_MINUTE",
    "WEB_TRAITS",
    "ChatHandler",
    "WebChat",
    "webchat",
]
