"""The business in the database: written whole from a file, read back whole or as a snapshot.

``replace_business`` is the import: one transaction that deletes what was
there and writes the new business, so a failed import leaves the old one.
``load_business`` is the export. ``load_snapshot`` is the hot path behind every
slot query: a fixed handful of queries reading only the columns the engine
needs (the busy time through the occupancy index), never one query per row.

StoreError
 ├── NoBusiness (LookupError)      the database holds no business yet
 └── InvalidBusiness (ValueError)  the business cannot be stored as given; names the field
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import ValidationError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import models as m
from core.business import BookingRecord, Business, BusinessInfo
from core.db import connection
from core.engine.snapshot import (
    Block,
    Busy,
    DayHours,
    Resource,
    ResourceKind,
    Service,
    Snapshot,
)

_Named = TypeVar("_Named", Resource, Service)
_Day = TypeVar("_Day", int, date)

IMPORT_CHANNEL = "file"
"""``source_channel`` and history channel of bookings that came from a business file."""


class StoreError(Exception):
    """The database cannot do what was asked; the message says why and what to do."""


class NoBusiness(StoreError, LookupError):
    def __init__(self) -> None:
        super().__init__("no business in the database; run 'slotwise import FILE' first")


class InvalidBusiness(StoreError, ValueError):
    """The business contradicts itself (unknown names, duplicates, overbooked resources)."""


# --------------------------------------------------------------------------- writing


async def replace_business(business: Business) -> None:
    """Make ``business`` the one business in the database, bookings included.

    Checked before anything is written, so bad input changes nothing and gets
    an error naming the place: duplicate or unknown ids, and bookings that
    need more seats than a resource has (PostgreSQL would refuse those on
    capacity-one resources anyway; SQLite would not).
    """
    _check(business)
    try:
        async with in_transaction() as conn:
            await _delete_everything(conn)
            row = await m.Business.create(
                name=business.info.name,
                timezone=business.info.timezone,
                locale=business.info.locale,
                using_db=conn,
            )
            resource_ids = await _write_resources(conn, row.id, business.resources)
            service_ids = await _write_services(conn, row.id, business.services, resource_ids)
            await _write_bookings(conn, row.id, business, resource_ids, service_ids)
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
    await m.BookingResource.all().using_db(conn).delete()
    await m.Booking.all().using_db(conn).delete()
    await m.Business.all().using_db(conn).delete()


async def _write_resources(
    conn: BaseDBAsyncClient, business_id: int, resources: Sequence[Resource]
) -> dict[str, int]:
    await m.Resource.bulk_create(
        [
            m.Resource(
                business_id=business_id,
                slug=r.id,
                name=r.name,
                kind=m.ResourceKind(r.kind),
                capacity=r.capacity,
                timezone=r.timezone,
                active=r.active,
                position=i,
            )
            for i, r in enumerate(resources)
        ],
        using_db=conn,
    )
    ids: dict[str, int] = dict(
        await m.Resource.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
    )
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
    return ids


async def _write_services(
    conn: BaseDBAsyncClient,
    business_id: int,
    services: Sequence[Service],
    resource_ids: dict[str, int],
) -> dict[str, int]:
    await m.Service.bulk_create(
        [
            m.Service(
                business_id=business_id,
                slug=s.id,
                name=s.name,
                duration_min=s.duration_min,
                buffer_before_min=s.buffer_before_min,
                buffer_after_min=s.buffer_after_min,
                slot_step_min=s.slot_step_min,
                min_notice_min=s.min_notice_min,
                max_advance_days=s.max_advance_days,
                seats=s.seats,
                active=s.active,
                position=i,
            )
            for i, s in enumerate(services)
        ],
        using_db=conn,
    )
    ids: dict[str, int] = dict(
        await m.Service.filter(business_id=business_id).using_db(conn).values_list("slug", "id")
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
            service__business_id=business_id
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
    return ids


async def _write_bookings(
    conn: BaseDBAsyncClient,
    business_id: int,
    business: Business,
    resource_ids: dict[str, int],
    service_ids: dict[str, int],
) -> None:
    """Bookings, their occupancy and history as plain multi-row inserts.

    A business file can hold tens of thousands of bookings; building three
    Tortoise model objects per booking made the import several times slower
    than the database's own work. The values are encoded as the models would
    encode them (instants in UTC, see :func:`_db_values`).
    """
    if not business.bookings:
        return
    services = {s.id: s for s in business.services}
    capacity = {r.id: r.capacity for r in business.resources}
    now = datetime.now(UTC)
    confirmed = m.BookingStatus.CONFIRMED.value
    tokens: list[str] = []
    bookings: list[list[Any]] = []
    for record in business.bookings:
        service = services[record.service]
        start = record.start.astimezone(UTC)
        token = m.new_manage_token()
        tokens.append(token)
        bookings.append(
            [
                business_id,
                service_ids[record.service],
                start,
                start + timedelta(minutes=service.duration_min),
                confirmed,
                IMPORT_CHANNEL,
                token,
                _seats(record, service),
                now,
                now,
            ]
        )
    await _insert_many(
        conn,
        "booking",
        (
            "business_id",
            "service_id",
            "start",
            "end",
            "status",
            "source_channel",
            "manage_token",
            "seats",
            "created_at",
            "updated_at",
        ),
        bookings,
    )
    # Multi-row inserts do not return ids; the tokens, made here, find them again.
    ids: dict[str, int] = dict(
        await m.Booking.filter(business_id=business_id)
        .using_db(conn)
        .values_list("manage_token", "id")
    )
    occupancy: list[list[Any]] = []
    history: list[list[Any]] = []
    for record, token, row in zip(business.bookings, tokens, bookings, strict=True):
        booking_id = ids[token]
        start, end, seats = row[2], row[3], row[7]
        occupied_start, occupied_end = _occupied(services[record.service], start)
        occupancy.extend(
            [
                booking_id,
                resource_ids[slug],
                k,
                occupied_start,
                occupied_end,
                start,
                end,
                seats,
                True,
                capacity[slug] == 1,
            ]
            for k, slug in enumerate(record.resources)
        )
        data = {
            "service": record.service,
            "start": start.isoformat(),
            "resources": list(record.resources),
            "seats": seats,
        }
        history.append([booking_id, now, "import", IMPORT_CHANNEL, "imported", json.dumps(data)])
    await _insert_many(
        conn,
        "booking_resource",
        (
            "booking_id",
            "resource_id",
            "position",
            "occupied_start",
            "occupied_end",
            "appointment_start",
            "appointment_end",
            "seats",
            "active",
            "exclusive",
        ),
        occupancy,
    )
    await _insert_many(
        conn,
        "booking_history",
        ("booking_id", "at", "actor", "channel", "action", "data"),
        history,
    )


_ROWS_PER_INSERT = 500


async def _insert_many(
    conn: BaseDBAsyncClient, table: str, columns: Sequence[str], rows: list[list[Any]]
) -> None:
    """``INSERT ... VALUES (...), (...)`` in chunks: one round trip per few hundred rows."""
    postgres = conn.capabilities.dialect == "postgres"
    names = ", ".join(f'"{c}"' for c in columns)
    width = len(columns)
    for first in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[first : first + _ROWS_PER_INSERT]
        if postgres:
            groups = (
                "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")"
                for i in range(len(chunk))
            )
        else:
            one = "(" + ", ".join("?" * width) + ")"
            groups = (one for _ in chunk)
        values = [v for row in chunk for v in _db_values(row, postgres)]
        await conn.execute_query(
            f'INSERT INTO "{table}" ({names}) VALUES {", ".join(groups)}', values
        )


def _db_values(row: list[Any], postgres: bool) -> list[Any]:
    """What :class:`core.models.UTCDatetimeField` would write for each value."""
    if postgres:
        return row
    return [_text(v) if isinstance(v, datetime) else v for v in row]


def _seats(record: BookingRecord, service: Service) -> int:
    return record.seats if record.seats is not None else service.seats


def _occupied(service: Service, start: datetime) -> tuple[datetime, datetime]:
    return (
        start - timedelta(minutes=service.buffer_before_min),
        start + timedelta(minutes=service.duration_min + service.buffer_after_min),
    )


def _check(business: Business) -> None:
    """Refuse what the database would refuse (or, on SQLite, silently accept)."""
    info = business.info
    _fits("business.name", info.name, m.Business, "name")
    _fits("business.timezone", info.timezone, m.Business, "timezone")
    _fits("business.locale", info.locale, m.Business, "locale")
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
    for i, record in enumerate(business.bookings):
        if record.seats is not None:
            _in_range(f"bookings[{i}].seats", record.seats, _INT)
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
    # Per resource: (instant, order, seats, booking index); an end sorts before a
    # start at the same instant because windows are half-open.
    events: dict[str, list[tuple[datetime, int, int, int]]] = defaultdict(list)
    for i, record in enumerate(business.bookings):
        booked = services.get(record.service)
        if booked is None:
            raise InvalidBusiness(f"bookings[{i}].service: unknown service {record.service!r}")
        if record.start.tzinfo is None:
            raise InvalidBusiness(f"bookings[{i}].start: needs an offset or Z")
        seats = _seats(record, booked)
        start, end = _occupied(booked, record.start.astimezone(UTC))
        for k, slug in enumerate(record.resources):
            if slug not in resources:
                raise InvalidBusiness(f"bookings[{i}].resources[{k}]: unknown resource {slug!r}")
            events[slug].append((start, 1, seats, i))
            events[slug].append((end, 0, -seats, i))
    for slug, items in events.items():
        capacity = resources[slug].capacity
        taken = 0
        holders: set[int] = set()
        for _at, is_start, seats, i in sorted(items):
            taken += seats
            if is_start:
                holders.add(i)
            else:
                holders.discard(i)
            if taken > capacity:
                others = ", ".join(f"bookings[{j}]" for j in sorted(holders - {i}))
                raise InvalidBusiness(
                    f"bookings[{i}]: resource {slug!r} (capacity {capacity}) would hold "
                    f"{taken} seats at once" + (f", with {others}" if others else "")
                )


_INT = range(-(2**31), 2**31)
"""What an integer column holds on PostgreSQL (SQLite holds more; they must agree)."""
_MINUTES = range(24 * 60 + 1)
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


async def load_business() -> Business:
    """The business as imported: same order of everything, confirmed bookings only.

    A booking's ``seats`` comes back as ``None`` when it equals its service's
    seats: the file's default, so that an exported file stays as short as the
    imported one (a file that spelled the default out loses the spelling).
    """
    business_id, info = await _business_row()
    resources = await _resources(business_id, None)
    services = await _services(business_id)
    service_by_id = dict(services)
    slug_by_resource = {resource_id: r.id for resource_id, r in resources}

    rows = (
        await m.Booking.filter(business_id=business_id, status=m.BookingStatus.CONFIRMED)
        .order_by("id")
        .values_list("id", "service_id", "start", "seats")
    )
    occupancy: dict[int, list[str]] = defaultdict(list)
    for booking_id, resource_id in (
        await m.BookingResource.filter(
            booking__business_id=business_id, booking__status=m.BookingStatus.CONFIRMED
        )
        .order_by("booking_id", "position", "id")
        .values_list("booking_id", "resource_id")
    ):
        occupancy[booking_id].append(slug_by_resource[resource_id])
    bookings = []
    for booking_id, service_id, start, seats in rows:
        service = service_by_id[service_id]
        bookings.append(
            BookingRecord(
                service=service.id,
                start=start.astimezone(UTC),
                resources=tuple(occupancy[booking_id]),
                seats=None if seats == service.seats else seats,
            )
        )
    return Business(
        info=info,
        resources=tuple(r for _, r in resources),
        services=tuple(s for _, s in services),
        bookings=tuple(bookings),
    )


async def load_snapshot(
    start: datetime, end: datetime, service_ids: list[str] | None = None
) -> Snapshot:
    """The rules and the confirmed bookings' busy time overlapping ``[start, end)``.

    ``start``/``end`` must be aware and already widened by whatever the caller
    looks at around its candidates (the services' buffers). With
    ``service_ids`` only the resources those services can use are loaded (with
    their hours, blocks and busy time); every service's definition is there
    regardless. Eight queries whatever the size of the business.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("load_snapshot needs aware datetimes")
    business_id, info = await _business_row()
    services = await _services(business_id)
    wanted: set[str] | None = None
    if service_ids is not None:
        by_slug = {s.id: s for _, s in services}
        wanted = {
            slug
            for service_id in service_ids
            if service_id in by_slug
            for pool in by_slug[service_id].requires
            for slug in pool
        }
    resources = await _resources(business_id, wanted)
    busy = await _busy({rid: r.id for rid, r in resources}, start, end)
    return Snapshot(
        timezone=info.timezone,
        resources={r.id: r for _, r in resources},
        services={s.id: s for _, s in services},
        busy=busy,
        locale=info.locale,
    )


async def _business_row() -> tuple[int, BusinessInfo]:
    rows = (
        await m.Business.all()
        .order_by("id")
        .limit(1)
        .values_list("id", "name", "timezone", "locale")
    )
    if not rows:
        raise NoBusiness()
    business_id, name, timezone, locale = rows[0]
    return business_id, BusinessInfo(name=name, timezone=timezone, locale=locale)


async def _resources(business_id: int, wanted: set[str] | None) -> list[tuple[int, Resource]]:
    """Resources in file order with their hours, overrides and blocks: four queries."""
    query = m.Resource.filter(business_id=business_id)
    if wanted is not None:
        query = query.filter(slug__in=sorted(wanted))
    rows = await query.order_by("position", "id").values_list(
        "id", "slug", "name", "kind", "capacity", "timezone", "active"
    )
    ids = [row[0] for row in rows]
    if not ids:
        return []
    hours: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(dict)
    for resource_id, weekday, a, b in (
        await m.WeeklyHours.filter(resource_id__in=ids)
        .order_by("id")
        .values_list("resource_id", "weekday", "start_min", "end_min")
    ):
        day_hours = hours[resource_id].setdefault(weekday, [])
        if a is not None and b is not None:
            day_hours.append((a, b))
    overrides: dict[int, dict[date, list[tuple[int, int]]]] = defaultdict(dict)
    for resource_id, day, a, b in (
        await m.DateOverride.filter(resource_id__in=ids)
        .order_by("id")
        .values_list("resource_id", "date", "start_min", "end_min")
    ):
        stretches = overrides[resource_id].setdefault(day, [])
        if a is not None and b is not None:
            stretches.append((a, b))
    blocks: dict[int, list[Block]] = defaultdict(list)
    for resource_id, a, b, rrule, reason in (
        await m.Block.filter(resource_id__in=ids)
        .order_by("id")
        .values_list("resource_id", "start", "end", "rrule", "reason")
    ):
        blocks[resource_id].append(
            Block(
                start=datetime.fromisoformat(a),
                end=datetime.fromisoformat(b),
                rrule=rrule,
                reason=reason,
            )
        )
    return [
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
                active=bool(active),
            ),
        )
        for resource_id, slug, name, kind, capacity, timezone, active in rows
    ]


