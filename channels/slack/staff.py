"""The staff's ``/slotwise`` command: their day, their week, free slots, blocking time.

Every answer is for the person who asked only (ephemeral), in their language
(the Slack locale when the payload has one, else the business's). A Slack user
is a member of staff when a resource names them (``resources[].slack_user``);
the admins of :data:`Desk.admins` may also block another resource's time by
naming it (``/slotwise block ana friday 14-16``).

Blocking goes in two steps, so nothing changes until the person confirms: the
command shows the bookings the block would hit, each with a button to cancel
it (the customer gets a message) or keep it; "Block the time" then adds the
block (:func:`core.rules.add_block`) and cancels the ones chosen (through the
booking service, actor staff, channel slack). The plan travels in the buttons'
values (at most 2000 characters), so no state is kept between the steps; the
confirmation checks again who may block, and cancels only bookings that still
lie in the blocked time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.understand import Exact, Window, catalog_of, understand
from channels.slack.render import Block, button, escape, section
from core.bookings import Actor, BookingInfo, BookingService
from core.calendars import connection_of
from core.directory import business_info, directory
from core.errors import SlotwiseError
from core.feeds import FeedService
from core.offers import Offers
from core.rules import add_block, set_morning_summary
from core.staff import StaffMember, bookings_on, staff_member, staff_of_slack_user, summary_time
from core.text.i18n import Speaker, pick_language

__all__ = [
    "BLOCK",
    "CALENDAR",
    "FEED",
    "SUMMARY",
    "Answer",
    "Desk",
    "Plan",
    "command",
    "confirm",
    "context_of",
    "toggle",
]

FEED = "feed"
CALENDAR = "calendar"
SUMMARY = "summary"
BLOCK = "block"
"""The ``action_id`` prefix of the block buttons: ``block-toggle-<n>``, ``block-confirm``,
``block-discard``."""
MAX_HITS = 20
"""Bookings one block may hit and still be decided in Slack (a message holds 50 blocks)."""
MAX_FREE = 64
_RANGE = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*[-–]\s*(\d{1,2})(?:[:.](\d{2}))?\b")


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks or [section(escape(self.text))]}


@dataclass(frozen=True, slots=True)
class Desk:
    """What the staff commands work with."""

    bookings: BookingService
    admins: frozenset[str]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    feeds: FeedService | None = None
    """Calendar feed addresses (``/slotwise feed``); off when ``None``."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A block waiting for confirmation: wall times of the resource, the bookings it hits
    (ids) and those to cancel."""

    resource: str
    start: str
    end: str
    reason: str
    hits: tuple[int, ...]
    cancel: tuple[int, ...] = ()

    def value(self) -> str:
        return json.dumps(
            {"r": self.resource, "s": self.start, "e": self.end, "y": self.reason,
             "h": self.hits, "c": self.cancel},
            separators=(",", ":"), ensure_ascii=False,
        )  # fmt: skip

    @classmethod
    def of(cls, value: str) -> Plan:
        data = json.loads(value)
        return cls(
            resource=str(data["r"]),
            start=str(data["s"]),
            end=str(data["e"]),
            reason=str(data["y"]),
            hits=tuple(int(i) for i in data["h"]),
            cancel=tuple(int(i) for i in data["c"]),
        )


@dataclass(frozen=True, slots=True)
class _Context:
    user: str
    who: StaffMember | None
    admin: bool
    speaker: Speaker
    names: dict[str, str]
    """Service and resource names by id."""


async def context_of(desk: Desk, user: str, locale: str | None) -> _Context:
    """Who pressed or typed (staff member, admin) and how to speak to them."""
    return await _context(desk, user, locale)


async def _context(desk: Desk, user: str, locale: str | None) -> _Context:
    found = await directory()
    lang = pick_language(locale, found.info.locale)
    names = {e.id: e.name for e in (*found.services, *found.providers)}
    return _Context(
        user=user,
        who=await staff_of_slack_user(user),
        admin=user in desk.admins,
        speaker=Speaker(lang, found.info.timezone, found.info.timezone),
        names=names,
    )


def _unknown(ctx: _Context) -> Answer:
    _ = ctx.speaker._
    return Answer(
        _(
            "Slotwise does not know your Slack user ({user}). Ask the admin to add "
            "“slack_user: {user}” to your entry in the business file."
        ).format(user=ctx.user)
    )


def _help(ctx: _Context) -> Answer:
    _ = ctx.speaker._
    return Answer(
        _(
            "Try: /slotwise today, /slotwise week, /slotwise free haircut friday, "
            "/slotwise block tomorrow 14-16 dentist, /slotwise feed, /slotwise calendar, "
            "/slotwise summary on 07:30"
        )
    )


async def command(desk: Desk, user: str, text: str, locale: str | None = None) -> Answer:
    """The answer to ``/slotwise <text>`` from Slack user ``user``."""
    ctx = await _context(desk, user, locale)
    verb, _, rest = text.strip().partition(" ")
    verb = verb.casefold()
    if ctx.who is None and not (ctx.admin and verb == BLOCK):
        return _unknown(ctx)
    if verb in ("today", "week"):
        assert ctx.who is not None
        return await _agenda(desk, ctx, ctx.who, days=1 if verb == "today" else 7)
    if verb == "free":
        assert ctx.who is not None
        return await _free(desk, ctx, ctx.who, rest)
    if verb == BLOCK:
        return await _propose(desk, ctx, rest)
    if verb == CALENDAR:
        assert ctx.who is not None
        return await _calendar(ctx, ctx.who)
    if verb == SUMMARY:
        assert ctx.who is not None
        return await _summary(ctx, ctx.who, rest)
    if verb == FEED and desk.feeds is not None:
        assert ctx.who is not None
        return await _feed(desk.feeds, ctx, ctx.who, renew=rest.strip().casefold() == "new")
    return _help(ctx)


async def _calendar(ctx: _Context, who: StaffMember) -> Answer:
    """How the person's own calendar fares: read lately, failing, or refused (and why)."""
    _ = ctx.speaker._
    found = await connection_of(who.resource)
    if found is None:
        return Answer(
            _(
                "No calendar of yours is connected. An admin can connect it: "
                "slotwise calendar connect {resource} --url … --user …"
            ).format(resource=who.resource)
        )
    when = ctx.speaker.when(found.synced_at) if found.synced_at else _("never")
    if found.state == "ok":
        text = _("Your calendar is connected; last read {when}; {count} busy times from it.")
    elif found.state == "refused":
        text = _(
            "Your calendar refuses Slotwise ({error}); its last busy times still count. "
            "Ask an admin to connect it again."
        )
    else:
        text = _(
            "Your calendar could not be read lately ({error}); trying again. Last read {when}."
        )
    return Answer(text.format(when=when, count=found.busy, error=found.last_error))


