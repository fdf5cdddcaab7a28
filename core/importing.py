"""Importing a business file over the business in the database, keeping every booking.

``import_business`` changes the rules in place, in one transaction, after the
store's whole-file check: the business settings, and the resources and services
matched by their ids, each rewritten only where it differs (an export imported
again writes nothing). A resource or service the file no longer lists is deleted
when nothing refers to it, and otherwise switched off and kept: deleting it
would drop bookings (or waitlist entries, or a kept service's pool).

Bookings are never deleted or changed. A booking of the file that is already
there (the same manage token, or for a file without tokens the same service,
start, resources and seats) is left as the database has it; the others are
added through the store's one writer of file bookings. Upcoming bookings that
the new rules would not allow (outside the hours, in a block, on something
switched off or removed) are kept and listed in the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import models as m
from core.business import BookingRecord, Business
from core.engine.calendar import hours_instants, open_instants
from core.engine.snapshot import Snapshot
from core.engine.zones import instant_seconds
from core.store import (
    InvalidBusiness,
    check_business,
    load_booking_records,
    load_rules,
    load_rules_as_business,
    overbooked,
    overbooked_text,
    replace_business,
    resource_fields,
    service_fields,
    write_bookings,
    write_resource_rules,
    write_service_rules,
)

__all__ = ["ImportReport", "Misfit", "import_business"]


@dataclass(frozen=True, slots=True)
class Misfit:
    """An upcoming booking the new rules would not allow; kept as it is."""

    booking_id: int
    service: str
    start: datetime
    """UTC."""
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Changes:
    """What became of the resources (or the services) the database had."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    """Deleted: nothing referred to them."""
    switched_off: tuple[str, ...] = ()
    """Gone from the file but kept, inactive, because bookings still refer to them."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    resources: Changes
    services: Changes
    added_bookings: int
    known_bookings: int
    """Bookings of the file that were already in the database, left as they are."""
    misfits: tuple[Misfit, ...]
    timezone: str


async def import_business(
    business: Business, now: datetime | None = None, *, current: Business | None = None
) -> ImportReport:
    """Make the database hold ``business``'s rules without losing a booking.

    ``current`` is the business's rules as the caller has just read them in the same
    transaction (:func:`core.store.load_rules_as_business`: a rule edit), so they are
    not read again; the misfits listed are then those on what the edit changed.
    Either way, of the bookings already made only those the capacity check needs
    are read: the ones on resources whose capacity went down or that the file's
    bookings occupy.
    """
    check_business(business)
    now = now or datetime.now(UTC)
    if not await m.Business.exists():
        await replace_business(business)
        return ImportReport(
            Changes(added=tuple(r.id for r in business.resources)),
            Changes(added=tuple(s.id for s in business.services)),
            len(business.bookings),
            0,
            (),
            business.info.timezone,
        )
    scoped = current is not None
    touched: set[str] = set()
    async with in_transaction() as conn:
        if current is None:
            current = await load_rules_as_business()
        row = await m.Business.all().using_db(conn).order_by("id").first()
        assert row is not None  # a business exists, and only this import writes one
        quiet = business.info.quiet_hours
        if (
            row.name,
            row.timezone,
            row.locale,
            row.colour,
            row.quiet_start_min,
            row.quiet_end_min,
        ) != (
            business.info.name,
            business.info.timezone,
            business.info.locale,
            business.info.colour,
            quiet.start_min,
            quiet.end_min,
        ):
            await (
                m.Business.filter(id=row.id)
                .using_db(conn)
                .update(
                    name=business.info.name,
                    timezone=business.info.timezone,
                    locale=business.info.locale,
                    colour=business.info.colour,
                    quiet_start_min=quiet.start_min,
                    quiet_end_min=quiet.end_min,
                )
            )
        service_changes, kept_services = await _gone_services(conn, row.id, current, business)
        touched.update(
            f"service:{slug}" for slug in (*service_changes.removed, *service_changes.switched_off)
        )
        resource_changes, resource_ids = await _sync_resources(
            conn, row.id, current, business, kept_services, touched
        )
        service_ids = await _sync_services(conn, row.id, current, business, resource_ids, touched)
        new, known = await _new_bookings(conn, current, business)
        await write_bookings(
            conn, row.id, replace(business, bookings=new), resource_ids, service_ids
        )
    return ImportReport(
        resource_changes,
        service_changes,
        len(new),
        known,
        await _misfits(now, touched if scoped else None),
        business.info.timezone,
    )