def _kind(value: Any) -> ResourceKind:
    """The stored kind as the engine's literal (a plain ``str``, not the enum)."""
    return m.ResourceKind(value).value


def _day_hours(days: dict[_Day, list[tuple[int, int]]]) -> dict[_Day, DayHours]:
    return {day: tuple(stretches) for day, stretches in days.items()}


async def _services(business_id: int) -> list[tuple[int, Service]]:
    """Services in file order with their pools: two queries."""
    rows = (
        await m.Service.filter(business_id=business_id)
        .order_by("position", "id")
        .values_list(
            "id",
            "slug",
            "name",
            "duration_min",
            "buffer_before_min",
            "buffer_after_min",
            "slot_step_min",
            "min_notice_min",
            "max_advance_days",
            "seats",
            "active",
        )
    )
    pools: dict[int, dict[int, list[str]]] = defaultdict(dict)
    for service_id, pool_id, slug in (
        await m.ServicePoolMember.filter(pool__service__business_id=business_id)
        .order_by("pool__position", "pool_id", "position", "id")
        .values_list("pool__service_id", "pool_id", "resource__slug")
    ):
        pools[service_id].setdefault(pool_id, []).append(slug)
    return [
        (
            service_id,
            Service(
                id=slug,
                name=name,
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
        for (
            service_id,
            slug,
            name,
            duration,
            before,
            after,
            step,
            notice,
            advance,
            seats,
            active,
        ) in rows
    ]


_BUSY_SQL = (
    "SELECT resource_id, booking_id, occupied_start, occupied_end, seats, "
    "appointment_start, appointment_end FROM booking_resource "
    "WHERE resource_id {resources} AND occupied_end > {lo} AND occupied_start < {hi} AND active "
    "ORDER BY occupied_start, id"
)


async def _busy(slugs: dict[int, str], start: datetime, end: datetime) -> tuple[Busy, ...]:
    """One raw query on the occupancy table alone, over its resource-and-time indexes.

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
        sql = _BUSY_SQL.format(resources="= ANY($1::int[])", lo="$2", hi="$3")
        _, rows = await conn.execute_query(sql, [resource_ids, start, end])
        return tuple(
            Busy(slugs[r[0]], r[2], r[3], r[4], f"booking {r[1]}", r[5], r[6]) for r in rows
        )
    marks = ", ".join("?" * len(resource_ids))
    sql = _BUSY_SQL.format(resources=f"IN ({marks})", lo="?", hi="?")
    _, rows = await conn.execute_query(sql, [*resource_ids, _text(start), _text(end)])
    # SQLite hands back text; bookings share their times, so parse each text once.
    parsed: dict[str, datetime] = {}

    def instant(text: str) -> datetime:
        value = parsed.get(text)
        if value is None:
            value = parsed[text] = datetime.fromisoformat(text)
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
        )
        for r in rows
    )


def _text(instant: datetime) -> str:
    """An instant as SQLite holds it (see ``core.models.UTCDatetimeField``)."""
    return instant.astimezone(UTC).isoformat(" ")