_CLOCK = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?")


async def _summary(ctx: _Context, who: StaffMember, text: str) -> Answer:
    """``/slotwise summary on [HH:MM]`` asks for the summary of the day each morning (at the
    end of the business's quiet hours unless a time is given), ``off`` stops it, and
    ``summary`` alone says how it stands. A rule edit (:func:`core.rules.set_morning_summary`),
    so it is in the rules' history and in the business file."""
    _ = ctx.speaker._
    word, _sep, rest = text.strip().casefold().partition(" ")
    if word not in ("on", "off"):
        at = await summary_time(who.resource)
        if at is None:
            return Answer(
                _("You get no morning summary. “/slotwise summary on 07:30” asks for one.")
            )
        return Answer(
            _("You get the summary of your day at {time}. “/slotwise summary off” stops it.")
            .format(time=_hhmm(at))
        )  # fmt: skip
    actor = Actor("staff", who.name, "slack")
    if word == "off":
        await set_morning_summary(who.resource, None, actor=actor)
        return Answer(_("You will get no morning summary any more."))
    at_min = (await business_info()).quiet_hours.end_min
    if rest.strip():
        match = _CLOCK.fullmatch(rest.strip())
        if match is None or int(match[1]) > 23 or int(match[2] or 0) > 59:
            return Answer(
                _("“{text}” is not a time; write it like 07:30.").format(text=escape(rest.strip()))
            )
        at_min = int(match[1]) * 60 + int(match[2] or 0)
    await set_morning_summary(who.resource, _hhmm(at_min), actor=actor)
    return Answer(
        _("Each morning at {time} you will get the bookings of your day here.").format(
            time=_hhmm(at_min)
        )
    )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