async def _gone_services(
    conn: BaseDBAsyncClient, business_id: int, current: Business, business: Business
) -> tuple[Changes, set[str]]:
    """Services gone from the file: deleted when unused, else switched off and kept."""
    listed = {s.id for s in business.services}
    gone = [s for s in current.services if s.id not in listed]
    ids = dict(
        await m.Service.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
    )
    gone_ids = [ids[s.id] for s in gone]
    used = await _slugs(
        m.Booking.filter(service_id__in=gone_ids).using_db(conn), "service__slug"
    ) | await _slugs(
        m.WaitlistEntry.filter(service_id__in=gone_ids).using_db(conn), "service__slug"
    )
    kept = [s for s in gone if s.id in used]
    for position, service in enumerate(kept, start=len(business.services)):
        await (
            m.Service.filter(id=ids[service.id])
            .using_db(conn)
            .update(active=False, position=position)
        )
    await (
        m.Service.filter(id__in=[ids[s.id] for s in gone if s.id not in used])
        .using_db(conn)
        .delete()
    )
    known = {s.id for s in current.services}
    return (
        Changes(
            added=tuple(s.id for s in business.services if s.id not in known),
            removed=tuple(s.id for s in gone if s.id not in used),
            switched_off=tuple(s.id for s in kept),
        ),
        {s.id for s in kept},
    )


async def _sync_resources(
    conn: BaseDBAsyncClient,
    business_id: int,
    current: Business,
    business: Business,
    kept_services: set[str],
    touched: set[str],
) -> tuple[Changes, dict[str, int]]:
    """Resources as the file has them; rules rewritten only where they changed. The
    slugs of those added, changed, removed or switched off go into ``touched``."""
    ids: dict[str, int] = dict(
        await m.Resource.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
    )
    old = {r.id: r for r in current.resources}
    old_positions = {r.id: i for i, r in enumerate(current.resources)}
    changed_rules = []
    for position, resource in enumerate(business.resources):
        fields = resource_fields(
            resource,
            position,
            business.resource_aliases,
            business.resource_names,
            business.slack_users,
            business.resource_emails,
            business.morning_summaries,
        )
        before = old.get(resource.id)
        if before is None:
            made = await m.Resource.create(business_id=business_id, **fields, using_db=conn)
            ids[resource.id] = made.id
            changed_rules.append(resource)
            continue
        was = resource_fields(
            before,
            old_positions[resource.id],
            current.resource_aliases,
            current.resource_names,
            current.slack_users,
            current.resource_emails,
            current.morning_summaries,
        )
        if fields != was:
            touched.add(resource.id)
            del fields["slug"]
            await m.Resource.filter(id=ids[resource.id]).using_db(conn).update(**fields)
        if (before.weekly_hours, before.date_overrides, before.blocks) != (
            resource.weekly_hours,
            resource.date_overrides,
            resource.blocks,
        ):
            rid = ids[resource.id]
            await m.WeeklyHours.filter(resource_id=rid).using_db(conn).delete()
            await m.DateOverride.filter(resource_id=rid).using_db(conn).delete()
            await m.Block.filter(resource_id=rid).using_db(conn).delete()
            changed_rules.append(resource)
            touched.add(resource.id)
        if before.capacity != resource.capacity:
            # What PostgreSQL's exclusion constraint checks: capacity one.
            await (
                m.BookingResource.filter(resource_id=ids[resource.id])
                .using_db(conn)
                .update(exclusive=resource.capacity == 1)
            )
    await write_resource_rules(conn, ids, changed_rules)
    listed = {r.id for r in business.resources}
    gone = [r for r in current.resources if r.id not in listed]
    touched.update(r.id for r in gone)
    gone_ids = [ids[r.id] for r in gone]
    used = await _slugs(
        m.BookingResource.filter(resource_id__in=gone_ids).using_db(conn), "resource__slug"
    ) | await _slugs(
        m.WaitlistEntry.filter(provider_id__in=gone_ids).using_db(conn), "provider__slug"
    )
    used |= {
        slug
        for s in current.services
        if s.id in kept_services
        for pool in s.requires
        for slug in pool
    }
    kept = [r for r in gone if r.id in used]
    for position, resource in enumerate(kept, start=len(business.resources)):
        await (
            m.Resource.filter(id=ids[resource.id])
            .using_db(conn)
            .update(active=False, position=position)
        )
    removed = [r.id for r in gone if r.id not in used]
    # A pool member of a removed resource belongs to a service the file rewrites.
    await (
        m.ServicePoolMember.filter(resource_id__in=[ids[slug] for slug in removed])
        .using_db(conn)
        .delete()
    )
    await m.Resource.filter(id__in=[ids.pop(slug) for slug in removed]).using_db(conn).delete()
    return (
        Changes(
            added=tuple(r.id for r in business.resources if r.id not in old),
            removed=tuple(removed),
            switched_off=tuple(r.id for r in kept),
        ),
        ids,
    )


