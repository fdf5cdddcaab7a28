"""The business in the database: written whole from a file, read back whole or as a snapshot.

``replace_business`` is the import: one transaction that deletes what was
there and writes the new business, so a failed import leaves the old one.
``load_business`` is the export. ``load_snapshot`` reads the rules and the busy
time with names (what an explanation needs): a fixed handful of queries reading
only the columns the engine needs (the busy time through the occupancy index),
never one query per row. A slot offer, the hot path, reads the bookings with
``load_taken`` instead: bare integers, no object per booking.
``load_directory`` is what the chat reads to recognise the services and staff
a customer names: no hours, no bookings.
The booking service reads the same pieces separately (``load_service_rules``,
``complete_rules``, ``load_busy``, ``load_resources``) because it locks between
them, and writes its rows with ``insert_rows``.

StoreError (in the tree of :mod:`core.errors`, re-exported here)
 ├── NoBusiness (LookupError)      the database holds no business yet
 └── InvalidBusiness (ValueError)  the business cannot be stored as given; names the field
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import ValidationError
from tortoise.expressions import Subquery
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import models as m
from core.booking_rows import (
    OCCUPANCY_COLUMNS,
    NewBooking,
    Occupied,
    insert_rows,
    sqlite_text,
    write_new_bookings,
)
from core.business import (
    DEFAULT_REMINDERS,
    Blackout,
    BookingCustomer,
    BookingRecord,
    Business,
    BusinessInfo,
    Directory,
    Entry,
    ServicePolicy,
)
from core.customers import CUSTOMER_FIELDS, customer_values, email_key
from core.db import connection
from core.engine.intervals import Intervals
from core.engine.slots import pool_variants
from core.engine.snapshot import (
    AWAY_REF,
    Away,
    Block,
    Busy,
    DayHours,
    Resource,
    ResourceKind,
    Service,
    Snapshot,
    Taken,
)
from core.errors import InvalidBusiness, NoBusiness, StoreError
from core.quiet import DEFAULT_QUIET, QuietHours

__all__ = [
    "IMPORT_CHANNEL",
    "OCCUPANCY_COLUMNS",
    "InvalidBusiness",
    "NoBusiness",
    "Overbooked",
    "Rules",
    "ServiceRules",
    "StoreError",
    "check_business",
    "complete_rules",
    "count_bookings",
    "insert_rows",
    "load_booking_records",
    "load_business",
    "load_busy",
    "load_directory",
    "load_info",
    "load_policy",
    "load_resources",
    "load_rules",
    "load_service_rules",
    "load_snapshot",
    "load_taken",
    "overbooked",
    "overbooked_text",
    "replace_business",
    "resource_fields",
    "service_fields",
    "write_bookings",
    "write_resource_rules",
    "write_service_rules",
]

_Named = TypeVar("_Named", Resource, Service)
_Day = TypeVar("_Day", int, date)

IMPORT_CHANNEL = "file"
"""``source_channel`` and history channel of bookings that came from a business file."""


# --------------------------------------------------------------------------- writing


async def replace_business(business: Business) -> None:
    """Make ``business`` the one business in the database, bookings included.

    Checked before anything is written, so bad input changes nothing and gets
    an error naming the place: duplicate or unknown ids, and bookings that
    need more seats than a resource has (PostgreSQL would refuse those on
    capacity-one resources anyway; SQLite would not).
    """
    check_business(business)
    try:
        async with in_transaction() as conn:
            await _delete_everything(conn)
            row = await m.Business.create(
                name=business.info.name,
                timezone=business.info.timezone,
                locale=business.info.locale,
                colour=business.info.colour,
                quiet_start_min=business.info.quiet_hours.start_min,
                quiet_end_min=business.info.quiet_hours.end_min,
                using_db=conn,
            )
            resource_ids = await _write_resources(
                conn,
                row.id,
                business.resources,
                business.resource_aliases,
                business.resource_names,
                business.slack_users,
                business.resource_emails,
                business.morning_summaries,
            )
            service_ids = await _write_services(
                conn,
                row.id,
                business.services,
                resource_ids,
                business.policies,
                business.service_aliases,
                business.service_names,
                business.reminders,
            )
            await write_bookings(conn, row.id, business, resource_ids, service_ids)
    except ValidationError as exc:  # a value a column cannot hold; rolled back
        raise InvalidBusiness(f"cannot store the business: {exc}") from exc
    client = connection()
    if client.capabilities.dialect == "postgres":
        # Fresh statistics, so the first slot query after an import is planned
        # for the real table sizes rather than for the empty tables autovacuum saw.
        await client.execute_script("ANALYZE booking, booking_resource")


async def _delete_everything(conn: BaseDBAsyncClient) -> None:
    """Booking rows first (a service or resource that still has bookings cannot be
    deleted), then the businesses, whose deletion cascades to their rules."""
    await m.BookingHistory.all().using_db(conn).delete()
    await m.Outbox.filter(booking_id__isnull=False).using_db(conn).delete()
    await m.BookingResource.all().using_db(conn).delete()
    await m.Booking.all().using_db(conn).delete()
    await m.Business.all().using_db(conn).delete()


async def _write_resources(
    conn: BaseDBAsyncClient,
    business_id: int,
    resources: Sequence[Resource],
    aliases: Mapping[str, tuple[str, ...]],
    names: Mapping[str, Mapping[str, str]],
    slack_users: Mapping[str, str] | None = None,
    emails: Mapping[str, str] | None = None,
    summaries: Mapping[str, int] | None = None,
) -> dict[str, int]:
    await m.Resource.bulk_create(
        [
            m.Resource(
                business_id=business_id,
                **resource_fields(r, i, aliases, names, slack_users, emails, summaries),
            )
            for i, r in enumerate(resources)
        ],
        using_db=conn,
    )
    ids: dict[str, int] = dict(
        await m.Resource.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
    )
    await write_resource_rules(conn, ids, resources)
    return ids


def resource_fields(
    resource: Resource,
    position: int,
    aliases: Mapping[str, tuple[str, ...]],
    names: Mapping[str, Mapping[str, str]],
    slack_users: Mapping[str, str] | None = None,
    emails: Mapping[str, str] | None = None,
    summaries: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The columns of a resource row (its rules are rows of their own)."""
    return {
        "slug": resource.id,
        "name": resource.name,
        "aliases": list(aliases.get(resource.id, ())),
        "slack_user": (slack_users or {}).get(resource.id),
        "email": (emails or {}).get(resource.id),
        "summary_at_min": (summaries or {}).get(resource.id),
        "names": dict(names.get(resource.id, {})),
        "kind": m.ResourceKind(resource.kind),
        "capacity": resource.capacity,
        "timezone": resource.timezone,
        "active": resource.active,
        "position": position,
    }


async def write_resource_rules(
    conn: BaseDBAsyncClient, ids: Mapping[str, int], resources: Sequence[Resource]
) -> None:
    """Weekly hours, date overrides and blocks of resources that have none written yet."""
    hours: list[m.WeeklyHours] = []
    overrides: list[m.DateOverride] = []
    blocks: list[m.Block] = []
    for r in resources:
        rid = ids[r.id]
        for weekday, stretches in r.weekly_hours.items():
            if not stretches:
                hours.append(m.WeeklyHours(resource_id=rid, weekday=weekday))
            hours.extend(
                m.WeeklyHours(resource_id=rid, weekday=weekday, start_min=a, end_min=b)
                for a, b in stretches
            )
        for day, stretches in r.date_overrides.items():
            if not stretches:
                overrides.append(m.DateOverride(resource_id=rid, date=day))
            overrides.extend(
                m.DateOverride(resource_id=rid, date=day, start_min=a, end_min=b)
                for a, b in stretches
            )
        blocks.extend(
            m.Block(
                resource_id=rid,
                start=b.start.isoformat(),
                end=b.end.isoformat(),
                rrule=b.rrule,
                reason=b.reason,
            )
            for b in r.blocks
        )
    await m.WeeklyHours.bulk_create(hours, using_db=conn)
    await m.DateOverride.bulk_create(overrides, using_db=conn)
    await m.Block.bulk_create(blocks, using_db=conn)