async def _feed(feeds: FeedService, ctx: _Context, who: StaffMember, *, renew: bool) -> Answer:
    """The address of the person's calendar feed; ``/slotwise feed new`` replaces it (the
    old one stops working), for when it was shared by mistake."""
    _ = ctx.speaker._
    if renew:
        link = await feeds.revoke_resource(who.resource)
        intro = _("Your calendar has a new address; the old one no longer works:")
    else:
        link = await feeds.resource_link(who.resource)
        intro = _("Subscribe to this address in your calendar app to see your bookings there:")
    note = _(
        "Google Calendar and Outlook refresh a subscribed calendar only every few hours. "
        "Keep the address to yourself; if it leaks, “/slotwise feed new” replaces it."
    )
    return Answer(f"{intro}\n{link}\n{note}")


def _today(desk: Desk, ctx: _Context) -> date:
    return desk.clock().astimezone(ZoneInfo(ctx.speaker.zone)).date()


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _line(ctx: _Context, info: BookingInfo) -> str:
    what = ctx.names.get(info.service_id, info.service_id)
    who = f", {info.customer_name}" if info.customer_name else ""
    return f"• {ctx.speaker.span(info.start, info.end)}: {escape(what + who)}"


async def _agenda(desk: Desk, ctx: _Context, who: StaffMember, *, days: int) -> Answer:
    _ = ctx.speaker._
    first = _today(desk, ctx)
    start = _midnight(first, ctx.speaker.zone)
    end = _midnight(first + timedelta(days=days), ctx.speaker.zone)
    found = await bookings_on(who.resource, start, end)
    title = _("Your bookings today") if days == 1 else _("Your bookings in the next 7 days")
    if not found:
        return Answer(
            _("You have no bookings today.")
            if days == 1
            else _("You have no bookings in the next 7 days.")
        )
    return Answer("\n".join([f"*{title}*", *(_line(ctx, b) for b in found)]))


async def _free(desk: Desk, ctx: _Context, who: StaffMember, text: str) -> Answer:
    _ = ctx.speaker._
    catalog = catalog_of(await directory())
    reading = understand(
        text or "today", now=desk.clock(), zone=ctx.speaker.zone, lang=ctx.speaker.lang,
        catalog=catalog,
    )  # fmt: skip
    if reading.service is None:
        return Answer(_("Which service? For example: /slotwise free haircut friday"))
    day = _when_day(desk, ctx, reading.when)
    start, end = _midnight(day, ctx.speaker.zone), _midnight(day + timedelta(1), ctx.speaker.zone)
    name = ctx.names.get(reading.service, reading.service)
    try:
        slots = await Offers(desk.bookings).between(
            reading.service, start, end, ctx.speaker.zone, who.resource
        )
    except SlotwiseError:  # the service is not theirs, or unknown
        slots = []
    times = [ctx.speaker.time(s.start) for s in slots if start <= s.start < end]
    if not times:
        return Answer(
            _("No free time for {service} on {day}.").format(
                service=escape(name), day=ctx.speaker.day(day)
            )
        )
    shown = ", ".join(dict.fromkeys(times[:MAX_FREE]))
    more = " …" if len(times) > MAX_FREE else ""
    return Answer(
        _("Free for {service} on {day}: {times}").format(
            service=escape(name), day=ctx.speaker.day(day), times=shown + more
        )
    )


