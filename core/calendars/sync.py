"""Two-way sync with staff members' own calendars (CalDAV).

**In:** what is busy in their calendar is busy here. A sync reads what changed
since the last one (WebDAV sync token), expands each changed object over the
window bookings can reach (the longest booking window of the services the
person gives, plus a day), and replaces that object's rows in ``external_busy``
(times only: no title, no place, no attendees). Once a day the whole calendar
is read again, because a weekly event's occurrences are only stored as far as
the window reached then. A sync that changes the busy time gives the connection
a new ``busy_version`` in the same transaction; the store reads the busy time
with the resource's rules when that version is new to it (and keeps it until
the next one), so the slots change as soon as a sync lands. Our own events
(the bookings written there) are recognised by their address and UID and not
read back as busy time.

**Out:** each confirmed booking of theirs from yesterday on is written into that
calendar, under the booking's UID (the one of its ``.ics``), rewritten when it
changes (a move, a new name) and removed when it is cancelled or moves to
someone else. What was written is kept in ``pushed_event`` with a digest, so a
sync writes only what changed, and a sync that died half way is finished by the
next one (a PUT to the same address is the same object again).

The address must be public unless the operator allows private ones
(``SLOTWISE_CALENDARS_ALLOW_PRIVATE``): checked when it is connected and again before
every sync, and by every request (see :mod:`core.calendars.remote`), so a connection
stored earlier that now points inward is refused without a request being sent.

A connection the server refuses (password, address) is marked ``refused`` and
left alone until it is connected again; one that does not answer is
``failing`` and tried again at the next round. Either way its last known busy
time keeps counting until the connection is removed: forgetting it would offer
time the person said they do not have.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core import models as m
from core.bookings.types import Actor
from core.calendars.busy import busy_of, uids_of
from core.calendars.credentials import Credentials
from core.calendars.remote import DavCalendar, RemoteCalendar, check_url
from core.errors import CalendarRefused, CalendarUnreachable, InvalidRequest, NotFound
from core.outbox.kinds import MessageKind, booking_key
from core.text.calendar import FeedEvent, booking_uid, calendar_object
from core.text.links import host_of

__all__ = [
    "Calendars",
    "Connection",
    "Opener",
    "StaffCalendar",
    "clashing",
    "connection_of",
    "staff_calendars",
]

log = logging.getLogger(__name__)

Opener = Callable[[str, str, str], RemoteCalendar]
"""Opens a calendar from its address, user name and password (tests open fakes)."""

FULL_SYNC_EVERY = timedelta(days=1)
_UNEXPECTED = "the sync failed unexpectedly (see the worker's log); it is tried again later"
DEFAULT_WINDOW_DAYS = 60
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Connection:
    """A connection as people see it: whose, where, and how it fares."""

    resource: str
    url: str
    username: str
    state: str
    last_error: str
    synced_at: datetime | None
    busy: int
    """Busy intervals known from it now."""


class Calendars:
    """Connect, sync and disconnect staff members' calendars."""

    def __init__(
        self,
        credentials: Credentials,
        public_url: str,
        clock: Callable[[], datetime],
        *,
        every: timedelta = timedelta(minutes=5),
        parallel: int = 4,
        allow_private: bool = False,
        opener: Opener | None = None,
    ) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self._credentials = credentials
        self._public_url = public_url
        self._clock = clock
        self._every = every
        self._parallel = parallel
        self._allow_private = allow_private
        self._open = opener or (
            lambda url, user, password: DavCalendar(
                url, user, password, allow_private=allow_private
            )
        )

    async def connect(
        self,
        resource: str,
        url: str,
        username: str,
        password: str,
        *,
        actor: Actor | None = None,
    ) -> Connection:
        """Stores the connection (replacing one the resource had) and syncs it at once; the
        result says whether the server took it (``state``/``last_error``). With an
        ``actor``, the audit log says who connected which address (never the password)."""
        url = check_url(url, allow_private=self._allow_private)
        if not username.strip():
            raise InvalidRequest("the user name is empty", field="username")
        if not password:
            raise InvalidRequest("the password is empty", field="password")
        row = await _resource(resource)
        sealed = self._credentials.seal(password)
        async with in_transaction():
            before = await m.CalendarConnection.get_or_none(resource_id=row.id)
            await m.CalendarConnection.filter(resource_id=row.id).delete()
            await m.CalendarConnection.create(
                resource_id=row.id,
                url=url,
                username=username.strip(),
                secret=sealed,
                due_at=self._clock(),
            )
        shown = await self.sync(resource)
        if actor is not None:
            await self._audit(row, actor, "calendar.connect", _audited(before), _audited(shown))
        return shown

    async def disconnect(self, resource: str, *, actor: Actor | None = None) -> None:
        """Forgets the connection and the busy time read from it. The events written there
        stay in that calendar (it is theirs); they no longer follow the bookings."""
        row = await _resource(resource)
        before = await m.CalendarConnection.get_or_none(resource_id=row.id)
        if before is None or not await m.CalendarConnection.filter(id=before.id).delete():
            raise NotFound(f"{resource!r} has no calendar connected")
        if actor is not None:
            await self._audit(row, actor, "calendar.disconnect", _audited(before), None)

    async def _audit(
        self,
        resource: m.Resource,
        actor: Actor,
        action: str,
        before: dict[str, str] | None,
        after: dict[str, str] | None,
    ) -> None:
        """In the audit log with the rule changes (``calendar.*``, the resource's id)."""
        await m.RuleHistory.create(
            business_id=resource.business_id,
            at=self._clock(),
            actor=actor.label[:250],
            channel=actor.channel,
            action=action,
            subject=resource.slug,
            before=before,
            after=after,
        )

    async def connections(self) -> list[Connection]:
        rows = await m.CalendarConnection.all().prefetch_related("resource").order_by("id")
        return [await _shown(row) for row in rows]

    async def sync(self, resource: str, *, actor: Actor | None = None) -> Connection:
        """Reads and writes one connection now, whatever its state."""
        row = await _resource(resource)
        connection = await m.CalendarConnection.get_or_none(resource_id=row.id)
        if connection is None:
            raise NotFound(f"{resource!r} has no calendar connected")
        await self._sync(connection, row)
        await connection.refresh_from_db()
        await connection.fetch_related("resource")
        shown = await _shown(connection)
        if actor is not None:
            await self._audit(row, actor, "calendar.sync", None, _audited(shown))
        return shown

    async def sync_due(self, now: datetime | None = None) -> list[Connection]:
        """The worker's round: every connection that is due at ``now`` and not refused."""
        now = now or self._clock()
        due = (
            await m.CalendarConnection.filter(due_at__lte=now)
            .exclude(state="refused")
            .prefetch_related("resource")
            .order_by("due_at", "id")
        )
        return await self._sync_many(due, now)

    async def sync_all(self) -> list[Connection]:
        """Every connected calendar now, whatever its state (``slotwise calendar sync``)."""
        rows = await m.CalendarConnection.all().prefetch_related("resource").order_by("id")
        return await self._sync_many(rows, self._clock())

    async def _sync_many(
        self, rows: Sequence[m.CalendarConnection], now: datetime
    ) -> list[Connection]:
        """Syncs the connections side by side, at most ``parallel`` at a time: each waits
        mostly on its server, and one slow server must not hold up everyone else's
        busy time. The results come in the order of ``rows``."""
        gate = asyncio.Semaphore(self._parallel)

        async def one(connection: m.CalendarConnection) -> Connection:
            async with gate:
                try:
                    await self._sync(connection, connection.resource, now)
                except Exception:  # one calendar's bug must not end the others' round
                    log.exception("calendar of %s: the sync failed", connection.resource.slug)
                    await _mark(connection, "failing", _UNEXPECTED, now + self._every)
            await connection.refresh_from_db()
            return await _shown(connection)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(connection)) for connection in rows]
        return [task.result() for task in tasks]

    async def _sync(
        self, connection: m.CalendarConnection, resource: m.Resource, now: datetime | None = None
    ) -> None:
        now = now or self._clock()
        try:
            check_url(connection.url, allow_private=self._allow_private)
            password = self._credentials.open(connection.secret)
            async with self._open(connection.url, connection.username, password) as remote:
                window = await _window(resource, now)
                await self._pull(connection, resource, remote, now, window)
                await self._push(connection, resource, remote, now)
        except (CalendarRefused, InvalidRequest) as error:  # InvalidRequest: address, no key
            await _mark(connection, "refused", error.message, None)
            log.warning("calendar of %s refused: %s", resource.slug, error.message)
            return
        except CalendarUnreachable as error:
            await _mark(connection, "failing", error.message, now + self._every)
            log.warning("calendar of %s unreachable: %s", resource.slug, error.message)
            return
        await _mark(connection, "ok", "", now + self._every, synced_at=now)

    async def _pull(
        self,
        connection: m.CalendarConnection,
        resource: m.Resource,
        remote: RemoteCalendar,
        now: datetime,
        window: tuple[datetime, datetime, ZoneInfo],
    ) -> None:
        lo, hi, zone = window
        full = (
            connection.sync_token is None
            or connection.full_sync_at is None
            or now - connection.full_sync_at >= FULL_SYNC_EVERY
        )
        changes = await remote.changes(None if full else connection.sync_token)
        ours = {
            urlsplit(str(href)).path
            for href in await m.PushedEvent.filter(connection_id=connection.id).values_list(
                "href", flat=True
            )
        }
        host = host_of(self._public_url)
        rows: list[m.ExternalBusy] = []
        touched: list[str] = []
        for href, data in changes.objects:
            touched.append(href)
            if data is None or urlsplit(href).path in ours:
                continue
            try:
                if any(_is_ours(uid, host) for uid in uids_of(data)):
                    continue
                # Off the event loop: a big calendar object takes a while to expand,
                # and the worker's reminders should not wait for it.
                intervals = await asyncio.to_thread(busy_of, data, lo, hi, zone)
            except ValueError as error:
                log.warning(
                    "calendar of %s: skipped an unreadable object (%s)", resource.slug, error
                )
                continue
            rows.extend(
                m.ExternalBusy(
                    connection_id=connection.id,
                    resource_id=resource.id,
                    href=href[:500],
                    start=start,
                    end=end,
                )
                for start, end in intervals
            )
        async with in_transaction():
            if full:
                await m.ExternalBusy.filter(connection_id=connection.id).delete()
            else:
                for chunk in _chunks(touched):
                    await m.ExternalBusy.filter(
                        connection_id=connection.id, href__in=[h[:500] for h in chunk]
                    ).delete()
            if rows:
                await m.ExternalBusy.bulk_create(rows, batch_size=_CHUNK)
                await _tell_of_clashes(resource, rows, now)
            update: dict[str, object] = {"sync_token": changes.token}
            if full:
                update["full_sync_at"] = now
            if full or touched:
                # Committed with the rows: the next slot query reads the new busy time.
                update["busy_version"] = uuid.uuid4()
            await m.CalendarConnection.filter(id=connection.id).update(**update)

    async def _push(
        self,
        connection: m.CalendarConnection,
        resource: m.Resource,
        remote: RemoteCalendar,
        now: datetime,
    ) -> None:
        since = now - timedelta(days=1)
        rows = await m.BookingResource.filter(
            resource_id=resource.id,
            booking__status=m.BookingStatus.CONFIRMED,
            booking__end__gte=since,
        ).values(
            "booking_id",
            "booking__start",
            "booking__end",
            "booking__reschedule_count",
            "booking__updated_at",
            "booking__customer__name",
            "booking__service__name",
        )
        wanted = {row["booking_id"]: self._object(row) for row in rows}
        pushed = {p.booking_id: p for p in await m.PushedEvent.filter(connection_id=connection.id)}
        for booking_id, data in wanted.items():
            version = hashlib.sha256(data).hexdigest()
            before = pushed.get(booking_id)
            if before is not None and before.version == version:
                continue
            href = await remote.put(f"slotwise-booking-{booking_id}.ics", data.decode())
            if before is None:
                await m.PushedEvent.create(
                    connection_id=connection.id, booking_id=booking_id, href=href, version=version
                )
            else:
                await m.PushedEvent.filter(id=before.id).update(href=href, version=version)
        gone = [p for booking_id, p in pushed.items() if booking_id not in wanted]
        if not gone:
            return
        still = {
            int(str(booking_id))
            for booking_id in await m.BookingResource.filter(
                resource_id=resource.id,
                booking_id__in=[p.booking_id for p in gone],
                booking__status__not=m.BookingStatus.CANCELLED,
            ).values_list("booking_id", flat=True)
        }
        for event in gone:
            if event.booking_id not in still:  # cancelled, moved to someone else, or deleted
                await remote.delete(event.href)
            # Past bookings stay in their calendar; we only stop following them.
            await m.PushedEvent.filter(id=event.id).delete()

    def _object(self, row: dict[str, object]) -> bytes:
        service = str(row["booking__service__name"])
        who = row["booking__customer__name"]
        return calendar_object(
            FeedEvent(
                uid=booking_uid(int(str(row["booking_id"])), self._public_url),
                summary=f"{service} · {who}" if who else service,
                start=_utc(row["booking__start"]),
                end=_utc(row["booking__end"]),
                stamp=_utc(row["booking__updated_at"]),
                sequence=int(str(row["booking__reschedule_count"])),
            )
        )