_NO_POLICY = ServicePolicy()


async def _write_services(
    conn: BaseDBAsyncClient,
    business_id: int,
    services: Sequence[Service],
    resource_ids: dict[str, int],
    policies: Mapping[str, ServicePolicy],
    aliases: Mapping[str, tuple[str, ...]],
    names: Mapping[str, Mapping[str, str]],
    reminders: Mapping[str, tuple[int, ...]] | None = None,
) -> dict[str, int]:
    await m.Service.bulk_create(
        [
            m.Service(
                business_id=business_id,
                **service_fields(s, i, policies, aliases, names, reminders),
            )
            for i, s in enumerate(services)
        ],
        using_db=conn,
    )
    ids: dict[str, int] = dict(
        await m.Service.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
    )
    await write_service_rules(conn, ids, services, resource_ids, policies)
    return ids


def service_fields(
    service: Service,
    position: int,
    policies: Mapping[str, ServicePolicy],
    aliases: Mapping[str, tuple[str, ...]],
    names: Mapping[str, Mapping[str, str]],
    reminders: Mapping[str, tuple[int, ...]] | None = None,
) -> dict[str, Any]:
    """The columns of a service row (its pools and blackouts are rows of their own)."""
    policy = policies.get(service.id, _NO_POLICY)
    return {
        "reminders": list((reminders or {}).get(service.id, DEFAULT_REMINDERS)),
        "slug": service.id,
        "name": service.name,
        "aliases": list(aliases.get(service.id, ())),
        "names": dict(names.get(service.id, {})),
        "duration_min": service.duration_min,
        "buffer_before_min": service.buffer_before_min,
        "buffer_after_min": service.buffer_after_min,
        "slot_step_min": service.slot_step_min,
        "min_notice_min": service.min_notice_min,
        "max_advance_days": service.max_advance_days,
        "seats": service.seats,
        "active": service.active,
        "position": position,
        "cancel_notice_min": policy.cancel_notice_min,
        "reschedule_notice_min": policy.reschedule_notice_min,
        "max_reschedules": policy.max_reschedules,
        "waitlist_mode": policy.waitlist,
        "no_show_limit": policy.no_show_after,
        "no_show_action": policy.no_show_then,
    }


async def write_service_rules(
    conn: BaseDBAsyncClient,
    ids: Mapping[str, int],
    services: Sequence[Service],
    resource_ids: Mapping[str, int],
    policies: Mapping[str, ServicePolicy],
) -> None:
    """Blackouts and pools of services that have none written yet."""
    await m.ServiceBlackout.bulk_create(
        [
            m.ServiceBlackout(
                service_id=ids[service_id],
                start=b.start.isoformat(),
                end=b.end.isoformat(),
                reason=b.reason,
                position=k,
            )
            for service_id, policy in policies.items()
            if service_id in {s.id for s in services}
            for k, b in enumerate(policy.blackouts)
        ],
        using_db=conn,
    )
    await m.ServicePool.bulk_create(
        [
            m.ServicePool(service_id=ids[s.id], position=p)
            for s in services
            for p in range(len(s.requires))
        ],
        using_db=conn,
    )
    pool_ids = {
        (service_id, position): pool_id
        for pool_id, service_id, position in await m.ServicePool.filter(
            service_id__in=[ids[s.id] for s in services]
        )
        .using_db(conn)
        .values_list("id", "service_id", "position")
    }
    await m.ServicePoolMember.bulk_create(
        [
            m.ServicePoolMember(
                pool_id=pool_ids[(ids[s.id], p)], resource_id=resource_ids[slug], position=k
            )
            for s in services
            for p, pool in enumerate(s.requires)
            for k, slug in enumerate(pool)
        ],
        using_db=conn,
    )


async def write_bookings(
    conn: BaseDBAsyncClient,
    business_id: int,
    business: Business,
    resource_ids: Mapping[str, int],
    service_ids: Mapping[str, int],
) -> None:
    """The business's bookings with their customers, through the one writer of booking,
    occupancy and history rows (:mod:`core.booking_rows`).

    A business file can hold tens of thousands of bookings: they go as multi-row
    inserts. A booking keeps the file's token when it has one, so the links its
    customer holds keep working.
    """
    if not business.bookings:
        return
    services = {s.id: s for s in business.services}
    capacity = {r.id: r.capacity for r in business.resources}
    now = datetime.now(UTC)
    customer_ids = await _customer_ids(conn, business.bookings, now)
    new: list[NewBooking] = []
    for record in business.bookings:
        service = services[record.service]
        start = record.start.astimezone(UTC)
        lo, hi = _occupied(service, start)
        seats = _seats(record, service)
        new.append(
            NewBooking(
                business_id=business_id,
                service_id=service_ids[record.service],
                customer_id=None if record.customer is None else customer_ids[record.customer],
                start=start,
                end=start + timedelta(minutes=service.duration_min),
                seats=seats,
                channel=IMPORT_CHANNEL,
                token=record.token or m.new_manage_token(),
                occupies=tuple(
                    Occupied(resource_ids[slug], lo, hi, capacity[slug] == 1)
                    for slug in record.resources
                ),
                actor="import",
                action="imported",
                data={
                    "service": record.service,
                    "start": start.isoformat(),
                    "resources": list(record.resources),
                    "seats": seats,
                },
            )
        )
    await write_new_bookings(conn, new, now)


async def _customer_ids(
    conn: BaseDBAsyncClient, records: Iterable[BookingRecord], now: datetime
) -> dict[BookingCustomer, int]:
    """The customer row of each customer the records name: the oldest row with exactly
    those fields (so a restored backup finds its customers again), else a new one."""
    wanted = {r.customer for r in records if r.customer is not None}
    if not wanted:
        return {}
    found: dict[BookingCustomer, int] = {}
    for customer_id, *fields in (
        await m.Customer.all().using_db(conn).order_by("-id").values_list("id", *CUSTOMER_FIELDS)
    ):
        who = BookingCustomer(*fields)
        if who in wanted:
            found[who] = customer_id
    new = sorted(wanted - found.keys(), key=repr)
    for customer_id, *fields in await insert_rows(
        conn,
        "customer",
        (*CUSTOMER_FIELDS, "email_key", "created_at"),
        [[*customer_values(who), email_key(who.email), now] for who in new],
        returning=("id", *CUSTOMER_FIELDS),
    ):
        found[BookingCustomer(*fields)] = customer_id
    return found


def _seats(record: BookingRecord, service: Service) -> int:
    return record.seats if record.seats is not None else service.seats


def _occupied(service: Service, start: datetime) -> tuple[datetime, datetime]:
    return (
        start - timedelta(minutes=service.buffer_before_min),
        start + timedelta(minutes=service.duration_min + service.buffer_after_min),
    )


