"""A message a member of staff writes to the customer of a booking ("message customer").

:func:`queue_note` is what the staff notice's "Message customer" button ends in (the
Slack form, :mod:`channels.slack.message`): in one transaction it writes the
booking's history row (``action="message"``, the staff member and the text) and a
``customer_message`` row of the outbox. The worker sends it like every message to
the customer (:func:`prepare_note`): on the channel they booked on first, then
their other routes, in their language, with the booking's name and time. It is a
message caused by staff, so the business's quiet hours in the customer's zone hold
it back until they end.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from html import escape

from tortoise.transactions import in_transaction

from core import models as m
from core.bookings.types import Actor
from core.customers import reachable_channels
from core.errors import InvalidRequest, NotFound, PolicyViolation
from core.notify.messages import Rendered
from core.notify.outgoing import Outgoing
from core.notify.prepare import Drop, Later, Ready
from core.notify.routing import order_routes
from core.outbox import Claimed, MessageKind, booking_key
from core.quiet import QuietHours, after_quiet, is_quiet
from core.text.i18n import Speaker, pick_language
from core.text.links import manage_link

__all__ = ["MAX_NOTE", "prepare_note", "queue_note", "render_note"]

MAX_NOTE = 2000
"""Characters a note may have (a Slack form's input holds 3000; SMS splits long texts)."""


async def queue_note(manage_token: str, text: str, *, actor: Actor, now: datetime) -> int:
    """Queue ``text`` to the customer of the booking, with its history row; the booking's
    id. :class:`NotFound` for an unknown token, :class:`InvalidRequest` for an empty or
    too long text, :class:`PolicyViolation` for a booking without a customer."""
    body = text.strip()
    if not body:
        raise InvalidRequest("the message is empty", field="text")
    if len(body) > MAX_NOTE:
        raise InvalidRequest(f"the message is longer than {MAX_NOTE} characters", field="text")
    fits = isinstance(manage_token, str) and 0 < len(manage_token) <= 64
    booking = await m.Booking.get_or_none(manage_token=manage_token) if fits else None
    if booking is None:
        raise NotFound("no booking with this token", field="manage_token")
    if booking.customer_id is None:
        raise PolicyViolation("the booking has no customer to write to", field="customer")
    digest = hashlib.sha256(f"{now.isoformat()}\n{actor.label}\n{body}".encode()).hexdigest()
    async with in_transaction() as conn:
        await m.BookingHistory.create(
            booking_id=booking.id,
            actor=actor.label,
            channel=actor.channel,
            action="message",
            data={"text": body},
            using_db=conn,
        )
        await m.Outbox.create(
            dedup_key=booking_key(booking.id, f"message:{digest[:24]}"),
            kind=MessageKind.CUSTOMER_MESSAGE,
            booking_id=booking.id,
            payload={
                "kind": MessageKind.CUSTOMER_MESSAGE.value,
                "text": body,
                "from": actor.name,
            },
            available_at=now,
            using_db=conn,
        )
    return booking.id


def render_note(
    *, business: str, service: str, start: datetime, end: datetime, text: str, link: str,
    sp: Speaker,
) -> Rendered:  # fmt: skip
    """The note as the customer reads it: whose booking it is about, the text, the link."""
    _ = sp._
    when = sp.span(start, end)
    subject = _("A message about your booking: {what}, {when}").format(what=service, when=when)
    lead = _("A message about your booking {what}, {when}:").format(what=service, when=when)
    manage = _("To see, move or cancel it: {link}")
    text_body = "\n\n".join([lead, text, manage.format(link=link), business])
    html_link = escape(manage).replace("{link}", f'<a href="{escape(link)}">{escape(link)}</a>')
    paragraphs = [escape(lead), escape(text).replace("\n", "<br>"), html_link, escape(business)]
    html = "".join(f"<p>{part}</p>" for part in paragraphs)
    return Rendered(subject, text_body, f"<!doctype html><html><body>{html}</body></html>")


async def prepare_note(claimed: Claimed, now: datetime, *, public_url: str) -> Ready | Drop | Later:
    """The note and the customer's routes; held back in the customer's quiet hours."""
    booking = (
        await m.Booking.filter(id=claimed.booking_id or 0)
        .select_related("service", "business", "customer")
        .first()
    )
    if booking is None or booking.customer is None:
        return Drop("the booking or its customer no longer exists")
    business, customer = booking.business, booking.customer
    zone = customer.timezone or business.timezone
    quiet = QuietHours(business.quiet_start_min, business.quiet_end_min)
    if is_quiet(now, quiet, zone):
        return Later(after_quiet(now, quiet, zone), "quiet hours in the customer's zone")
    lang = pick_language(customer.locale, business.locale)
    sp = Speaker(lang, zone, business.timezone)
    rendered = render_note(
        business=business.name,
        service=booking.service.names.get(lang) or booking.service.name,
        start=booking.start,
        end=booking.end,
        text=str(claimed.payload.get("text") or ""),
        link=manage_link(public_url, booking.manage_token),
        sp=sp,
    )
    message = Outgoing(
        dedup_key=claimed.dedup_key,
        kind=claimed.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
    routes = order_routes(await reachable_channels(customer.id), booking.source_channel)
    return Ready(message, routes)