async def _tell_of_clashes(
    resource: m.Resource, rows: Sequence[m.ExternalBusy], now: datetime
) -> None:
    """A notice to the staff member for each upcoming booking of theirs that an event just
    read lands on, once per event and booking (nothing is cancelled: the booking was
    there first). Written in the sync's transaction, sent by the worker like any notice."""
    lo = min(row.start for row in rows)
    hi = max(row.end for row in rows)
    booked = await m.BookingResource.filter(
        resource_id=resource.id,
        booking__status=m.BookingStatus.CONFIRMED,
        appointment_end__gt=max(lo, now),
        appointment_start__lt=hi,
    ).values("booking_id", "appointment_start", "appointment_end", "booking__service__slug")
    for booking in booked:
        start, end = booking["appointment_start"], booking["appointment_end"]
        for row in rows:
            if not (row.start < end and row.end > start):
                continue
            event = f"{row.href}|{row.start.isoformat()}|{row.end.isoformat()}"
            key = booking_key(
                booking["booking_id"],
                f"calendar_conflict:{hashlib.sha256(event.encode()).hexdigest()[:16]}",
            )
            if await m.Outbox.filter(dedup_key=key).exists():
                continue
            await m.Outbox.create(
                dedup_key=key,
                kind=MessageKind.STAFF_CALENDAR_CONFLICT,
                booking_id=booking["booking_id"],
                payload={
                    "kind": MessageKind.STAFF_CALENDAR_CONFLICT.value,
                    "booking_id": booking["booking_id"],
                    "service": booking["booking__service__slug"],
                    "start": _utc(start).isoformat(),
                    "end": _utc(end).isoformat(),
                    "resources": [resource.slug],
                },
                available_at=now,
            )