def check_business(business: Business) -> None:
    """Refuse what the database would refuse (or, on SQLite, silently accept)."""
    info = business.info
    _fits("business.name", info.name, m.Business, "name")
    _fits("business.timezone", info.timezone, m.Business, "timezone")
    _fits("business.locale", info.locale, m.Business, "locale")
    _fits("business.colour", info.colour, m.Business, "colour")
    for i, resource in enumerate(business.resources):
        where = f"resources[{i}]"
        _fits(f"{where}.id", resource.id, m.Resource, "slug")
        _fits(f"{where}.name", resource.name, m.Resource, "name")
        _fits(f"{where}.timezone", resource.timezone, m.Resource, "timezone")
        if resource.kind not in m.ResourceKind.__members__.values():
            raise InvalidBusiness(f"{where}.kind: unknown kind {resource.kind!r}")
        _in_range(f"{where}.capacity", resource.capacity, _INT)
        for day, stretches in resource.weekly_hours.items():
            _in_range(f"{where}.weekly_hours", day, range(7))
            for a, b in stretches:
                _in_range(f"{where}.weekly_hours[{day}]", a, _MINUTES)
                _in_range(f"{where}.weekly_hours[{day}]", b, _MINUTES)
        for date_, stretches in resource.date_overrides.items():
            for a, b in stretches:
                _in_range(f"{where}.date_overrides[{date_}]", a, _MINUTES)
                _in_range(f"{where}.date_overrides[{date_}]", b, _MINUTES)
    for i, service in enumerate(business.services):
        where = f"services[{i}]"
        _fits(f"{where}.id", service.id, m.Service, "slug")
        _fits(f"{where}.name", service.name, m.Service, "name")
        for name in _SERVICE_NUMBERS:
            _in_range(f"{where}.{name}", getattr(service, name), _INT)
        policy = business.policies.get(service.id, _NO_POLICY)
        for name in _POLICY_NUMBERS:
            _in_range(f"{where}.{name}", getattr(policy, name), _INT)
        for k, blackout in enumerate(policy.blackouts):
            if blackout.start.tzinfo is not None or blackout.end.tzinfo is not None:
                raise InvalidBusiness(
                    f"{where}.blackouts[{k}]: times must be naive local wall time"
                )
    service_ids = {s.id for s in business.services}
    resource_ids = {r.id for r in business.resources}
    side_maps: tuple[tuple[str, Mapping[str, object], set[str], str], ...] = (
        ("policies", business.policies, service_ids, "service"),
        ("service_aliases", business.service_aliases, service_ids, "service"),
        ("service_names", business.service_names, service_ids, "service"),
        ("resource_aliases", business.resource_aliases, resource_ids, "resource"),
        ("resource_names", business.resource_names, resource_ids, "resource"),
        ("slack_users", business.slack_users, resource_ids, "resource"),
        ("resource_emails", business.resource_emails, resource_ids, "resource"),
        ("morning_summaries", business.morning_summaries, resource_ids, "resource"),
        ("reminders", business.reminders, service_ids, "service"),
    )
    for name, mapping, known, what in side_maps:
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise InvalidBusiness(f"{name}: unknown {what} {unknown[0]!r}")
    for i, record in enumerate(business.bookings):
        if record.seats is not None:
            _in_range(f"bookings[{i}].seats", record.seats, _INT)
        _fits(f"bookings[{i}].token", record.token, m.Booking, "manage_token")
        for name in CUSTOMER_FIELDS:
            if record.customer is not None:
                value = getattr(record.customer, name)
                _fits(f"bookings[{i}].customer.{name}", value, m.Customer, name)
    resources = _unique(business.resources, "resources")
    services = _unique(business.services, "services")
    for i, service in enumerate(business.services):
        for p, pool in enumerate(service.requires):
            if not pool:
                raise InvalidBusiness(f"services[{i}].requires[{p}]: a pool needs a resource")
            for k, slug in enumerate(pool):
                if slug not in resources:
                    raise InvalidBusiness(
                        f"services[{i}].requires[{p}][{k}]: unknown resource {slug!r}"
                    )
    for i, record in enumerate(business.bookings):
        if record.service not in services:
            raise InvalidBusiness(f"bookings[{i}].service: unknown service {record.service!r}")
        if record.start.tzinfo is None:
            raise InvalidBusiness(f"bookings[{i}].start: needs an offset or Z")
        for k, slug in enumerate(record.resources):
            if slug not in resources:
                raise InvalidBusiness(f"bookings[{i}].resources[{k}]: unknown resource {slug!r}")
    found = overbooked(
        business.bookings,
        [services[r.service] for r in business.bookings],
        {slug: r.capacity for slug, r in resources.items()},
    )
    if found is not None:
        raise InvalidBusiness(overbooked_text(found, lambda i: f"bookings[{i}]"))


@dataclass(frozen=True, slots=True)
class Overbooked:
    """Where bookings would hold more seats of a resource than it has."""

    resource: str
    capacity: int
    seats: int
    booking: int
    """Index of the booking that went over."""
    others: tuple[int, ...]
    """Indexes of the bookings it overlaps there."""


def overbooked(
    bookings: Sequence[BookingRecord],
    services: Sequence[Service],
    capacity: Mapping[str, int],
) -> Overbooked | None:
    """The first place (in time, per resource) where ``bookings`` exceed a capacity;
    ``services[i]`` is the service (durations, buffers, seats) of ``bookings[i]``.

    Per resource a sweep over (instant, order, seats, booking index); an end sorts
    before a start at the same instant because windows are half-open.
    """
    events: dict[str, list[tuple[datetime, int, int, int]]] = defaultdict(list)
    for i, (record, booked) in enumerate(zip(bookings, services, strict=True)):
        seats = _seats(record, booked)
        start, end = _occupied(booked, record.start.astimezone(UTC))
        for slug in record.resources:
            events[slug].append((start, 1, seats, i))
            events[slug].append((end, 0, -seats, i))
    for slug, items in events.items():
        taken = 0
        holders: set[int] = set()
        for _at, is_start, seats, i in sorted(items):
            taken += seats
            if is_start:
                holders.add(i)
            else:
                holders.discard(i)
            if taken > capacity[slug]:
                return Overbooked(slug, capacity[slug], taken, i, tuple(sorted(holders - {i})))
    return None


def overbooked_text(found: Overbooked, name: Callable[[int], str]) -> str:
    """The error of an overbooking, each booking called by ``name(index)``."""
    others = ", ".join(name(j) for j in found.others)
    return (
        f"{name(found.booking)}: resource {found.resource!r} (capacity {found.capacity}) "
        f"would hold {found.seats} seats at once" + (f", with {others}" if others else "")
    )


_INT = range(-(2**31), 2**31)
"""What an integer column holds on PostgreSQL (SQLite holds more; they must agree)."""
_MINUTES = range(24 * 60 + 1)
_POLICY_NUMBERS = ("cancel_notice_min", "reschedule_notice_min", "max_reschedules", "no_show_after")
_SERVICE_NUMBERS = (
    "duration_min",
    "buffer_before_min",
    "buffer_after_min",
    "slot_step_min",
    "min_notice_min",
    "max_advance_days",
    "seats",
)


def _in_range(where: str, value: int | None, allowed: range) -> None:
    if value is not None and value not in allowed:
        raise InvalidBusiness(f"{where}: {value} is out of range")


def _fits(where: str, value: str | None, model: type[Model], field: str) -> None:
    limit: int = getattr(model._meta.fields_map[field], "max_length")  # noqa: B009
    if value is not None and len(value) > limit:
        raise InvalidBusiness(f"{where}: longer than {limit} characters")


def _unique(items: Iterable[_Named], where: str) -> dict[str, _Named]:
    seen: dict[str, _Named] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise InvalidBusiness(f"{where}[{i}].id: duplicate id {item.id!r}")
        seen[item.id] = item
    return seen


# --------------------------------------------------------------------------- reading


async def count_bookings() -> int:
    """Every booking in the database, whatever its status."""
    return await m.Booking.all().count()


async def load_rules_as_business() -> Business:
    """The business's rules, as :func:`load_business` has them, without its bookings."""
    return await load_business(bookings=False)