def _when_day(desk: Desk, ctx: _Context, when: Exact | Window | None) -> date:
    zone = ZoneInfo(ctx.speaker.zone)
    if isinstance(when, Exact):
        return when.at.astimezone(zone).date()
    if isinstance(when, Window):
        return when.start.astimezone(zone).date()
    return _today(desk, ctx)


def _may_block(ctx: _Context, resource: str) -> bool:
    return ctx.admin or (ctx.who is not None and ctx.who.resource == resource)


async def _propose(desk: Desk, ctx: _Context, text: str) -> Answer:
    _ = ctx.speaker._
    span = _RANGE.search(text)
    if span is None:
        return Answer(
            _("Say the day and the hours to block, e.g. /slotwise block tomorrow 14-16 dentist")
        )
    start_h, start_m, end_h, end_m = (int(g or 0) for g in span.groups())
    before, reason = text[: span.start()].strip(), text[span.end() :].strip()
    reading = understand(
        before or "today", now=desk.clock(), zone=ctx.speaker.zone, lang=ctx.speaker.lang,
        catalog=catalog_of(await directory()),
    )  # fmt: skip
    target = reading.provider or (ctx.who.resource if ctx.who else None)
    if target is None:
        return Answer(_("Name whose time to block, e.g. /slotwise block ana friday 14-16"))
    if not _may_block(ctx, target):
        return Answer(_("You can block only your own time."))
    day = _when_day(desk, ctx, reading.when)
    try:
        start = datetime.combine(day, time(start_h, start_m))
        end = (
            datetime.combine(day, time(end_h, end_m))
            if end_h < 24
            else datetime.combine(day + timedelta(1), time(0))
        )
    except ValueError:
        return Answer(_("{hours} are not hours of a day.").format(hours=span.group(0)))
    if end <= start:
        return Answer(_("{hours} are not hours of a day.").format(hours=span.group(0)))
    member = await staff_member(target)
    if member is None:
        return _unknown(ctx)
    hits = await _hits(ctx, target, start, end)
    if len(hits) > MAX_HITS:
        return Answer(
            _("This block would hit {count} bookings; block it in the admin panel.").format(
                count=len(hits)
            )
        )
    plan = Plan(
        resource=target,
        start=start.isoformat(timespec="minutes"),
        end=end.isoformat(timespec="minutes"),
        reason=reason[:200],
        hits=tuple(b.id for b in hits),
    )
    return _render(ctx, member, plan, hits)


async def _hits(ctx: _Context, resource: str, start: datetime, end: datetime) -> list[BookingInfo]:
    zone = ZoneInfo(ctx.speaker.zone)
    return await bookings_on(
        resource,
        start.replace(tzinfo=zone).astimezone(UTC),
        end.replace(tzinfo=zone).astimezone(UTC),
    )


def _span_text(ctx: _Context, plan: Plan) -> str:
    zone = ZoneInfo(ctx.speaker.zone)
    start = datetime.fromisoformat(plan.start).replace(tzinfo=zone)
    end = datetime.fromisoformat(plan.end).replace(tzinfo=zone)
    return ctx.speaker.span(start, end)


