"""Calendar feeds: a staff member's, a room's or a customer's bookings at an address a
calendar app subscribes to (Google, Outlook, Apple Calendar, Thunderbird).

The address is the only key, so it is unguessable: ``/feeds/<token>.ics`` where the
token is signed (HMAC-SHA256 with the server's secret) over what the feed shows and a
version kept in ``feed_key``. Revoking a feed raises the version: every address given
out before stops working at once, and the new one is printed. Nothing about the
owner is stored beside the version.

A feed's body is byte-stable while nothing in it changes: events are sorted, each
DTSTAMP is when that event last changed (a booking's ``updated_at``, the resource's
last rule edit), never the time of the request. So a calendar that polls gets the
same ETag and a 304 until a booking, a block or a day off changes.

What a resource's feed holds: its bookings (a class with several customers is one
event saying how many), its blocks (a recurring block stays one event with its
RRULE, in the resource's zone, so it keeps its wall time across DST) and its
dates with other hours (a day off is an all-day event). A customer's feed holds
their bookings with the link to each one's page, under the same UID as the
booking's own ``.ics``, so a calendar that has both shows one event. Bookings
that ended more than :data:`PAST` ago, and cancelled ones, are left out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core import models as m
from core.errors import NotFound
from core.text.calendar import FeedEvent, booking_uid, feed_ics
from core.text.i18n import Speaker, pick_language
from core.text.links import feed_link, host_of, manage_link

__all__ = ["CUSTOMER", "PAST", "RESOURCE", "Feed", "FeedService", "FeedSigner"]

RESOURCE = "resource"
CUSTOMER = "customer"
_KINDS = {RESOURCE: "r", CUSTOMER: "c"}
_KIND_OF = {letter: kind for kind, letter in _KINDS.items()}

PAST = timedelta(days=90)
"""How far back a feed reaches: enough to look up last month's visits, and a feed that
grows with every booking ever made would slow every calendar that polls it."""

_SHOWN = (m.BookingStatus.CONFIRMED, m.BookingStatus.COMPLETED, m.BookingStatus.NO_SHOW)
_MAC_BYTES = 16
MAX_TOKEN = 200
"""Longer than any token we sign (a resource id is at most 64 characters)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Feed:
    body: bytes
    etag: str
    """A strong ETag (quoted): the body's digest."""