async def load_business(*, bookings: bool = True) -> Business:
    """The business as imported: same order of everything, confirmed bookings only,
    each with its manage token and its customer.

    A booking's ``seats`` comes back as ``None`` when it equals its service's
    seats: the file's default, so that an exported file stays as short as the
    imported one (a file that spelled the default out loses the spelling).
    """
    business_id, info, services, _, _ = await _services()
    resources, _ = await _resources(business_id, None)
    assert resources is not None
    slugs = {resource_id: r.id for resource_id, r in resources}
    records = await _booking_records(business_id, services, slugs) if bookings else ()
    return Business(
        info=info,
        resources=tuple(r for _, r in resources),
        services=tuple(s for _, s in services),
        bookings=records,
        policies={
            slug: policy
            for slug, policy in (await _policies(business_id)).items()
            if policy != _NO_POLICY
        },
        service_aliases=await _aliases(m.Service, business_id),
        resource_aliases=await _aliases(m.Resource, business_id),
        slack_users=await _slack_users(business_id),
        service_names=await _names(m.Service, business_id),
        resource_names=await _names(m.Resource, business_id),
        reminders=await _reminders(business_id),
        resource_emails=await _resource_emails(business_id),
        morning_summaries=await _morning_summaries(business_id),
    )


async def load_booking_records(
    resources: Collection[str] | None = None,
) -> tuple[BookingRecord, ...]:
    """The confirmed bookings as :func:`load_business` has them; with ``resources``
    (slugs), only those that occupy one of them: what an import's capacity check needs
    when only those resources change, instead of every booking of the business."""
    business_id, _, services, _, _ = await _services()
    slugs: dict[int, str] = dict(
        await m.Resource.filter(business_id=business_id).values_list("id", "slug")
    )
    only = None if resources is None else [i for i, slug in slugs.items() if slug in resources]
    return await _booking_records(business_id, services, slugs, only)


async def _booking_records(
    business_id: int,
    services: Sequence[tuple[int, Service]],
    slug_by_resource: Mapping[int, str],
    only: Sequence[int] | None = None,
) -> tuple[BookingRecord, ...]:
    """Confirmed bookings, by id; with ``only`` (resource ids), those occupying one."""
    if only is not None and not only:
        return ()
    service_by_id = dict(services)
    bookings_query = m.Booking.filter(business_id=business_id, status=m.BookingStatus.CONFIRMED)
    occupancy_query = m.BookingResource.filter(
        booking__business_id=business_id, booking__status=m.BookingStatus.CONFIRMED
    )
    if only is not None:
        occupying = Subquery(
            m.BookingResource.filter(resource_id__in=list(only)).values("booking_id")
        )
        bookings_query = bookings_query.filter(id__in=occupying)
        occupancy_query = occupancy_query.filter(booking_id__in=occupying)
    rows = await bookings_query.order_by("id").values_list(
        "id", "service_id", "start", "seats", "manage_token", "customer_id"
    )
    wanted_customers = {customer_id for *_, customer_id in rows if customer_id is not None}
    customers = (
        {
            customer_id: BookingCustomer(*fields)
            for customer_id, *fields in await m.Customer.filter(
                id__in=Subquery(
                    bookings_query.filter(customer_id__isnull=False).values("customer_id")
                )
            ).values_list("id", *CUSTOMER_FIELDS)
        }
        if wanted_customers
        else {}
    )
    occupancy: dict[int, list[str]] = defaultdict(list)
    for booking_id, resource_id in await occupancy_query.order_by(
        "booking_id", "position", "id"
    ).values_list("booking_id", "resource_id"):
        occupancy[booking_id].append(slug_by_resource[resource_id])
    bookings = []
    for booking_id, service_id, start, seats, token, customer_id in rows:
        service = service_by_id[service_id]
        bookings.append(
            BookingRecord(
                service=service.id,
                start=start.astimezone(UTC),
                resources=tuple(occupancy[booking_id]),
                seats=None if seats == service.seats else seats,
                token=token,
                customer=customers.get(customer_id),
            )
        )
    return tuple(bookings)


async def _reminders(business_id: int) -> dict[str, tuple[int, ...]]:
    """The reminders of every service whose are not the default, by slug: one query."""
    rows = await m.Service.filter(business_id=business_id).values_list("slug", "reminders")
    return {
        str(slug): offsets
        for slug, values in rows
        if (offsets := tuple(values if values is not None else DEFAULT_REMINDERS))
        != DEFAULT_REMINDERS
    }


async def _morning_summaries(business_id: int) -> dict[str, int]:
    rows = await m.Resource.filter(
        business_id=business_id, summary_at_min__isnull=False
    ).values_list("slug", "summary_at_min")
    return {str(slug): int(at) for slug, at in rows}


async def _resource_emails(business_id: int) -> dict[str, str]:
    rows = await m.Resource.filter(business_id=business_id, email__isnull=False).values_list(
        "slug", "email"
    )
    return {str(slug): str(email) for slug, email in rows}


async def _slack_users(business_id: int) -> dict[str, str]:
    """The Slack user of every resource that names one, by slug: one query."""
    rows = await m.Resource.filter(business_id=business_id, slack_user__isnull=False).values_list(
        "slug", "slack_user"
    )
    return {str(slug): str(user) for slug, user in rows}


async def _aliases(
    model: type[m.Service] | type[m.Resource], business_id: int
) -> dict[str, tuple[str, ...]]:
    """The aliases of every service (or resource) that has any, by slug: one query."""
    rows = await model.filter(business_id=business_id).values_list("slug", "aliases")
    return {slug: tuple(aliases) for slug, aliases in rows if aliases}


async def load_policy(service_id: str) -> ServicePolicy:
    """The change policy of one service (two queries); UnknownService-free: a service
    that is not there has the default policy, the caller has already looked it up."""
    business_id, _ = await _business_row()
    return (await _policies(business_id, service_id)).get(service_id, _NO_POLICY)


async def _policies(business_id: int, slug: str | None = None) -> dict[str, ServicePolicy]:
    query = m.Service.filter(business_id=business_id)
    if slug is not None:
        query = query.filter(slug=slug)
    rows = await query.order_by("position", "id").values_list(
        "id",
        "slug",
        "cancel_notice_min",
        "reschedule_notice_min",
        "max_reschedules",
        "waitlist_mode",
        "no_show_limit",
        "no_show_action",
    )
    blackouts: dict[int, list[Blackout]] = defaultdict(list)
    for service_id, a, b, reason in (
        await m.ServiceBlackout.filter(service_id__in=[row[0] for row in rows])
        .order_by("position", "id")
        .values_list("service_id", "start", "end", "reason")
    ):
        blackouts[service_id].append(
            Blackout(datetime.fromisoformat(a), datetime.fromisoformat(b), reason)
        )
    return {
        slug: ServicePolicy(
            cancel_notice_min=cancel,
            reschedule_notice_min=move,
            max_reschedules=moves,
            waitlist="book" if waitlist == "book" else "offer",
            no_show_after=no_shows,
            no_show_then="refuse_chat" if then == "refuse_chat" else "confirm",
            blackouts=tuple(blackouts.get(service_id, ())),
        )
        for service_id, slug, cancel, move, moves, waitlist, no_shows, then in rows
    }