async def _sync_services(
    conn: BaseDBAsyncClient,
    business_id: int,
    current: Business,
    business: Business,
    resource_ids: dict[str, int],
    touched: set[str],
) -> dict[str, int]:
    """Services as the file has them; pools and blackouts rewritten where they changed
    (the changed ones go into ``touched``, as ``service:<id>``)."""
    ids: dict[str, int] = dict(
        await m.Service.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
    )
    old = {s.id: s for s in current.services}
    old_positions = {s.id: i for i, s in enumerate(current.services)}
    changed_rules = []
    for position, service in enumerate(business.services):
        fields = service_fields(
            service,
            position,
            business.policies,
            business.service_aliases,
            business.service_names,
            business.reminders,
        )
        before = old.get(service.id)
        if before is None:
            made = await m.Service.create(business_id=business_id, **fields, using_db=conn)
            ids[service.id] = made.id
            changed_rules.append(service)
            continue
        was = service_fields(
            before,
            old_positions[service.id],
            current.policies,
            current.service_aliases,
            current.service_names,
            current.reminders,
        )
        if fields != was:
            touched.add(f"service:{service.id}")
            del fields["slug"]
            await m.Service.filter(id=ids[service.id]).using_db(conn).update(**fields)
        if before.requires != service.requires or _blackouts(current, service.id) != _blackouts(
            business, service.id
        ):
            await m.ServicePool.filter(service_id=ids[service.id]).using_db(conn).delete()
            await m.ServiceBlackout.filter(service_id=ids[service.id]).using_db(conn).delete()
            changed_rules.append(service)
            touched.add(f"service:{service.id}")
    listed = {slug: ids[slug] for slug in (s.id for s in changed_rules)}
    await write_service_rules(conn, listed, changed_rules, resource_ids, business.policies)
    return ids


async def _slugs(query: QuerySet[Any], column: str) -> set[str]:
    """The distinct texts of one column of the query's rows."""
    return {str(value) for value in await query.values_list(column, flat=True)}


def _blackouts(business: Business, service_id: str) -> tuple[object, ...]:
    policy = business.policies.get(service_id)
    return () if policy is None else policy.blackouts


