"""The "message customer" button of a staff notice in Slack.

The staff notice carries a button whose value is :func:`value_of`
(``message:<manage_token>``). Pressing it opens a Slack form (a modal, callback
:data:`FORM`) asking for the text; the booking's token travels in the form's
``private_metadata``. Sending the form queues the text to the customer on their
own channel (:func:`core.notify.note.queue_note`: the outbox, and the booking's
history names the staff member). As with "mark no-show", only the member of staff
whose calendar the booking is on, or a Slack admin, may; they are told what
happened in a direct message.
"""

from __future__ import annotations

from typing import Any

from channels.slack.render import escape
from channels.slack.staff import Answer, Desk, context_of
from core.bookings import Actor, BookingInfo
from core.errors import NotFound, SlotwiseError
from core.notify.note import MAX_NOTE, queue_note

__all__ = ["FORM", "MESSAGE", "form", "send", "value_of"]

MESSAGE = "message"
"""The value's prefix: ``message:<manage_token>``."""
FORM = "message_customer"
"""The ``callback_id`` of the form; its one input is block :data:`INPUT`, action :data:`TEXT`."""
INPUT = "note"
TEXT = "text"


def value_of(manage_token: str) -> str:
    """The value of the "message customer" button of a booking."""
    return f"{MESSAGE}:{manage_token}"


def token_of(value: str) -> str | None:
    prefix, sep, token = value.partition(":")
    return token if prefix == MESSAGE and sep and 0 < len(token) <= 64 else None


async def _allowed(desk: Desk, user: str, token: str, locale: str | None) -> tuple[
    Answer | None, BookingInfo | None, Actor | None
]:  # fmt: skip
    """The booking and who writes, or the answer saying why not."""
    ctx = await context_of(desk, user, locale)
    _ = ctx.speaker._
    try:
        info = await desk.bookings.get(token)
    except NotFound:
        return Answer(_("This booking does not exist any more.")), None, None
    mine = ctx.who is not None and ctx.who.resource in info.resources
    if not (ctx.admin or mine):
        return Answer(_("You can write only to the customers of your own bookings.")), None, None
    name = ctx.who.name if ctx.who else user
    return None, info, Actor("admin" if ctx.admin and not mine else "staff", name, "slack")


async def form(
    desk: Desk, user: str, value: str, locale: str | None = None
) -> dict[str, Any] | Answer:
    """The form (a Slack view) to write to the customer of the button's booking, or the
    answer saying why ``user`` may not."""
    token = token_of(value) or ""
    refused, info, _actor = await _allowed(desk, user, token, locale)
    if refused is not None or info is None:
        return refused or Answer("")
    ctx = await context_of(desk, user, locale)
    _ = ctx.speaker._
    who = info.customer_name or _("the customer")
    when = ctx.speaker.when(info.start)
    return {
        "type": "modal",
        "callback_id": FORM,
        "private_metadata": token,
        "title": {"type": "plain_text", "text": _("Message customer")[:24]},
        "submit": {"type": "plain_text", "text": _("Send")[:24]},
        "close": {"type": "plain_text", "text": _("Cancel")[:24]},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": escape(
                        _("To {who}, about the booking of {when}:").format(who=who, when=when)
                    ),
                },
            },
            {
                "type": "input",
                "block_id": INPUT,
                "label": {"type": "plain_text", "text": _("Message")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": TEXT,
                    "multiline": True,
                    "max_length": MAX_NOTE,
                },
            },
        ],
    }


def text_of(view: dict[str, Any]) -> str:
    """The text typed into the form."""
    found = view.get("state", {}).get("values", {}).get(INPUT, {}).get(TEXT, {}).get("value")
    return found if isinstance(found, str) else ""


async def send(desk: Desk, user: str, token: str, text: str, locale: str | None = None) -> Answer:
    """Queue the form's text to the booking's customer, if ``user`` may; the answer says
    what happened, in the user's language."""
    refused, info, actor = await _allowed(desk, user, token, locale)
    if refused is not None or info is None or actor is None:
        return refused or Answer("")
    ctx = await context_of(desk, user, locale)
    _ = ctx.speaker._
    who = info.customer_name or _("the customer")
    if not text.strip():
        return Answer(_("The message was empty; nothing was sent."))
    try:
        await queue_note(info.manage_token, text, actor=actor, now=desk.clock())
    except SlotwiseError as error:
        return Answer(_("The message was not sent: {error}").format(error=escape(str(error))))
    return Answer(
        _("Your message to {who} is on its way (on the channel they booked on).").format(
            who=escape(who)
        )
    )