async def load_snapshot(
    start: datetime, end: datetime, service_ids: list[str] | None = None
) -> Snapshot:
    """The rules and the confirmed bookings' busy time overlapping ``[start, end)``.

    ``start``/``end`` must be aware and already widened by whatever the caller
    looks at around its candidates (the services' buffers). With
    ``service_ids`` only the resources those services can use are loaded (with
    their hours, blocks and busy time); every service's definition is there
    regardless. Three queries whatever the size of the business.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("load_snapshot needs aware datetimes")
    rules = await load_rules(service_ids)
    busy = await load_busy(rules.resource_ids, start, end)
    return Snapshot(
        timezone=rules.snapshot.timezone,
        resources=rules.snapshot.resources,
        services=rules.snapshot.services,
        busy=busy,
        locale=rules.snapshot.locale,
    )


@dataclass(frozen=True, slots=True)
class Rules:
    """A snapshot without busy time, plus the database ids the booking service writes with.

    The booking service reads the rules once, then the busy time of exactly the
    window it checks, and under lock the rules of only the resources it locked;
    :func:`load_snapshot` is these pieces put together.
    """

    business_id: int
    snapshot: Snapshot
    """``busy`` is empty."""
    resource_ids: Mapping[str, int]
    """Database id of each loaded resource, by slug."""
    service_ids: Mapping[str, int]
    """Database id of every service, by slug."""
    quiet: QuietHours = DEFAULT_QUIET
    """The business's quiet hours (when its messages are held back)."""
    reminders: Mapping[str, tuple[int, ...] | None] = field(default_factory=dict)
    """The reminders of each loaded service, by slug (``None``: the default ones), read
    with the services so that a booking's messages need no query of their own."""


@dataclass(frozen=True, slots=True)
class ServiceRules:
    """The first half of :class:`Rules`: the services, and which resources a query can use.

    The booking service reads this, locks those resources when they are all a
    request can use, and only then reads their rules (:func:`complete_rules`).
    """

    business_id: int
    info: BusinessInfo
    services: Mapping[str, Service]
    service_ids: Mapping[str, int]
    wanted: frozenset[str] | None
    """The resources the query can use; ``None`` is every resource."""
    members: Mapping[str, tuple[int, int]]
    """Database id and capacity of every resource in the loaded services' pools."""
    reminders: Mapping[str, tuple[int, ...] | None] = field(default_factory=dict)
    """As :attr:`Rules.reminders`."""


async def load_service_rules(
    service_ids: Sequence[str] | None = None,
    *,
    provider: str | None = None,
    resources: Collection[str] | None = None,
    every_service: bool = True,
) -> ServiceRules:
    """The services, and the resources a query can use (see :func:`load_rules`); one query."""
    business_id, info, services, members, reminders = await _services(
        None if every_service or service_ids is None else service_ids
    )
    wanted: set[str] | None = None
    if service_ids is not None:
        by_slug = {s.id: s for _, s in services}
        wanted = set()
        for service_id in service_ids:
            service = by_slug.get(service_id)
            if service is None:
                continue
            wanted.update(
                slug
                for pools in pool_variants(service, provider)
                for pool in pools
                for slug in pool
            )
    if resources is not None:
        wanted = set(resources) if wanted is None else wanted & set(resources)
    return ServiceRules(
        business_id=business_id,
        info=info,
        services={s.id: s for _, s in services},
        service_ids={s.id: service_id for service_id, s in services},
        wanted=None if wanted is None else frozenset(wanted),
        members=members,
        reminders=reminders,
    )


async def complete_rules(base: ServiceRules, *, away: bool = True) -> Rules:
    """The rules of the resources ``base`` names: one query (two when a calendar's busy
    time changed since this process last read it). ``away``: with the busy time from
    staff members' own calendars (what slots and bookings need; not what a rule edit
    checks its bookings against)."""
    wanted = None if base.wanted is None else set(base.wanted)
    loaded, _ = await _resources(base.business_id, wanted, away=away)
    assert loaded is not None  # no window, nothing to stop at
    return _completed(base, loaded)


def _completed(base: ServiceRules, loaded: list[tuple[int, Resource]]) -> Rules:
    return Rules(
        business_id=base.business_id,
        snapshot=Snapshot(
            timezone=base.info.timezone,
            resources={r.id: r for _, r in loaded},
            services=base.services,
            locale=base.info.locale,
        ),
        resource_ids={r.id: resource_id for resource_id, r in loaded},
        service_ids=base.service_ids,
        quiet=base.info.quiet_hours,
        reminders=base.reminders,
    )