def _audited(connection: Connection | m.CalendarConnection | None) -> dict[str, str] | None:
    """What the audit log keeps of a connection: where and how it fared; no password."""
    if connection is None:
        return None
    return {
        "url": connection.url,
        "username": connection.username,
        "state": connection.state,
        "last_error": connection.last_error,
    }


@dataclass(frozen=True, slots=True)
class StaffCalendar:
    """A staff member and their calendar connection, if any (the admin panel's list)."""

    resource: str
    name: str
    connection: Connection | None


async def staff_calendars(resource: str | None = None) -> list[StaffCalendar]:
    """Every staff member (or just ``resource``) in the business file's order, with how
    their calendar fares. Reads only."""
    query = m.Resource.filter(kind=m.ResourceKind.STAFF)
    if resource is not None:
        query = m.Resource.filter(slug=resource)
    rows = await query.order_by("position", "id")
    connections = {
        c.resource_id: c
        for c in await m.CalendarConnection.filter(
            resource_id__in=[r.id for r in rows]
        ).prefetch_related("resource")
    }
    found = []
    for row in rows:
        connection = connections.get(row.id)
        shown = await _shown(connection) if connection is not None else None
        found.append(StaffCalendar(row.slug, row.name, shown))
    return found


async def clashing(booking_ids: Collection[int]) -> set[int]:
    """Which of these bookings (confirmed ones) an event in the staff member's own calendar
    lands on: the admin panel's day list marks them (nothing is cancelled by itself)."""
    if not booking_ids:
        return set()
    rows = await m.BookingResource.filter(
        booking_id__in=list(booking_ids), booking__status=m.BookingStatus.CONFIRMED
    ).values_list("booking_id", "resource_id", "appointment_start", "appointment_end")
    if not rows:
        return set()
    lo = min(r[2] for r in rows)
    hi = max(r[3] for r in rows)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for resource_id, start, end in await m.ExternalBusy.filter(
        resource_id__in=sorted({r[1] for r in rows}), end__gt=lo, start__lt=hi
    ).values_list("resource_id", "start", "end"):
        busy.setdefault(resource_id, []).append((start, end))
    return {
        booking_id
        for booking_id, resource_id, start, end in rows
        if any(a < end and b > start for a, b in busy.get(resource_id, ()))
    }


