"""The texts of the messages a customer gets: a confirmation, a move, a cancellation and
the reminders, in their language and zone.

Pure: a kind, the facts and a :class:`~core.text.i18n.Speaker` in, a subject, a text
body and an HTML body out. Every sentence goes through gettext (``make messages``
extracts this module; each language's catalog translates it). The HTML body is the
text body's sentences, escaped, with the links made clickable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from html import escape

from core.outbox.kinds import REMINDER_KINDS, MessageKind
from core.text.i18n import Speaker

__all__ = [
    "CUSTOMER_KINDS",
    "REMINDER_REPLIES",
    "STAFF_KINDS",
    "Facts",
    "Rendered",
    "reminder_actions",
    "reminder_prompt",
    "render",
    "render_staff",
]

CUSTOMER_KINDS = frozenset(
    {
        MessageKind.CUSTOMER_CONFIRMATION,
        MessageKind.CUSTOMER_RESCHEDULED,
        MessageKind.CUSTOMER_CANCELLATION,
        *REMINDER_KINDS,
    }
)
"""The kinds a customer gets (:func:`render`)."""

STAFF_KINDS = frozenset(
    {
        MessageKind.STAFF_NOTICE,
        MessageKind.STAFF_RESCHEDULED,
        MessageKind.STAFF_CANCELLATION,
        MessageKind.STAFF_CALENDAR_CONFLICT,
    }
)
"""The notices a staff member gets of the bookings of their own calendar (:func:`render_staff`)."""


REMINDER_REPLIES = ("rem:keep", "rem:move", "rem:cancel")
"""A reminder's answers as button values, in the order of :func:`reminder_prompt`'s numbers;
the dialog reads them back (``bot/dialog/step.py``)."""


def reminder_actions(sp: Speaker) -> tuple[tuple[str, str], ...]:
    """A reminder's answers as buttons: (label, value), in the order of the numbers."""
    _ = sp._
    labels = (_("Keep it"), _("Move it"), _("Cancel it"))
    return tuple(zip(labels, REMINDER_REPLIES, strict=True))


def reminder_prompt(sp: Speaker) -> str:
    """How to answer a reminder where there are no buttons (SMS): numbers only, never a
    word a carrier acts on (CANCEL, STOP, YES...)."""
    return sp._("Reply 1 to keep it, 2 to move it, 3 to cancel it.")


@dataclass(frozen=True, slots=True)
class Facts:
    """What a message says, read at send time (see :mod:`core.notify.prepare`)."""

    business: str
    service: str
    customer: str
    start: datetime
    end: datetime
    manage_url: str
    calendar_url: str
    previous_start: datetime | None = None
    reminder_at: datetime | None = None
    """When the first reminder still to come goes: a confirmation promises it only then."""
    contact: str = ""
    """How to reach the customer (phone, e-mail), for the staff."""
    note: str = ""
    """The business's words to the customer with a cancellation (its recorded reason, when
    staff or an admin cancelled: the panel asks for one)."""
    feed_url: str = ""
    """The customer's own calendar feed (all their bookings), offered with a confirmation
    so a calendar app can subscribe once and follow every later booking; empty: none."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str
    actions: tuple[tuple[str, str], ...] = ()
    """A reminder's answers (:func:`reminder_actions`): buttons where the channel has them."""
    actions_text: str = ""
    """The same answers as a sentence with numbers, for a channel without buttons."""