async def load_fresh(
    base: ServiceRules,
    slugs: Collection[str],
    start: datetime,
    end: datetime,
    *,
    except_bookings: Collection[int] = (),
    stop: Callable[[tuple[Busy, ...]], bool] | None = None,
) -> tuple[Rules | None, tuple[Busy, ...]]:
    """The rules of just these resources (:func:`complete_rules`) and their busy time over
    ``[start, end)`` (:func:`load_busy`): on PostgreSQL one query, where the booking service
    reads them under lock and every round trip is a wait with the lock held.

    ``stop``: when it says so of the busy time, no rules (``None``): the caller is done,
    and leaves the lock without building them (the losers of a race for one slot).
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("load_fresh needs aware datetimes")
    wanted = set(slugs) if base.wanted is None else set(slugs) & base.wanted
    refs = {f"booking {booking_id}" for booking_id in except_bookings}

    def kept(busy: tuple[Busy, ...]) -> tuple[Busy, ...]:
        return tuple(b for b in busy if b.ref not in refs) if refs else busy

    def stops(busy: tuple[Busy, ...]) -> bool:
        return stop is not None and stop(kept(busy))

    if connection().capabilities.dialect != "postgres":
        ids = {base.members[s][0]: s for s in wanted if s in base.members}
        busy = kept(await _busy(ids, start, end))  # first, as on PostgreSQL
        if stop is not None and stop(busy):
            return None, busy
        loaded, _ = await _resources(base.business_id, wanted, away=True)
        assert loaded is not None
        return _completed(base, loaded), busy
    known = [base.members[s][0] for s in wanted if s in base.members]
    found, occupancy = await _resources(
        base.business_id,
        wanted,
        away=True,
        window=(start, end),
        stop=stops,
        ids=known if len(known) == len(wanted) else None,
    )
    busy = kept(occupancy or ())
    return (None if found is None else _completed(base, found)), busy


async def load_rules(
    service_ids: Sequence[str] | None = None,
    *,
    provider: str | None = None,
    resources: Collection[str] | None = None,
    every_service: bool = True,
    away: bool = True,
) -> Rules:
    """The business's rules: every service, and the resources a query can use.

    With ``service_ids``, the resources of those services' pools; with a
    ``provider`` too, only those the engine reads for that provider (the provider
    itself and the other pools), which raises ``UnknownProvider`` when no pool
    holds it; with ``resources``, only those of them. ``every_service=False``
    leaves out the definitions of the services not asked for (the booking
    service's hot path). Two queries.
    """
    return await complete_rules(
        await load_service_rules(
            service_ids, provider=provider, resources=resources, every_service=every_service
        ),
        away=away,
    )


async def load_resources(business_id: int, slugs: Collection[str]) -> dict[str, Resource]:
    """Just these resources with their hours, overrides and blocks: one query.

    What the booking service re-reads under lock, where every query counts.
    """
    loaded, _ = await _resources(business_id, set(slugs), away=True)
    return {r.id: r for _, r in loaded or ()}


async def load_busy(
    resource_ids: Mapping[str, int],
    start: datetime,
    end: datetime,
    *,
    except_bookings: Collection[int] = (),
) -> tuple[Busy, ...]:
    """Busy time of confirmed bookings on these resources (slug to database id) that
    overlaps ``[start, end)``; one query. (Busy time from staff members' own calendars
    comes with the resources: ``Resource.away``.)

    ``except_bookings`` leaves bookings out: the ones being moved.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("load_busy needs aware datetimes")
    busy = await _busy({rid: slug for slug, rid in resource_ids.items()}, start, end)
    if not except_bookings:
        return busy
    refs = {f"booking {booking_id}" for booking_id in except_bookings}
    return tuple(b for b in busy if b.ref not in refs)


async def load_taken(
    resource_ids: Mapping[str, int],
    start: datetime,
    end: datetime,
    *,
    except_bookings: Collection[int] = (),
) -> dict[str, list[Taken]]:
    """What :func:`load_busy` reads, as the slot search wants it: by resource slug, each
    booking's occupied window in whole seconds with its seats (:attr:`Snapshot.taken`),
    one query. On PostgreSQL the database does the arithmetic and the driver decodes
    only integers; SQLite's text instants are converted once per distinct text (bookings
    share their times). No names, no appointment times: for explaining, :func:`load_busy`.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("load_taken needs aware datetimes")
    slugs = {rid: slug for slug, rid in resource_ids.items()}
    if not slugs:
        return {}
    sql = _Sql()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    # Built in reading order: SQLite's ``?`` count along the text.
    where = f"{sql.among('resource_id', sorted(slugs))} AND occupied_end > "
    where += sql.arg(start if sql.postgres else _text(start))
    where += " AND occupied_start < " + sql.arg(end if sql.postgres else _text(end))
    where += " AND active"
    if except_bookings:
        where += f" AND NOT ({sql.among('booking_id', sorted(except_bookings))})"
    taken: dict[int, list[Taken]] = {}
    if sql.postgres:
        rows = await sql.rows(
            f"SELECT resource_id{_PG_SECONDS}, seats FROM booking_resource WHERE {where}"
        )
        for resource_id, a, b, seats in rows:
            found = taken.get(resource_id)
            if found is None:
                found = taken[resource_id] = []
            found.append((a, b, seats))
    else:
        rows = await sql.rows(
            f"SELECT resource_id, occupied_start, occupied_end, seats FROM booking_resource "
            f"WHERE {where}"
        )
        floors: dict[str, int] = {}
        ceilings: dict[str, int] = {}
        for resource_id, lo_text, hi_text, seats in rows:
            a = floors.get(lo_text)
            if a is None:
                a = floors[lo_text] = math.floor(datetime.fromisoformat(lo_text).timestamp())
            b = ceilings.get(hi_text)
            if b is None:
                b = ceilings[hi_text] = math.ceil(datetime.fromisoformat(hi_text).timestamp())
            found = taken.get(resource_id)
            if found is None:
                found = taken[resource_id] = []
            found.append((a, b, seats))
    return {slugs[resource_id]: found for resource_id, found in taken.items()}


async def _names(
    model: type[m.Service] | type[m.Resource], business_id: int
) -> dict[str, dict[str, str]]:
    """The names per language of every service (or resource) that has any, by slug."""
    rows = await model.filter(business_id=business_id).values_list("slug", "names")
    return {slug: dict(_json(names) or {}) for slug, names in rows if _json(names)}


async def load_info() -> BusinessInfo:
    """Name, timezone, locale and colour of the business (one query)."""
    _, info = await _business_row()
    return info


async def load_directory() -> Directory:
    """The names a customer can ask for: active services, and the active staff that
    some active service's pools list, both in file order with their aliases.

    Three queries over the business, service and resource tables (by their
    ``business_id`` indexes) and the pools; no hours, no bookings.
    """
    business_id, info = await _business_row()
    sql = _Sql()
    services = await sql.rows(
        'SELECT "slug", "name", "aliases", "names" FROM "service" '
        f'WHERE "business_id" = {sql.arg(business_id)} AND "active" ORDER BY "position", "id"'
    )
    providers = await sql.rows(
        'SELECT r."slug", r."name", r."aliases", r."kind", r."names" FROM "resource" r '
        f'WHERE r."business_id" = {sql.arg(business_id)} AND r."active" '
        f'AND r."kind" = {sql.arg(m.ResourceKind.STAFF.value)} '
        'AND r."id" IN (SELECT m."resource_id" FROM "service" s '
        'JOIN "service_pool" p ON p."service_id" = s."id" '
        'JOIN "service_pool_member" m ON m."pool_id" = p."id" '
        f'WHERE s."business_id" = {sql.arg(business_id)} AND s."active") '
        'ORDER BY r."position", r."id"'
    )
    return Directory(
        info=info,
        services=tuple(
            Entry(slug, name, _alias_list(aliases), names=_name_pairs(names))
            for slug, name, aliases, names in services
        ),
        providers=tuple(
            Entry(slug, name, _alias_list(aliases), _kind(kind), _name_pairs(names))
            for slug, name, aliases, kind, names in providers
        ),
    )


def _json(value: Any) -> Any:
    """A JSON column read raw: text on SQLite and (without a codec) on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _alias_list(value: Any) -> tuple[str, ...]:
    return tuple(_json(value) or ())


def _name_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """Names per language as ``(language, name)`` pairs, in language order."""
    names = _json(value) or {}
    return tuple(sorted((str(lang), str(name)) for lang, name in names.items()))


class _Sql:
    """Raw SQL with arguments for either dialect: ``?`` on SQLite, ``$n`` on PostgreSQL.

    The reads here run on every slot query and every booking, twice; through the
    model layer each cost about a millisecond of Python to build and convert, which
    was most of a booking's time, so they are written out by hand.
    """

    def __init__(self) -> None:
        self.conn = connection()
        self.postgres = self.conn.capabilities.dialect == "postgres"
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}" if self.postgres else "?"

    def among(self, column: str, values: Iterable[Any]) -> str:
        items = list(values)
        if self.postgres:
            kind = "text" if items and isinstance(items[0], str) else "int"
            return f"{column} = ANY({self.arg(items)}::{kind}[])"
        return f"{column} IN ({', '.join(self.arg(v) for v in items)})"

    async def rows(self, sql: str) -> list[Sequence[Any]]:
        _, found = await self.conn.execute_query(sql, self.args)
        self.args = []
        return cast(list[Sequence[Any]], list(found))  # records and sqlite3.Row: sequences


async def _business_row() -> tuple[int, BusinessInfo]:
    rows = await _Sql().rows(
        'SELECT "id", "name", "timezone", "locale", "colour", "quiet_start_min", '
        '"quiet_end_min" FROM "business" ORDER BY "id" LIMIT 1'
    )
    if not rows:
        raise NoBusiness()
    business_id, *fields = rows[0]
    return business_id, _info(*fields)


def _info(
    name: str, timezone: str, locale: str, colour: str | None, quiet_start: Any, quiet_end: Any
) -> BusinessInfo:
    quiet = DEFAULT_QUIET
    if quiet_start is not None and quiet_end is not None:
        quiet = QuietHours(int(quiet_start), int(quiet_end))
    return BusinessInfo(
        name=name, timezone=timezone, locale=locale, colour=colour, quiet_hours=quiet
    )