def _render(ctx: _Context, member: StaffMember, plan: Plan, hits: Sequence[BookingInfo]) -> Answer:
    _ = ctx.speaker._
    reason = f" ({escape(plan.reason)})" if plan.reason else ""
    head = _("Block {name}'s time {span}{reason}?").format(
        name=escape(member.name), span=_span_text(ctx, plan), reason=reason
    )
    if hits:
        head += "\n" + _(
            "It hits these bookings. Each is kept unless you cancel it; a cancelled "
            "customer gets a message."
        )
    else:
        head += "\n" + _("It hits no bookings.")
    blocks: list[Block] = [section(head)]
    for n, info in enumerate(hits):
        cancelled = info.id in plan.cancel
        state = _("will be cancelled") if cancelled else _("kept")
        other = (
            tuple(i for i in plan.cancel if i != info.id) if cancelled else (*plan.cancel, info.id)
        )
        block = section(f"{_line(ctx, info)} — *{state}*")
        block["accessory"] = button(
            _("Keep it") if cancelled else _("Cancel it"),
            f"{BLOCK}-toggle-{n}",
            replace(plan, cancel=other).value(),
        )
        blocks.append(block)
    blocks.append(
        {
            "type": "actions",
            "block_id": f"{BLOCK}-decide",
            "elements": [
                button(_("Block the time"), f"{BLOCK}-confirm", plan.value(), style="primary"),
                button(_("Discard"), f"{BLOCK}-discard", "discard"),
            ],
        }
    )
    return Answer(head, blocks)


async def toggle(desk: Desk, user: str, value: str, locale: str | None = None) -> Answer:
    """The block's proposal again, with one booking switched between kept and cancelled."""
    ctx = await _context(desk, user, locale)
    plan = Plan.of(value)
    if not _may_block(ctx, plan.resource):
        return Answer(ctx.speaker._("You can block only your own time."))
    member = await staff_member(plan.resource)
    if member is None:
        return _unknown(ctx)
    start, end = datetime.fromisoformat(plan.start), datetime.fromisoformat(plan.end)
    hits = [b for b in await _hits(ctx, plan.resource, start, end) if b.id in plan.hits]
    return _render(ctx, member, plan, hits)


async def discard(desk: Desk, user: str, locale: str | None = None) -> Answer:
    ctx = await _context(desk, user, locale)
    return Answer(ctx.speaker._("Nothing was blocked."))


async def confirm(desk: Desk, user: str, value: str, locale: str | None = None) -> Answer:
    """Add the block, then cancel the bookings chosen (those still inside the block)."""
    ctx = await _context(desk, user, locale)
    _ = ctx.speaker._
    plan = Plan.of(value)
    if not _may_block(ctx, plan.resource):
        return Answer(_("You can block only your own time."))
    member = await staff_member(plan.resource)
    if member is None:
        return _unknown(ctx)
    name = ctx.who.name if ctx.who else ctx.user
    actor = Actor("admin" if ctx.admin else "staff", name, "slack")
    block = {"start": plan.start, "end": plan.end}
    if plan.reason:
        block["reason"] = plan.reason
    try:
        await add_block(plan.resource, block, actor=actor, now=desk.clock())
    except SlotwiseError as error:
        return Answer(_("The time was not blocked: {error}").format(error=escape(str(error))))
    start, end = datetime.fromisoformat(plan.start), datetime.fromisoformat(plan.end)
    inside = {b.id: b for b in await _hits(ctx, plan.resource, start, end)}
    home = Speaker(
        pick_language(None, (await directory()).info.locale), ctx.speaker.zone, ctx.speaker.zone
    )
    message = home._(
        "{name} is not available at this time after all. We are sorry; please book another time."
    ).format(name=member.name)
    cancelled, failed = 0, 0
    for booking_id in plan.cancel:
        info = inside.get(booking_id)
        if info is None:
            continue
        try:
            await desk.bookings.cancel(
                info.manage_token, actor=actor, reason=message, override=ctx.admin
            )
            cancelled += 1
        except SlotwiseError:
            failed += 1
    lines = [_("Blocked {span}.").format(span=_span_text(ctx, plan))]
    if cancelled:
        lines.append(
            ctx.speaker.n_(
                "Cancelled {count} booking; the customer gets a message.",
                "Cancelled {count} bookings; the customers get a message.",
                cancelled,
            ).format(count=cancelled)
        )
    if failed:
        lines.append(
            ctx.speaker.n_(
                "{count} booking could not be cancelled; it is kept.",
                "{count} bookings could not be cancelled; they are kept.",
                failed,
            ).format(count=failed)
        )
    return Answer("\n".join(lines))