def render(kind: str, facts: Facts, sp: Speaker) -> Rendered:
    """The message of ``kind`` (one of :data:`CUSTOMER_KINDS`) for the person ``sp``
    speaks to. ``ValueError`` for a kind that is not a customer's."""
    _ = sp._
    what = facts.service
    when = sp.span(facts.start, facts.end)
    if kind == MessageKind.CUSTOMER_CONFIRMATION:
        subject = _("Booked: {what}, {when}").format(what=what, when=when)
        lead = _("Your booking is confirmed: {what}, {when}.").format(what=what, when=when)
    elif kind == MessageKind.CUSTOMER_RESCHEDULED:
        subject = _("Moved: {what}, {when}").format(what=what, when=when)
        before = sp.when(facts.previous_start or facts.start)
        lead = _("Your booking {what} has been moved from {before} to {when}.").format(
            what=what, before=before, when=when
        )
    elif kind == MessageKind.CUSTOMER_CANCELLATION:
        subject = _("Cancelled: {what}, {when}").format(what=what, when=when)
        lead = _("Your booking {what}, {when} has been cancelled.").format(what=what, when=when)
    elif kind in REMINDER_KINDS:
        subject = _("Reminder: {what}, {when}").format(what=what, when=when)
        lead = _("A reminder of your booking: {what}, {when}.").format(what=what, when=when)
    else:
        raise ValueError(f"{kind!r} is not a message to a customer; see CUSTOMER_KINDS")
    if kind == MessageKind.CUSTOMER_CONFIRMATION and facts.reminder_at is not None:
        lead += " " + _("We will remind you on {moment}.").format(moment=sp.when(facts.reminder_at))
    greeting = _("Hello {name},").format(name=facts.customer) if facts.customer else _("Hello,")
    cancelled = kind == MessageKind.CUSTOMER_CANCELLATION
    manage = _("To see, move or cancel it: {link}")
    calendar = _("Add it to your calendar: {link}")
    links = [] if cancelled else [(manage, facts.manage_url), (calendar, facts.calendar_url)]
    if kind == MessageKind.CUSTOMER_CONFIRMATION and facts.feed_url:
        feed = _("All your bookings in your calendar app, kept up to date: {link}")
        links.append((feed, facts.feed_url))
    lines = [greeting, lead]
    if cancelled and facts.note:
        lines.append(
            _("A message from {business}: {note}").format(business=facts.business, note=facts.note)
        )
    rendered = _rendered(subject, lines, links, facts.business)
    if kind in REMINDER_KINDS:
        return replace(rendered, actions=reminder_actions(sp), actions_text=reminder_prompt(sp))
    return rendered


def render_staff(kind: str, facts: Facts, sp: Speaker) -> Rendered:
    """The notice of ``kind`` (one of :data:`STAFF_KINDS`) to the staff member ``sp`` speaks
    to: what, when, for whom and how to reach them. ``ValueError`` for another kind."""
    _ = sp._
    what = facts.service
    when = sp.span(facts.start, facts.end)
    who = facts.customer or _("a customer")
    if kind == MessageKind.STAFF_NOTICE:
        subject = _("New booking: {what}, {when}").format(what=what, when=when)
        lead = _("New booking: {what}, {when}, for {who}.").format(what=what, when=when, who=who)
    elif kind == MessageKind.STAFF_RESCHEDULED:
        subject = _("Booking moved: {what}, {when}").format(what=what, when=when)
        before = sp.when(facts.previous_start or facts.start)
        lead = _("Booking moved: {what} for {who}, from {before} to {when}.").format(
            what=what, who=who, before=before, when=when
        )
    elif kind == MessageKind.STAFF_CANCELLATION:
        subject = _("Booking cancelled: {what}, {when}").format(what=what, when=when)
        lead = _("Booking cancelled: {what}, {when}, for {who}.").format(
            what=what, when=when, who=who
        )
    elif kind == MessageKind.STAFF_CALENDAR_CONFLICT:
        subject = _("Your calendar clashes with a booking: {what}, {when}").format(
            what=what, when=when
        )
        lead = _(
            "An event in your own calendar overlaps your booking {what}, {when}, for {who}. "
            "The booking stays as it is; if you cannot make it, move or cancel it."
        ).format(what=what, when=when, who=who)
    else:
        raise ValueError(f"{kind!r} is not a notice to the staff; see STAFF_KINDS")
    lines = [lead]
    if facts.contact:
        lines.append(_("Contact: {contact}").format(contact=facts.contact))
    return _rendered(subject, lines, [], facts.business)


def _rendered(
    subject: str, lines: list[str], links: list[tuple[str, str]], signature: str
) -> Rendered:
    text = "\n\n".join([*lines, *(line.format(link=url) for line, url in links), signature])
    html_links = [
        escape(line).replace("{link}", f'<a href="{escape(url)}">{escape(url)}</a>')
        for line, url in links
    ]
    html = "".join(
        f"<p>{part}</p>"
        for part in [*(escape(line) for line in lines), *html_links, escape(signature)]
    )
    page = f"<!doctype html><html><body>{html}</body></html>"
    return Rendered(subject, text, page)