class FeedSigner:
    """Makes and checks feed tokens: ``<kind letter><version>.<subject>.<mac>``, base64url."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._key = hashlib.sha256(b"slotwise calendar feed\0" + secret).digest()

    def sign(self, kind: str, subject: str, version: int) -> str:
        body = f"{_KINDS[kind]}{version}.{_b64(subject.encode())}"
        return f"{body}.{_b64(self._mac(body))}"

    def read(self, token: str) -> tuple[str, str, int] | None:
        """``(kind, subject, version)`` of a token this server signed; ``None`` otherwise
        (anything longer than :data:`MAX_TOKEN` is not read at all)."""
        if len(token) > MAX_TOKEN or not token.isascii():
            return None
        head, _, mac = token.rpartition(".")
        letter_version, _, subject = head.partition(".")
        kind = _KIND_OF.get(letter_version[:1])
        digits = letter_version[1:]
        if kind is None or not digits.isdigit() or len(digits) > 9 or not subject:
            return None
        try:
            given = _unb64(mac)
            name = _unb64(subject).decode()
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(given, self._mac(head)):
            return None
        return kind, name, int(digits)

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_MAC_BYTES]


class FeedService:
    """Feed addresses (made, revoked) and feed bodies."""

    def __init__(self, signer: FeedSigner, public_url: str, clock: Callable[[], datetime]) -> None:
        self._signer = signer
        self._public_url = public_url
        self._clock = clock

    async def resource_link(self, resource: str) -> str:
        """The feed address of resource ``resource`` (its id in the business file)."""
        await self._resource(resource)
        return await self._link(RESOURCE, resource)

    async def resource_links(self, resources: Sequence[str]) -> dict[str, str]:
        """The feed address of each of these resources that exists, by id: two queries
        whatever their number (a page lists a hundred staff)."""
        rows = await m.Resource.filter(slug__in=list(resources)).values_list("slug")
        known: set[str] = {str(row[0]) for row in rows}
        versions = dict(
            await m.FeedKey.filter(kind=RESOURCE, subject__in=sorted(known)).values_list(
                "subject", "version"
            )
        )
        return {
            slug: feed_link(
                self._public_url, self._signer.sign(RESOURCE, slug, versions.get(slug, 1))
            )
            for slug in resources
            if slug in known
        }

    async def customer_link(self, manage_token: str) -> str | None:
        """The feed address of the customer of a booking (from its manage page), ``None`` for
        a booking made without one."""
        customer_id = (
            await m.Booking.filter(manage_token=manage_token)
            .first()
            .values_list("customer_id", flat=True)
        )
        if customer_id is None:
            return None
        return await self._link(CUSTOMER, str(customer_id))

    async def revoke_resource(self, resource: str) -> str:
        """Stops every address of the resource's feed given out so far; the new address."""
        await self._resource(resource)
        return await self._revoke(RESOURCE, resource)

    async def revoke_customer(self, manage_token: str) -> str | None:
        link = await self.customer_link(manage_token)
        if link is None:
            return None
        customer_id = await m.Booking.get(manage_token=manage_token).values_list(
            "customer_id", flat=True
        )
        return await self._revoke(CUSTOMER, str(customer_id))

    async def render(self, token: str) -> Feed | None:
        """The feed a token names, ``None`` when the token is not ours, was revoked, or its
        resource or customer is gone (the caller answers 404 to all of these alike)."""
        claim = self._signer.read(token)
        if claim is None:
            return None
        kind, subject, version = claim
        if version != await _version(kind, subject):
            return None
        since = datetime.combine(self._clock().astimezone(UTC).date(), time(), UTC) - PAST
        if kind == RESOURCE:
            body = await self._resource_feed(subject, since)
        else:
            body = await self._customer_feed(subject, since)
        if body is None:
            return None
        return Feed(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')

    async def _link(self, kind: str, subject: str) -> str:
        token = self._signer.sign(kind, subject, await _version(kind, subject))
        return feed_link(self._public_url, token)

    async def _revoke(self, kind: str, subject: str) -> str:
        async with in_transaction():
            row, made = await m.FeedKey.get_or_create(
                kind=kind, subject=subject, defaults={"version": 2}
            )
            if not made:
                await m.FeedKey.filter(id=row.id).update(version=F("version") + 1)
        return await self._link(kind, subject)

    async def _resource(self, resource: str) -> m.Resource:
        row = await m.Resource.get_or_none(slug=resource)
        if row is None:
            raise NotFound(f"there is no resource {resource!r}")
        return row

    async def _resource_feed(self, slug: str, since: datetime) -> bytes | None:
        resource = await m.Resource.get_or_none(slug=slug).prefetch_related("business")
        if resource is None:
            return None
        business = resource.business
        zone = resource.timezone or business.timezone
        speaker = Speaker(pick_language(business.locale), zone, zone)
        host = host_of(self._public_url)
        stamp = await _rules_stamp(business, slug)
        events = await _resource_bookings(resource.id, since, speaker, self._public_url)
        events += await _blocks(resource.id, ZoneInfo(zone), since, speaker, host, stamp)
        events += await _days(resource.id, since, speaker, host, slug, stamp)
        return feed_ics(f"{resource.name} · {business.name}", events)

    async def _customer_feed(self, subject: str, since: datetime) -> bytes | None:
        if not subject.isdigit():
            return None
        customer = await m.Customer.get_or_none(id=int(subject))
        business = await m.Business.first()
        if customer is None or business is None:
            return None
        lang = pick_language(customer.locale, business.locale)
        rows = (
            await m.Booking.filter(customer_id=customer.id, status__in=_SHOWN, end__gte=since)
            .order_by("start", "id")
            .values(
                "id",
                "manage_token",
                "start",
                "end",
                "reschedule_count",
                "updated_at",
                "service__name",
                "service__names",
            )
        )
        events = [
            FeedEvent(
                uid=booking_uid(row["id"], self._public_url),
                summary=f"{_name_in(row, lang)} · {business.name}",
                start=row["start"].astimezone(UTC),
                end=row["end"].astimezone(UTC),
                stamp=row["updated_at"].astimezone(UTC),
                sequence=row["reschedule_count"],
                url=manage_link(self._public_url, row["manage_token"]),
            )
            for row in rows
        ]
        return feed_ics(business.name, events)


async def _version(kind: str, subject: str) -> int:
    found = await m.FeedKey.get_or_none(kind=kind, subject=subject)
    return found.version if found is not None else 1


def _name_in(row: dict[str, object], lang: str) -> str:
    names = row.get("service__names") or {}
    name = names.get(lang) if isinstance(names, dict) else None
    return str(name or row["service__name"])


async def _rules_stamp(business: m.Business, slug: str) -> datetime:
    """When this resource's rules last changed: its last rule edit, else the business's
    creation (an import). Blocks and days off carry it as their DTSTAMP."""
    last = (
        await m.RuleHistory.filter(business_id=business.id, subject=slug)
        .exclude(action__startswith="calendar.")  # their own calendar: not a rule of ours
        .order_by("-at")
        .first()
        .values_list("at", flat=True)
    )
    return _utc(last or business.created_at)


async def _resource_bookings(
    resource_id: int, since: datetime, speaker: Speaker, public_url: str
) -> list[FeedEvent]:
    rows = (
        await m.BookingResource.filter(
            resource_id=resource_id, booking__status__in=_SHOWN, booking__end__gte=since
        )
        .order_by("booking__start", "booking_id")
        .values(
            "booking_id",
            "booking__start",
            "booking__end",
            "booking__seats",
            "booking__reschedule_count",
            "booking__updated_at",
            "booking__customer__name",
            "booking__service__slug",
            "booking__service__name",
            "booking__service__names",
        )
    )
    # A class with several customers is one event: one per booking would stack them.
    slots: dict[tuple[str, datetime, datetime], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        key = (row["booking__service__slug"], row["booking__start"], row["booking__end"])
        slots[key].append(row)
    events = []
    for (service, start, end), together in slots.items():
        first = together[0]
        name = _name_in({k.removeprefix("booking__"): v for k, v in first.items()}, speaker.lang)
        stamp = max(_utc(row["booking__updated_at"]) for row in together)
        if len(together) == 1:
            who = first["booking__customer__name"]
            summary = f"{name} · {who}" if who else name
            uid = booking_uid(int(str(first["booking_id"])), public_url)
            sequence = int(str(first["booking__reschedule_count"]))
        else:
            seats = sum(int(str(row["booking__seats"])) for row in together)
            booked = speaker.n_("%(n)d booked", "%(n)d booked", seats) % {"n": seats}
            summary = f"{name} · {booked}"
            uid = f"class-{service}-{_utc(start):%Y%m%dT%H%M%SZ}@{host_of(public_url)}"
            sequence = 0
        events.append(
            FeedEvent(
                uid=uid,
                summary=summary,
                start=_utc(start),
                end=_utc(end),
                stamp=stamp,
                sequence=sequence,
            )
        )
    return events


async def _blocks(
    resource_id: int,
    zone: ZoneInfo,
    since: datetime,
    speaker: Speaker,
    host: str,
    stamp: datetime,
) -> list[FeedEvent]:
    events = []
    for block in await m.Block.filter(resource_id=resource_id).order_by("start", "id"):
        start = datetime.fromisoformat(block.start).replace(tzinfo=zone)
        end = datetime.fromisoformat(block.end).replace(tzinfo=zone)
        if not block.rrule and end < since:
            continue
        blocked = speaker._("Blocked")
        summary = f"{blocked}: {block.reason}" if block.reason else blocked
        key = f"{block.start}|{block.end}|{block.rrule or ''}".encode()
        events.append(
            FeedEvent(
                uid=f"block-{hashlib.sha256(key).hexdigest()[:20]}@{host}",
                summary=summary,
                start=start,
                end=end,
                stamp=stamp,
                rrule=block.rrule,
            )
        )
    return events


async def _days(
    resource_id: int, since: datetime, speaker: Speaker, host: str, slug: str, stamp: datetime
) -> list[FeedEvent]:
    """Dates with other hours than the week's: a day off, or the hours of that day."""
    hours: dict[date, list[tuple[int, int]]] = defaultdict(list)
    closed: set[date] = set()
    for day, start, end in await m.DateOverride.filter(
        resource_id=resource_id, date__gte=since.date()
    ).values_list("date", "start_min", "end_min"):
        if start is None or end is None:
            closed.add(day)
        else:
            hours[day].append((start, end))
    events = []
    for day in sorted(closed | set(hours)):
        if day in closed:
            summary = speaker._("Day off")
        else:
            stretches = ", ".join(
                f"{_clock(day, a, speaker)}–{_clock(day, b, speaker)}"
                for a, b in sorted(hours[day])
            )
            summary = speaker._("Hours this day: %(hours)s") % {"hours": stretches}
        events.append(
            FeedEvent(
                uid=f"day-{slug}-{day:%Y%m%d}@{host}",
                summary=summary,
                start=day,
                end=day + timedelta(days=1),
                stamp=stamp,
            )
        )
    return events


def _clock(day: date, minutes: int, speaker: Speaker) -> str:
    moment = datetime.combine(day, time(), ZoneInfo(speaker.zone)) + timedelta(minutes=minutes)
    return speaker.time(moment)


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value.astimezone(UTC).replace(microsecond=0)