async def _new_bookings(
    conn: BaseDBAsyncClient, current: Business, business: Business
) -> tuple[tuple[BookingRecord, ...], int]:
    """The file's bookings that are not in the database yet, checked against those that are.

    A file booking with a token is known when a booking (of any status) has that
    token; one without is known when a confirmed booking has its service, start,
    resources and seats (each database booking answers for one file booking).

    Only the bookings that can matter are read: those on a resource whose capacity
    went down (they may not fit together any more) or that a booking of the file
    occupies (the new ones must fit among them). Bookings elsewhere fitted before
    and still do: the times they occupy were fixed when they were made.
    """
    capacity = {r.id: r.capacity for r in current.resources}
    lowered = {r.id for r in business.resources if r.capacity < capacity.get(r.id, r.capacity)}
    occupied = {slug for record in business.bookings for slug in record.resources}
    if not lowered and not occupied:
        return (), 0
    existing = await load_booking_records(lowered | occupied)
    wanted_tokens = [r.token for r in business.bookings if r.token is not None]
    tokens: set[str] = set()
    for first in range(0, len(wanted_tokens), _TOKENS_PER_QUERY):
        chunk = wanted_tokens[first : first + _TOKENS_PER_QUERY]
        tokens |= await _slugs(
            m.Booking.filter(manage_token__in=chunk).using_db(conn), "manage_token"
        )
    unclaimed = Counter(_appointment(b) for b in existing)
    new: list[BookingRecord] = []
    for record in business.bookings:
        if record.token is not None:
            if record.token not in tokens:
                new.append(record)
            continue
        key = _appointment(record)
        if unclaimed[key] > 0:
            unclaimed[key] -= 1
        else:
            new.append(record)
    # Bookings already made occupy what their service's durations and buffers were
    # when they were made; the file's new ones what the file says.
    old = {s.id: s for s in current.services}
    new_services = {s.id: s for s in business.services}
    capacity.update((r.id, r.capacity) for r in business.resources)
    every = [*existing, *new]
    services = [old[b.service] for b in existing]
    services += [new_services[b.service] for b in new]
    found = overbooked(every, services, capacity)
    if found is not None:
        known = len(existing)

        def name(i: int) -> str:
            if i >= known:
                return f"the file's new booking of {every[i].service} at {_utc(every[i].start)}"
            return f"the booking of {every[i].service} at {_utc(every[i].start)}"

        raise InvalidBusiness(
            overbooked_text(found, name) + "; nothing was imported (lower no capacity below "
            "the bookings already made, and add no booking where there is no room)"
        )
    return tuple(new), len(business.bookings) - len(new)


_TOKENS_PER_QUERY = 10_000
"""PostgreSQL takes at most 32,767 parameters in one statement."""


def _appointment(record: BookingRecord) -> tuple[str, datetime, tuple[str, ...], int | None]:
    return (record.service, record.start.astimezone(UTC), record.resources, record.seats)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


async def _misfits(now: datetime, touched: set[str] | None = None) -> tuple[Misfit, ...]:
    """Confirmed bookings that have not ended and that the rules now in force would refuse;
    with ``touched`` (resource slugs, and ``service:<id>``), only bookings that occupy one
    of those resources or are of one of those services."""
    rules = await load_rules(away=False)  # an event in their own calendar is no misfit
    snapshot = rules.snapshot
    query = m.BookingResource.filter(
        booking__status=m.BookingStatus.CONFIRMED, booking__end__gt=now
    )
    if touched is not None:
        services = [t.removeprefix("service:") for t in touched if t.startswith("service:")]
        resources = [t for t in touched if not t.startswith("service:")]
        if not services and not resources:
            return ()
        concerned = m.BookingResource.filter(
            Q(resource__slug__in=resources) | Q(booking__service__slug__in=services)
        ).values("booking_id")
        query = query.filter(booking_id__in=Subquery(concerned))
    rows = await query.order_by("booking__start", "booking_id", "position").values_list(
        "booking_id",
        "booking__service__slug",
        "booking__start",
        "resource__slug",
        "occupied_start",
        "occupied_end",
    )
    found: dict[int, Misfit] = {}
    for booking_id, service_id, start, slug, lo, hi in rows:
        misfit = found.get(booking_id)
        if misfit is None:
            service = snapshot.services.get(service_id)
            off = service is None or not service.active
            misfit = Misfit(
                booking_id,
                service_id,
                start.astimezone(UTC),
                (f"service {service_id} is switched off",) if off else (),
            )
        reasons = _resource_reasons(snapshot, slug, lo, hi)
        service = snapshot.services.get(service_id)
        if service is not None and not any(slug in pool for pool in service.requires):
            reasons.append(f"{slug} is not in the pools of {service_id}")
        found[booking_id] = replace(misfit, reasons=(*misfit.reasons, *reasons))
    return tuple(misfit for misfit in found.values() if misfit.reasons)


def _resource_reasons(snapshot: Snapshot, slug: str, lo: datetime, hi: datetime) -> list[str]:
    resource = snapshot.resources.get(slug)
    if resource is None or not resource.active:
        return [f"{slug} is switched off"]
    start, end = instant_seconds(lo), instant_seconds(hi)
    if not hours_instants(resource, snapshot.timezone, start, end).contains(start, end):
        return [f"outside the hours of {slug}"]
    if not open_instants(resource, snapshot.timezone, start, end).contains(start, end):
        return [f"in a block of {slug}"]
    return []
