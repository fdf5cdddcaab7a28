"""Answers to a waitlist offer in a chat: a button, or the reply "1" (take it) or "2".

The offer message (:mod:`core.notify.offer`) tells the customer to reply ``1`` or
``2``; on Telegram and Slack a channel may also show buttons whose values are
:func:`accept_value` and :func:`decline_value` (``waitlist:accept:<offer token>``,
``waitlist:decline:<offer token>``), which come back as the inbound ``choice``.
A typed ``1`` or ``2`` answers the newest open offer to the customer this chat
identity is, when the offer came after the conversation's last turn (the offer
is the last thing they were asked); otherwise the digit picks one of the
conversation's own options, as always. Anything else is not an answer to an
offer and goes to the dialog.
"""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Speaker
from bot.inbound import Inbound
from bot.replies import Reply
from core.bookings import Cascade, Identity
from core.bookings.cascade import ACCEPT_CHOICE as ACCEPT
from core.bookings.cascade import DECLINE_CHOICE as DECLINE
from core.bookings.cascade import accept_value, decline_value
from core.errors import NoShowLimit, OfferGone

__all__ = ["ACCEPT", "DECLINE", "accept_value", "answer", "decline_value"]


def _asked(inbound: Inbound) -> tuple[bool, str | None] | None:
    """(take it?, the offer's token when a button names it), or ``None``: no answer."""
    choice = inbound.choice or ""
    for prefix, take in ((ACCEPT, True), (DECLINE, False)):
        if choice.startswith(prefix):
            return take, choice[len(prefix) :]
    text = (inbound.text or "").strip()
    if text in ("1", "2"):
        return text == "1", None
    return None


async def answer(
    cascade: Cascade,
    inbound: Inbound,
    now: datetime,
    sp: Speaker,
    *,
    last_turn: datetime | None,
    services: dict[str, str],
    manage_url: str,
) -> list[Reply] | None:
    """The replies to an answer to an offer, or ``None`` when ``inbound`` is none
    (``last_turn``: when the conversation last answered, if it did). ``manage_url``
    has ``{token}`` where the booking's manage token goes."""
    asked = _asked(inbound)
    if asked is None:
        return None
    take, token = asked
    if token is None:
        found = await cascade.open_offer_of(Identity(inbound.channel, inbound.user))
        if found is None or (last_turn is not None and found[1] <= last_turn):
            return None  # no offer open, or the conversation came after it: the dialog's
        token = found[0]
    _ = sp._
    try:
        if not take:
            await cascade.decline(token, now)
            return [
                Reply(
                    _(
                        "All right, we have offered it to the next person. You stay on the "
                        "waitlist for other times."
                    )
                )
            ]
        info = await cascade.accept(token, now)
    except OfferGone:
        return [Reply(_("Sorry, that offer has ended. You stay on the waitlist."))]
    except NoShowLimit as refused:  # the service's no-show policy: not by chat
        missed = max(1, refused.standing)
        text = sp.n_(
            "Because of {n} missed appointment, this service cannot be booked in the "
            "chat. Please contact us directly.",
            "Because of {n} missed appointments, this service cannot be booked in the "
            "chat. Please contact us directly.",
            missed,
        ).format(n=missed)
        return [Reply(text)]
    what = services.get(info.service_id, info.service_id)
    text = _("It's yours: {what}, {when} is booked. Your booking: {link}").format(
        what=what,
        when=sp.span(info.start, info.end),
        link=manage_url.format(token=info.manage_token),
    )
    return [Reply(text)]