async def _resources(
    business_id: int,
    wanted: set[str] | None,
    *,
    away: bool = False,
    window: tuple[datetime, datetime] | None = None,
    stop: Callable[[tuple[Busy, ...]], bool] | None = None,
    ids: Collection[int] | None = None,
) -> tuple[list[tuple[int, Resource]] | None, tuple[Busy, ...] | None]:
    """Resources in file order with their hours, overrides and blocks: one query.

    The four tables come back as one ``UNION ALL`` of rows of the same shape:
    (table, resource id, order, order, text, number, number, text, text, text).
    With ``away``, also the version of each connected calendar's busy time, and that
    busy time (:func:`_away`: read again only when its version is new to us). With a
    ``window`` on PostgreSQL, also the occupancy overlapping it, in the same query (its
    instants as epoch text), else the busy time returned is ``None``; when ``stop`` says so
    of that busy time, the resources are not even built (``None``). ``ids``: the database
    ids of the ``wanted`` resources, already known (the query then needs no lookup by slug).
    """
    sql = _Sql()

    def which(column: str) -> str:
        if ids is not None and sql.postgres:  # straight to each table's resource index
            return f"{column} = ANY({sql.arg(sorted(ids))}::int[])"
        where = f'"business_id" = {sql.arg(business_id)}'
        if wanted is not None:
            where += f" AND {sql.among('slug', sorted(wanted))}"
        return f'{column} IN (SELECT "id" FROM "resource" WHERE {where})'

    if wanted is not None and not wanted:
        return [], ()
    null_text, null_int = "CAST(NULL AS TEXT)", "CAST(NULL AS INTEGER)"
    # Made in the order they appear, so that PostgreSQL's $n count along.
    of_resource, of_hours, of_overrides, of_blocks = (
        which('"id"'),
        which('"resource_id"'),
        which('"resource_id"'),
        which('"resource_id"'),
    )
    calendars = ""
    if away:
        calendars = (
            f'UNION ALL SELECT \'c\', "resource_id", "id", 0, CAST("busy_version" AS TEXT), '
            f"{null_int}, {null_int}, {null_text}, {null_text}, {null_text} "
            f'FROM "calendar_connection" WHERE {which(chr(34) + "resource_id" + chr(34))} '
        )
    occupancy = ""
    if window is not None and sql.postgres:
        epoch = "CAST(EXTRACT(EPOCH FROM {}) AS TEXT)".format
        lo, hi = (sql.arg(moment.astimezone(UTC)) for moment in window)
        occupancy = (
            f'UNION ALL SELECT \'k\', "resource_id", "id", "booking_id", '
            f'{epoch("occupied_start")}, "seats", {null_int}, {epoch("occupied_end")}, '
            f'{epoch("appointment_start")}, {epoch("appointment_end")} FROM "booking_resource" '
            f'WHERE {which(chr(34) + "resource_id" + chr(34))} AND "occupied_end" > {lo} '
            f'AND "occupied_start" < {hi} AND "active" '
        )
    rows = await sql.rows(
        f'SELECT \'r\', "id", "position", "id", "slug", "capacity", '
        f'CASE WHEN "active" THEN 1 ELSE 0 END, "name", "kind", "timezone" '
        f'FROM "resource" WHERE {of_resource} '
        f'UNION ALL SELECT \'h\', "resource_id", "id", 0, CAST("weekday" AS TEXT), '
        f'"start_min", "end_min", {null_text}, {null_text}, {null_text} '
        f'FROM "weekly_hours" WHERE {of_hours} '
        f'UNION ALL SELECT \'o\', "resource_id", "id", 0, CAST("date" AS TEXT), '
        f'"start_min", "end_min", {null_text}, {null_text}, {null_text} '
        f'FROM "date_override" WHERE {of_overrides} '
        f'UNION ALL SELECT \'b\', "resource_id", "id", 0, "start", {null_int}, {null_int}, '
        f'"end", "rrule", "reason" '
        f'FROM "block" WHERE {of_blocks} '
        f"{calendars}{occupancy}"
        "ORDER BY 1, 3, 4"
    )
    busy: tuple[Busy, ...] | None = None
    if window is not None and sql.postgres:
        busy = _occupancy(rows)
        if stop is not None and stop(busy):
            return None, busy
    resources: list[tuple[int, str, int, bool, str, str, str | None]] = []
    hours: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(dict)
    overrides: dict[int, dict[date, list[tuple[int, int]]]] = defaultdict(dict)
    blocks: dict[int, list[Block]] = defaultdict(list)
    versions: dict[int, tuple[int, str]] = {}
    for table, resource_id, order, _, text, a, b, d, e, f in rows:
        if table == "k":
            continue
        if table == "c":
            versions[resource_id] = (order, text or "")
        elif table == "r":
            resources.append((resource_id, text, a, bool(b), d, e, f))
        elif table == "h":
            day_hours = hours[resource_id].setdefault(int(text), [])
            if a is not None and b is not None:
                day_hours.append((a, b))
        elif table == "o":
            stretches = overrides[resource_id].setdefault(date.fromisoformat(text), [])
            if a is not None and b is not None:
                stretches.append((a, b))
        else:
            blocks[resource_id].append(
                Block(
                    start=datetime.fromisoformat(text),
                    end=datetime.fromisoformat(d),
                    rrule=e,
                    reason=f,
                )
            )
    elsewhere = await _away(versions) if versions else {}
    loaded = [
        (
            resource_id,
            Resource(
                id=slug,
                name=name,
                kind=_kind(kind),
                capacity=capacity,
                timezone=timezone,
                weekly_hours=_day_hours(hours.get(resource_id, {})),
                date_overrides=_day_hours(overrides.get(resource_id, {})),
                blocks=tuple(blocks.get(resource_id, ())),
                active=active,
                away=elsewhere.get(resource_id),
            ),
        )
        for resource_id, slug, capacity, active, name, kind, timezone in resources
    ]
    return loaded, busy


def _occupancy(rows: Sequence[Sequence[Any]]) -> tuple[Busy, ...]:
    """The occupancy rows (``k``) of :func:`_resources`' query as busy time, ordered as
    :func:`_busy` orders its own."""
    slugs = {row[1]: row[4] for row in rows if row[0] == "r"}
    busy: list[tuple[datetime, int, Busy]] = []
    for table, resource_id, row_id, booking_id, lo_text, seats, _, hi_text, a, b in rows:
        if table != "k":
            continue
        lo_s, lo_us = _epoch(lo_text)
        hi_s, hi_us = _epoch(hi_text)
        start = _instant(lo_s, lo_us)
        busy.append(
            (
                start,
                row_id,
                Busy(
                    slugs[resource_id],
                    start,
                    _instant(hi_s, hi_us),
                    seats,
                    f"booking {booking_id}",
                    _instant(*_epoch(a)),
                    _instant(*_epoch(b)),
                    (lo_s, hi_s + (1 if hi_us else 0)),
                ),
            )
        )
    busy.sort(key=lambda item: item[:2])
    return tuple(b for _, _, b in busy)


def _epoch(text: str) -> tuple[int, int]:
    """PostgreSQL's ``EXTRACT(EPOCH ...)`` as text: whole seconds and microseconds, exactly
    (a float would round the microseconds)."""
    whole, _, fraction = text.partition(".")
    return int(whole), int(fraction[:6].ljust(6, "0"))


def _instant(seconds: int, microseconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=microseconds)


_AWAY: dict[tuple[int, str], Away] = {}
"""Busy time of each connected calendar by (connection id, ``busy_version``): the version
is a new random UUID whenever a sync changes that busy time, so an entry is never stale
and, unlike a counter, never mistaken for one of another database in the same process."""
_AWAY_SIZE = 4096


async def _away(versions: Mapping[int, tuple[int, str]]) -> dict[int, Away]:
    """Busy time from the own calendars of these resources (by database id, with their
    connection and its version), read only for the versions not already known.

    Fifty thousand rows read and merged at every slot query were most of its time; now a
    query reads one row per calendar, and the engine reuses open time already net of
    the busy time (its cache is keyed by the :class:`Away` value).
    """
    missing = {key for key in versions.values() if key not in _AWAY}
    if missing:
        if len(_AWAY) + len(missing) > _AWAY_SIZE:
            _AWAY.clear()
        spans: dict[int, list[tuple[int, int]]] = {cid: [] for cid, _ in missing}
        sql = _Sql()
        if sql.postgres:
            rows = await sql.rows(
                "SELECT connection_id, FLOOR(EXTRACT(EPOCH FROM start))::bigint, "
                'CEIL(EXTRACT(EPOCH FROM "end"))::bigint FROM external_busy '
                f"WHERE {sql.among('connection_id', sorted(spans))}"
            )
            for cid, lo, hi in rows:
                spans[cid].append((lo, hi))
        else:
            rows = await sql.rows(
                'SELECT connection_id, start, "end" FROM external_busy '
                f"WHERE {sql.among('connection_id', sorted(spans))}"
            )
            for cid, lo, hi in rows:
                first = datetime.fromisoformat(lo).timestamp()
                last = datetime.fromisoformat(hi).timestamp()
                spans[cid].append((math.floor(first), math.ceil(last)))
        for cid, version in missing:
            _AWAY[cid, version] = Away(Intervals(spans[cid]).spans)
    return {resource_id: _AWAY[key] for resource_id, key in versions.items()}


