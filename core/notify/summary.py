"""A staff member's morning summary: the bookings of their day, if they asked for it.

A staff resource asks for it with ``morning_summary: "07:30"`` in the business file
(or the rule edit :func:`core.rules.set_morning_summary`, which ``/slotwise summary
on|off`` in Slack uses): the wall time in the resource's zone, else the
business's. Each round the worker calls :func:`queue_summaries`, which queues the
summary of the resource's local *today* at that time (``staff_summary``, key
``summary:<resource>:<YYYY-MM-DD>``: one per resource and day, whichever worker
queues it). A day whose summary time passed more than :data:`GRACE` ago (the
worker was down all morning, or the person asked at noon) gets none: a morning
summary in the evening helps nobody (and one queued but not sent by then is dropped).

The summary is written when it goes (:func:`prepare_summary`): the day's confirmed
bookings at that moment, to the person's Slack user, else their e-mail, in the
business's language and the person's zone. It goes at the time they chose, also
inside the business's quiet hours (those protect customers; the person picked the
hour). A person who stopped asking meanwhile gets nothing; one who changed the time
gets it at the new time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from core import models as m
from core.notify.messages import Rendered, _rendered
from core.notify.outgoing import Outgoing
from core.notify.prepare import Drop, Later, Ready
from core.notify.routing import staff_directory
from core.outbox import Claimed, MessageKind
from core.outbox.kinds import summary_key
from core.staff import bookings_on
from core.text.i18n import Speaker

__all__ = ["GRACE", "prepare_summary", "queue_summaries", "render_summary", "summary_instant"]

GRACE = timedelta(hours=3)
"""How late a day's summary may still be queued after its time."""


def summary_instant(day: date, minutes: int, zone: str) -> datetime:
    """The UTC instant of ``minutes`` after midnight of ``day`` in ``zone`` (a wall time
    that a DST change skips is read as the zone's rules say: ``fold=0``)."""
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=ZoneInfo(zone))
    return wall.astimezone(UTC)


async def queue_summaries(now: datetime) -> list[str]:
    """Queue today's summary of every staff resource that asks for one and has none queued
    yet; lines saying what was queued. Cheap when nobody asks (one query)."""
    rows = await m.Resource.filter(
        summary_at_min__isnull=False, kind=m.ResourceKind.STAFF, active=True
    ).values_list("slug", "summary_at_min", "timezone", "business__timezone")
    lines: list[str] = []
    for slug, minutes, own_zone, business_zone in rows:
        zone = str(own_zone or business_zone)
        day = now.astimezone(ZoneInfo(zone)).date()
        at = summary_instant(day, int(minutes), zone)
        key = summary_key(str(slug), day.isoformat())
        if now > at + GRACE or await m.Outbox.filter(dedup_key=key).exists():
            continue
        try:
            await m.Outbox.create(
                dedup_key=key,
                kind=MessageKind.STAFF_SUMMARY,
                payload={
                    "kind": MessageKind.STAFF_SUMMARY.value,
                    "resource": str(slug),
                    "day": day.isoformat(),
                },
                available_at=at,
            )
        except IntegrityError:  # another worker queued it first
            continue
        lines.append(f"summary\tqueued\t{key}\tat {at.isoformat()}")
    return lines


def render_summary(
    *, business: str, day: date, lines: list[str], sp: Speaker
) -> Rendered:  # fmt: skip
    """The summary's subject, text and HTML: the day, how many bookings, one line each."""
    _ = sp._
    count = len(lines)
    subject = sp.n_("Your day, {day}: {n} booking", "Your day, {day}: {n} bookings", count).format(
        day=sp.day(day), n=count
    )
    if not lines:
        return _rendered(subject, [subject, _("You have no bookings today.")], [], business)
    return _rendered(subject, [subject, *lines], [], business)


async def prepare_summary(claimed: Claimed, now: datetime) -> Ready | Drop | Later:
    """The summary and the person's routes; dropped when they stopped asking, later when
    they moved their time ahead."""
    slug = str(claimed.payload.get("resource") or "")
    try:
        day = date.fromisoformat(str(claimed.payload.get("day")))
    except ValueError:
        return Drop("no day in the row")
    row = (
        await m.Resource.filter(slug=slug, kind=m.ResourceKind.STAFF)
        .select_related("business")
        .first()
    )
    if row is None or row.summary_at_min is None or not row.active:
        return Drop("the staff member no longer asks for a morning summary")
    business = row.business
    zone = row.timezone or business.timezone
    at = summary_instant(day, row.summary_at_min, zone)
    if at > now:
        return Later(at, "the staff member moved their summary time")
    if now > at + GRACE:
        return Drop("too late for the morning summary (the worker was away)")
    recipient = (await staff_directory(business.id)).get(slug)
    if recipient is None:
        return Drop("the staff member has no Slack user or e-mail")
    start = summary_instant(day, 0, zone)
    end = summary_instant(day + timedelta(days=1), 0, zone)
    names = dict(await m.Service.filter(business_id=business.id).values_list("slug", "name"))
    sp = Speaker(business.locale, zone, business.timezone)
    lines = []
    for info in await bookings_on(slug, start, end):
        what = str(names.get(info.service_id, info.service_id))
        who = f", {info.customer_name}" if info.customer_name else ""
        lines.append(f"• {sp.time(info.start)}–{sp.time(info.end)}: {what}{who}")
    rendered = render_summary(business=business.name, day=day, lines=lines, sp=sp)
    message = Outgoing(
        dedup_key=claimed.dedup_key,
        kind=claimed.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
    return Ready(message, recipient.routes)
