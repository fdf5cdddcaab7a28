"""The notice that a chat customer asked for a person (``staff_handover``).

The bot queues it (:func:`core.bookings.customers.ask_for_person`) with what it
knows: the channel and the customer's id on it, their name, phone and e-mail if
given, and what they wrote. It goes to one member of staff, chosen at send time:

1. the staff member of the customer's next booking (found by their chat identity),
   whose calendar the question most likely concerns;
2. else the first staff resource of the business file that has a route.

Like every staff notice it goes to their Slack user, else their e-mail
(:func:`core.notify.routing.staff_directory`), in the business's language and the
member's zone, at once (quiet hours hold back messages to customers only). It
names the customer, the channel they wrote on and their address there, so the
person answers them where they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import models as m
from core.notify.messages import Rendered, _rendered
from core.notify.outgoing import Outgoing
from core.notify.prepare import Drop, Ready
from core.notify.routing import StaffRecipient, staff_directory
from core.outbox import Claimed
from core.text.i18n import Speaker

__all__ = ["prepare_handover", "render_handover"]

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "slack": "Slack",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
}
"""Channels by their own names; the web chat is named in the reader's language."""


def render_handover(
    *,
    business: str,
    who: str,
    channel: str,
    address: str,
    contact: str,
    text: str,
    asked_at: datetime | None,
    sp: Speaker,
) -> Rendered:
    """The notice's subject, text and HTML for the member of staff ``sp`` speaks to."""
    _ = sp._
    name = who or _("A customer")
    web = channel in ("web", "webchat")
    where = _("the web chat") if web else CHANNEL_NAMES.get(channel, channel)
    subject = _("{who} asks to talk to a person").format(who=name)
    lines = [
        _("{who} asks to talk to a person, on {channel} ({address}).").format(
            who=name, channel=where, address=address
        )
    ]
    if text:
        lines.append(_("They wrote: “{text}”").format(text=text[:500]))
    if contact:
        lines.append(_("Contact: {contact}").format(contact=contact))
    if asked_at is not None:
        lines.append(_("Asked on {moment}.").format(moment=sp.when(asked_at)))
    lines.append(_("Please reply to them on {channel}.").format(channel=where))
    return _rendered(subject, lines, [], business)


async def _recipient(
    business_id: int, channel: str, user: str, now: datetime
) -> StaffRecipient | None:
    directory = await staff_directory(business_id)
    if not directory:
        return None
    customer_ids = await m.ChannelIdentity.filter(channel=channel, external_id=user).values_list(
        "customer_id", flat=True
    )
    if customer_ids:
        rows = await (
            m.BookingResource.filter(
                booking__customer_id__in=list(customer_ids),
                booking__status=m.BookingStatus.CONFIRMED,
                booking__end__gt=now,
                active=True,
            )
            .order_by("booking__start", "id")
            .values_list("resource__slug", flat=True)
        )
        for slug in rows:
            if str(slug) in directory:
                return directory[str(slug)]
    return next(iter(directory.values()))


async def prepare_handover(claimed: Claimed, now: datetime) -> Ready | Drop:
    """The notice and the staff member's routes, or why it is dropped (nobody to tell)."""
    payload: dict[str, Any] = claimed.payload
    business = await m.Business.first()
    if business is None:
        return Drop("no business is loaded")
    channel = str(payload.get("channel") or "")
    user = str(payload.get("user") or "")
    recipient = await _recipient(business.id, channel, user, now)
    if recipient is None:
        return Drop("no staff member has a Slack user or an e-mail")
    contact = ", ".join(str(payload[k]) for k in ("phone", "email") if payload.get(k))
    asked = payload.get("at")
    sp = Speaker(business.locale, recipient.zone or business.timezone, business.timezone)
    rendered = render_handover(
        business=business.name,
        who=str(payload.get("name") or ""),
        channel=channel,
        address=user,
        contact=contact,
        text=str(payload.get("text") or ""),
        asked_at=datetime.fromisoformat(asked) if isinstance(asked, str) else None,
        sp=sp,
    )
    message = Outgoing(
        dedup_key=claimed.dedup_key,
        kind=claimed.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
    return Ready(message, recipient.routes)