def _kind(value: Any) -> ResourceKind:
    """The stored kind as the engine's literal (a plain ``str``, not the enum)."""
    return m.ResourceKind(value).value


def _day_hours(days: dict[_Day, list[tuple[int, int]]]) -> dict[_Day, DayHours]:
    return {day: tuple(stretches) for day, stretches in days.items()}


async def _services(
    only: Collection[str] | None = None,
) -> tuple[
    int,
    BusinessInfo,
    list[tuple[int, Service]],
    dict[str, tuple[int, int]],
    dict[str, tuple[int, ...] | None],
]:
    """The business, its services in file order with their pools (``only`` these, when
    given), the database id and capacity of each pool member, and each service's reminders
    (``None``: the default ones): one query."""
    sql = _Sql()
    wanted = ""
    if only is not None:
        wanted = f" AND {sql.among('s.slug', sorted(only))}" if only else " AND 1 = 0"
    # A member is "slug id capacity" (slugs have neither spaces nor commas). PostgreSQL
    # hands back one row per pool with its members joined by commas; SQLite cannot
    # order an aggregate before 3.44, so there one row per member.
    member = 'r."slug" || \' \' || r."id" || \' \' || r."capacity"'
    if sql.postgres:
        members = f'string_agg({member}, \',\' ORDER BY m."position", m."id")'
        grouped = (
            'GROUP BY b."id", s."id", p."id" ORDER BY s."position", s."id", p."position", p."id"'
        )
    else:
        members = member
        grouped = 'ORDER BY s."position", s."id", p."position", p."id", m."position", m."id"'
    rows = await sql.rows(
        'SELECT b."id", b."name", b."timezone", b."locale", b."colour", '
        's."id", s."slug", s."name", s."duration_min", s."buffer_before_min", '
        's."buffer_after_min", s."slot_step_min", s."min_notice_min", s."max_advance_days", '
        f's."seats", s."active", p."id", {members}, b."quiet_start_min", b."quiet_end_min", '
        's."reminders" '
        'FROM "business" b LEFT JOIN "service" s ON s."business_id" = b."id"' + wanted + " "
        'LEFT JOIN "service_pool" p ON p."service_id" = s."id" '
        'LEFT JOIN "service_pool_member" m ON m."pool_id" = p."id" '
        'LEFT JOIN "resource" r ON r."id" = m."resource_id" '
        f'WHERE b."id" = (SELECT MIN("id") FROM "business") {grouped}'
    )
    if not rows:
        raise NoBusiness()
    business_id = rows[0][0]
    info = _info(*rows[0][1:5], *rows[0][18:20])
    fields: dict[int, Sequence[Any]] = {}
    pools: dict[int, dict[int, list[str]]] = defaultdict(dict)
    found: dict[str, tuple[int, int]] = {}
    reminders: dict[str, tuple[int, ...] | None] = {}
    for row in rows:
        service_id = row[5]
        if service_id is None:
            continue
        fields.setdefault(service_id, row[6:16])
        if row[6] not in reminders:
            values = _json(row[20])
            reminders[row[6]] = tuple(int(v) for v in values) if isinstance(values, list) else None
        if row[16] is not None and row[17] is not None:
            pool = pools[service_id].setdefault(row[16], [])
            for entry in row[17].split(","):
                slug, resource_id, capacity = entry.split(" ")
                pool.append(slug)
                found[slug] = (int(resource_id), int(capacity))
    services = [
        (
            service_id,
            Service(
                id=slug,
                name=title,
                duration_min=duration,
                requires=tuple(tuple(pool) for pool in pools.get(service_id, {}).values()),
                buffer_before_min=before,
                buffer_after_min=after,
                slot_step_min=step,
                min_notice_min=notice,
                max_advance_days=advance,
                seats=seats,
                active=bool(active),
            ),
        )
        for service_id, (
            slug,
            title,
            duration,
            before,
            after,
            step,
            notice,
            advance,
            seats,
            active,
        ) in fields.items()
    ]
    return business_id, info, services, found, reminders


_BUSY_SQL = (
    "SELECT resource_id, booking_id, occupied_start, occupied_end, seats, "
    "appointment_start, appointment_end, id{seconds} FROM booking_resource "
    "WHERE resource_id {resources} AND occupied_end > {lo} AND occupied_start < {hi} AND active "
    "ORDER BY 3, 8"
)
"""Bookings' occupancy. Busy time from staff members' own calendars is not here: it is
part of the resource (:func:`_away`), subtracted once from its open time."""

EXTERNAL = AWAY_REF
"""How an explanation names busy time from a staff member's own calendar."""


_PG_SECONDS = (
    ", FLOOR(EXTRACT(EPOCH FROM occupied_start))::bigint, "
    "CEIL(EXTRACT(EPOCH FROM occupied_end))::bigint"
)
"""The occupied window in whole seconds, as the slot search wants it (``Busy.seconds``)."""


async def _busy(slugs: dict[int, str], start: datetime, end: datetime) -> tuple[Busy, ...]:
    """One raw query on the occupancy table, over its resource-and-time index.

    ``active`` is the exclusion constraint's own notion of "occupies", true
    exactly while the booking is confirmed. Raw SQL because Tortoise's model
    layer would build an object per row, and at tens of thousands of bookings
    that is most of a slot query's time.
    """
    if not slugs:
        return ()
    conn = connection()
    resource_ids = sorted(slugs)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if conn.capabilities.dialect == "postgres":
        sql = _BUSY_SQL.format(resources="= ANY($1::int[])", lo="$2", hi="$3", seconds=_PG_SECONDS)
        _, rows = await conn.execute_query(sql, [resource_ids, start, end])
        return tuple(
            Busy(slugs[r[0]], r[2], r[3], r[4], f"booking {r[1]}", r[5], r[6], (r[8], r[9]))
            for r in rows
        )
    marks = ", ".join("?" * len(resource_ids))
    sql = _BUSY_SQL.format(resources=f"IN ({marks})", lo="?", hi="?", seconds="")
    _, rows = await conn.execute_query(sql, [*resource_ids, _text(start), _text(end)])
    # SQLite hands back text; bookings share their times, so parse each text once.
    parsed: dict[str, datetime] = {}

    def instant(text: str) -> datetime:
        value = parsed.get(text)
        if value is None:
            value = parsed[text] = datetime.fromisoformat(text)
        return value

    seconds: dict[tuple[str, Callable[[float], int]], int] = {}

    def second(text: str, rounding: Callable[[float], int]) -> int:
        value = seconds.get((text, rounding))
        if value is None:
            value = seconds[text, rounding] = rounding(instant(text).timestamp())
        return value

    return tuple(
        Busy(
            slugs[r[0]],
            instant(r[2]),
            instant(r[3]),
            r[4],
            f"booking {r[1]}",
            instant(r[5]),
            instant(r[6]),
            (second(r[2], math.floor), second(r[3], math.ceil)),
        )
        for r in rows
    )


_text = sqlite_text
