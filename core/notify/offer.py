"""The message that offers a freed slot to someone on the waitlist.

Read at send time like every message (:mod:`core.notify.prepare`): an offer that
was taken, declined or lapsed before its message went out is dropped, never sent
stale. The text says what is offered and until when it is held, in the customer's
language and zone, how to take it (the ``/w/<token>`` page's link; in a chat or
by SMS the reply ``1``) and how to let it go (``2``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from core import models as m
from core.bookings.cascade import accept_value, decline_value
from core.customers import reachable_channels
from core.notify.messages import Rendered
from core.notify.outgoing import Action, Outgoing
from core.notify.prepare import Drop, Ready
from core.outbox import Claimed
from core.text.i18n import Speaker, pick_language
from core.text.links import offer_link

__all__ = ["prepare_offer", "render_offer"]


def render_offer(
    *,
    business: str,
    service: str,
    customer: str,
    start: datetime,
    end: datetime,
    until: datetime,
    link: str,
    sp: Speaker,
) -> Rendered:
    """The offer's subject, text and HTML for the person ``sp`` speaks to."""
    _ = sp._
    when = sp.span(start, end)
    subject = _("A place is free: {what}, {when}").format(what=service, when=when)
    greeting = _("Hello {name},").format(name=customer) if customer else _("Hello,")
    lead = _(
        "Good news from the waitlist: {what}, {when} has become free. "
        "We are holding it for you until {until}."
    ).format(what=service, when=when, until=sp.time(until))
    take = _("To take it: {link}")
    reply = _("In a chat or by SMS, reply 1 to take it or 2 to let someone else have it.")
    text = "\n\n".join([greeting, lead, take.format(link=link), reply, business])
    html_take = escape(take).replace("{link}", f'<a href="{escape(link)}">{escape(link)}</a>')
    html = "".join(
        f"<p>{part}</p>"
        for part in [escape(greeting), escape(lead), html_take, escape(reply), escape(business)]
    )
    return Rendered(subject, text, f"<!doctype html><html><body>{html}</body></html>")


async def prepare_offer(claimed: Claimed, now: datetime, *, public_url: str) -> Ready | Drop:
    """The offer message and its routes, or why it is dropped (the offer is no longer open)."""
    token = claimed.payload.get("offer")
    row = (
        await m.WaitlistOffer.filter(token=token if isinstance(token, str) else "")
        .select_related("entry__service__business", "entry__customer")
        .first()
    )
    if row is None:
        return Drop("the waitlist offer no longer exists")
    if row.status != "open" or row.expires_at <= now:
        return Drop("the waitlist offer ended before its message went out")
    service = row.entry.service
    business = service.business
    customer = row.entry.customer
    lang = pick_language(customer.locale, business.locale)
    sp = Speaker(lang, customer.timezone or business.timezone, business.timezone)
    start = row.start
    rendered = render_offer(
        business=business.name,
        service=service.names.get(lang) or service.name,
        customer=customer.name,
        start=start,
        end=start + timedelta(minutes=service.duration_min),
        until=row.expires_at,
        link=offer_link(public_url, row.token),
        sp=sp,
    )
    message = Outgoing(
        dedup_key=claimed.dedup_key,
        kind=claimed.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        actions=(
            Action(sp._("Book this time"), accept_value(row.token)),
            Action(sp._("Let it go"), decline_value(row.token)),
        ),
    )
    return Ready(message, await reachable_channels(customer.id))
