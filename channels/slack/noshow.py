"""The "mark no-show" button of a staff notice in Slack.

The staff notice (rendered by the notifications' Slack renderer) carries a button
whose ``action_id`` is :data:`NOSHOW` and whose ``value`` is :func:`value_of`
(``noshow:<manage_token>``). Pressing it marks the booking a no-show through the
booking service (actor staff or admin, channel slack): only the member of staff
whose calendar the booking is on, or a Slack admin (``SLOTWISE_SLACK_ADMINS``), may;
the booking service refuses a booking that has not started yet.
"""

from __future__ import annotations

from channels.slack.render import escape
from channels.slack.staff import Answer, Desk, context_of
from core.bookings import Actor
from core.errors import NotFound, PolicyViolation, SlotwiseError

__all__ = ["NOSHOW", "mark", "value_of"]

NOSHOW = "noshow"
"""The button's ``action_id``; its value is ``noshow:<manage_token>``."""


def value_of(manage_token: str) -> str:
    """The value of the no-show button of a booking."""
    return f"{NOSHOW}:{manage_token}"


def token_of(value: str) -> str | None:
    prefix, sep, token = value.partition(":")
    return token if prefix == NOSHOW and sep and 0 < len(token) <= 64 else None


async def mark(desk: Desk, user: str, value: str, locale: str | None = None) -> Answer:
    """Mark the booking of the button a no-show, if ``user`` may; the answer says what
    happened, in the user's language."""
    ctx = await context_of(desk, user, locale)
    _ = ctx.speaker._
    token = token_of(value)
    try:
        info = await desk.bookings.get(token or "")
    except NotFound:
        return Answer(_("This booking does not exist any more."))
    mine = ctx.who is not None and ctx.who.resource in info.resources
    if not (ctx.admin or mine):
        return Answer(_("You can mark no-shows only of your own bookings."))
    name = ctx.who.name if ctx.who else user
    actor = Actor("admin" if ctx.admin and not mine else "staff", name, "slack")
    who = info.customer_name or _("the customer")
    try:
        await desk.bookings.mark_no_show(info.manage_token, actor=actor)
    except PolicyViolation:
        if info.status == "cancelled":
            return Answer(_("This booking was cancelled; it cannot be a no-show."))
        return Answer(_("A booking can be marked a no-show only after it has started."))
    except SlotwiseError as error:
        return Answer(_("The booking was not changed: {error}").format(error=escape(str(error))))
    when = ctx.speaker.when(info.start)
    return Answer(_("Marked as a no-show: {who}, {when}.").format(who=escape(who), when=when))