async def connection_of(resource: str) -> Connection | None:
    """How the calendar of ``resource`` fares (for the staff member to see), ``None`` when
    they have none connected. Reads only: no password is needed."""
    row = await m.CalendarConnection.filter(resource__slug=resource).prefetch_related("resource")
    return await _shown(row[0]) if row else None


async def _resource(resource: str) -> m.Resource:
    row = await m.Resource.get_or_none(slug=resource)
    if row is None:
        raise NotFound(f"there is no resource {resource!r}")
    return row


async def _window(resource: m.Resource, now: datetime) -> tuple[datetime, datetime, ZoneInfo]:
    """From yesterday to the end of the longest booking window of the services the resource
    is in, and the resource's zone (for all-day and floating events)."""
    days = await m.ServicePoolMember.filter(
        resource_id=resource.id, pool__service__active=True
    ).values_list("pool__service__max_advance_days", flat=True)
    longest = max((int(str(d)) for d in days if d is not None), default=DEFAULT_WINDOW_DAYS)
    business = await m.Business.get(id=resource.business_id)
    zone = ZoneInfo(resource.timezone or business.timezone)
    return now - timedelta(days=1), now + timedelta(days=longest + 1), zone


async def _mark(
    connection: m.CalendarConnection,
    state: str,
    error: str,
    due_at: datetime | None,
    *,
    synced_at: datetime | None = None,
) -> None:
    update: dict[str, object] = {"state": state, "last_error": error, "due_at": due_at}
    if synced_at is not None:
        update["synced_at"] = synced_at
    await m.CalendarConnection.filter(id=connection.id).update(**update)


async def _shown(connection: m.CalendarConnection) -> Connection:
    return Connection(
        resource=connection.resource.slug,
        url=connection.url,
        username=connection.username,
        state=connection.state,
        last_error=connection.last_error,
        synced_at=connection.synced_at,
        busy=await m.ExternalBusy.filter(connection_id=connection.id).count(),
    )


def _is_ours(uid: str, host: str) -> bool:
    """A booking we wrote there (``booking-42@<our host>``)."""
    return uid.startswith("booking-") and uid.endswith(f"@{host}")


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _utc(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value.astimezone(UTC).replace(microsecond=0)
