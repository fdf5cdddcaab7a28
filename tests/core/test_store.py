"""The store against real databases: import, export, snapshots."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from tortoise.exceptions import BaseORMException

from core import models as m
from core.business import BookingRecord, Business, BusinessInfo, Directory, Entry
from core.businessfile import load_business_file
from core.db import connection
from core.engine.snapshot import Block, Busy, Resource, Service
from core.store import (
    InvalidBusiness,
    NoBusiness,
    load_business,
    load_directory,
    load_info,
    load_snapshot,
    replace_business,
)
from tests.conftest import TestDatabase

DEMO = Path(__file__).resolve().parents[2] / "slotwise" / "demo" / "demo.yaml"
BERLIN = timezone(timedelta(hours=1))
DAY = datetime(2026, 12, 1, tzinfo=UTC)


def wall(text: str) -> datetime:
    """A naive local wall time, as blocks have."""
    return datetime.fromisoformat(text)


def clinic() -> Business:
    """A small business using every feature the file format has."""
    lee = Resource(
        "dr-lee",
        "Dr. Lee",
        "staff",
        timezone="Europe/Berlin",
        weekly_hours={0: ((540, 720), (780, 1020)), 4: ((600, 1440),), 2: (), 1: ((540, 1020),)},
        date_overrides={date(2026, 12, 24): (), date(2026, 12, 27): ((600, 840),)},
        blocks=(
            Block(wall("2026-12-01T10:00"), wall("2026-12-01T11:30"), None, "dentist"),
            Block(
                wall("2026-11-02T12:30"),
                wall("2026-11-02T13:00"),
                "FREQ=WEEKLY;BYDAY=MO,WE",
                "lunch meeting",
            ),
        ),
    )
    kim = Resource("dr-kim", "Dr. Kim", "staff", weekly_hours={1: ((540, 1020),)}, active=False)
    room1 = Resource("room-1", "Room 1", "room", weekly_hours={0: ((480, 1080),)})
    room2 = Resource("room-2", "Room 2", "room", capacity=3, weekly_hours={0: ((480, 1080),)})
    laser = Resource("laser", "Laser", "equipment", capacity=3)
    consult = Service(
        "consult",
        "Consultation",
        30,
        (("dr-lee", "dr-kim"), ("room-1", "room-2")),
        buffer_after_min=10,
        slot_step_min=15,
        min_notice_min=120,
        max_advance_days=60,
    )
    group = Service(
        "group",
        "Group session",
        60,
        (("room-2",), ("laser",)),
        buffer_before_min=5,
        seats=2,
        active=False,
    )
    talk = Service("talk", "Quick talk", 15, (("dr-kim", "dr-lee"),))
    bookings = (
        BookingRecord("consult", DAY.replace(hour=8), ("dr-lee", "room-1")),
        BookingRecord("group", DAY.replace(hour=9), ("room-2", "laser")),
        BookingRecord(
            "group", datetime(2026, 12, 1, 10, 30, tzinfo=BERLIN), ("room-2", "laser"), 1
        ),
        BookingRecord("talk", DAY.replace(hour=14), ("dr-lee",)),
        BookingRecord("consult", DAY.replace(day=3, hour=8), ("dr-lee", "room-2")),
    )
    return Business(
        BusinessInfo("Demo Clinic", "Europe/Berlin", "de", "#0f766e"),
        (lee, kim, room1, room2, laser),
        (consult, group, talk),
        bookings,
        service_aliases={"consult": ("consulta", "Beratung", "консультация")},
        resource_aliases={"dr-lee": ("Dr Lee", "Доктор Ли"), "room-1": ("the small room",)},
    )


async def test_import_then_export_gives_the_same_business(db: TestDatabase) -> None:
    business = clinic()
    await replace_business(business)
    loaded = await load_business()
    assert loaded == business
    # Orders are part of the file, not just of equality of mappings.
    assert [list(r.weekly_hours) for r in loaded.resources] == [
        list(r.weekly_hours) for r in business.resources
    ]
    assert list(loaded.resources[0].date_overrides) == [date(2026, 12, 24), date(2026, 12, 27)]
    assert loaded.resources[0].date_overrides[date(2026, 12, 24)] == ()
    assert loaded.resources[0].weekly_hours[2] == ()
    assert all(b.start.utcoffset() == timedelta(0) for b in loaded.bookings)


async def test_aliases_and_colour_are_stored(db: TestDatabase) -> None:
    await replace_business(clinic())
    assert await load_info() == BusinessInfo("Demo Clinic", "Europe/Berlin", "de", "#0f766e")
    consult = await m.Service.get(slug="consult")
    assert consult.aliases == ["consulta", "Beratung", "консультация"]
    assert (await m.Resource.get(slug="laser")).aliases == []
    plain = Business(
        BusinessInfo("Solo", "UTC"),
        (Resource("ana", "Ana"),),
        (Service("cut", "Haircut", 30, (("ana",),)),),
    )
    await replace_business(plain)
    assert (await load_info()).colour is None
    assert await load_business() == plain


async def test_a_service_and_a_resource_sharing_an_id_keep_their_own_aliases(
    db: TestDatabase,
) -> None:
    shared = Business(
        BusinessInfo("Salon", "UTC"),
        (Resource("cut", "Chair", "equipment"), Resource("ana", "Ana")),
        (Service("cut", "Haircut", 30, (("ana",), ("cut",))),),
        service_aliases={"cut": ("стрижка", "Haarschnitt")},
        resource_aliases={"cut": ("chair",), "ana": ("Анна",)},
    )
    await replace_business(shared)
    assert await load_business() == shared


async def test_exported_seats_are_none_when_they_are_the_services(db: TestDatabase) -> None:
    business = clinic()
    spelled_out = replace(business, bookings=(replace(business.bookings[1], seats=2),))
    await replace_business(spelled_out)
    assert (await load_business()).bookings[0].seats is None


async def test_import_replaces_the_previous_business(db: TestDatabase) -> None:
    await replace_business(clinic())
    small = Business(
        BusinessInfo("Solo", "UTC"),
        (Resource("ana", "Ana", weekly_hours={2: ((600, 660),)}),),
        (Service("cut", "Haircut", 30, (("ana",),)),),
        (BookingRecord("cut", DAY.replace(hour=10), ("ana",)),),
    )
    await replace_business(small)
    assert await load_business() == small
    assert await m.Business.all().count() == 1
    assert await m.Booking.all().count() == 1
    assert await m.BookingResource.all().count() == 1
    assert await m.BookingHistory.all().count() == 1
    assert await m.Block.all().count() == 0


_FAIL_ON_HISTORY = {
    "sqlite": [
        "CREATE TRIGGER fail_history BEFORE INSERT ON booking_history "
        "BEGIN SELECT RAISE(ABORT, 'history is broken'); END"
    ],
    "postgres": [
        "ALTER TABLE booking_history ADD CONSTRAINT history_is_broken CHECK (false) NOT VALID"
    ],
}


async def test_a_failed_import_keeps_the_old_business(db: TestDatabase) -> None:
    await replace_business(clinic())
    small = Business(
        BusinessInfo("Solo", "UTC"),
        (Resource("ana", "Ana"),),
        (Service("cut", "Haircut", 30, (("ana",),)),),
        (BookingRecord("cut", DAY, ("ana",)),),
    )
    # The database refuses the last write, after the old business was deleted.
    for sql in _FAIL_ON_HISTORY[db.backend]:
        await connection().execute_script(sql)
    try:
        with pytest.raises(BaseORMException, match=r"history.is.broken"):
            await replace_business(small)
    finally:
        if db.is_postgres:
            await connection().execute_script(
                "ALTER TABLE booking_history DROP CONSTRAINT history_is_broken"
            )
    assert await load_business() == clinic()


async def test_imported_bookings_are_confirmed_with_history_and_occupancy(
    db: TestDatabase,
) -> None:
    await replace_business(clinic())
    booking = await m.Booking.get(start=DAY.replace(hour=9))
    assert booking.status is m.BookingStatus.CONFIRMED
    assert booking.seats == 2
    assert booking.end == DAY.replace(hour=10)
    assert booking.source_channel == "file"
    rows = await m.BookingResource.filter(booking_id=booking.id).order_by("position")
    assert [(r.occupied_start, r.occupied_end, r.seats, r.exclusive) for r in rows] == [
        (DAY.replace(hour=8, minute=55), DAY.replace(hour=10), 2, False),
        (DAY.replace(hour=8, minute=55), DAY.replace(hour=10), 2, False),
    ]
    history = await m.BookingHistory.filter(booking_id=booking.id)
    assert [(h.action, h.channel, h.data["resources"]) for h in history] == [
        ("imported", "file", ["room-2", "laser"])
    ]
    tokens = await m.Booking.all().values_list("manage_token", flat=True)
    assert len(set(tokens)) == len(tokens) == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: replace(b, bookings=(BookingRecord("nope", DAY, ("dr-lee",)),)),
            "bookings[0].service: unknown service 'nope'",
        ),
        (
            lambda b: replace(b, bookings=(BookingRecord("talk", DAY, ("dr-lee", "ghost")),)),
            "bookings[0].resources[1]: unknown resource 'ghost'",
        ),
        (
            lambda b: replace(b, resources=(*b.resources, b.resources[0])),
            "resources[5].id: duplicate id 'dr-lee'",
        ),
        (
            lambda b: replace(b, resources=(*b.resources, Resource("x" * 65, "X"))),
            "resources[5].id: longer than 64 characters",
        ),
        (
            lambda b: replace(b, services=(*b.services, Service("x", "X", 10, (("laser",), ())))),
            "services[3].requires[1]: a pool needs a resource",
        ),
        (
            lambda b: replace(b, resources=(Resource("odd", "Odd", capacity=2**40),)),
            "resources[0].capacity: 1099511627776 is out of range",
        ),
        (
            lambda b: replace(b, resources=(Resource("odd", "Odd", weekly_hours={7: ()}),)),
            "resources[0].weekly_hours: 7 is out of range",
        ),
        (
            lambda b: replace(
                b, services=(*b.services, Service("x", "X", 10, (("dr-lee", "nobody"),)))
            ),
            "services[3].requires[0][1]: unknown resource 'nobody'",
        ),
        (
            # consult ends 08:30 plus 10 minutes of buffer: a talk at 08:35 overlaps it.
            lambda b: replace(
                b,
                bookings=(
                    *b.bookings,
                    BookingRecord("talk", DAY.replace(hour=8, minute=35), ("dr-lee",)),
                ),
            ),
            "bookings[5]: resource 'dr-lee' (capacity 1) would hold 2 seats at once, "
            "with bookings[0]",
        ),
        (
            lambda b: replace(
                b,
                bookings=(
                    *b.bookings,
                    BookingRecord("group", DAY.replace(hour=9), ("room-2", "laser")),
                ),
            ),
            "bookings[5]: resource 'room-2' (capacity 3) would hold 4 seats at once, "
            "with bookings[1]",
        ),
        (
            lambda b: replace(b, service_aliases={"nope": ("x",)}),
            "service_aliases: unknown service 'nope'",
        ),
        (
            lambda b: replace(b, resource_aliases={"consult": ("x",)}),
            "resource_aliases: unknown resource 'consult'",
        ),
        (
            lambda b: replace(b, info=replace(b.info, colour="#0f766e80")),
            "business.colour: longer than 7 characters",
        ),
    ],
)
async def test_an_inconsistent_business_is_refused_and_changes_nothing(
    db: TestDatabase, change: object, message: str
) -> None:
    await replace_business(clinic())
    assert callable(change)
    with pytest.raises(InvalidBusiness) as caught:
        await replace_business(change(clinic()))
    assert str(caught.value) == message
    assert await load_business() == clinic()


async def test_touching_bookings_are_not_overlapping(db: TestDatabase) -> None:
    business = clinic()
    # consult at 08:00 occupies dr-lee until 08:40; a talk may start right then.
    touching = BookingRecord("talk", DAY.replace(hour=8, minute=40), ("dr-lee",))
    await replace_business(replace(business, bookings=(*business.bookings, touching)))
    assert len((await load_business()).bookings) == 6


async def test_an_empty_database_has_no_business(db: TestDatabase) -> None:
    with pytest.raises(NoBusiness, match=r"run 'slotwise import FILE' first"):
        await load_business()
    with pytest.raises(NoBusiness):
        await load_snapshot(DAY, DAY + timedelta(days=1))
    with pytest.raises(NoBusiness):
        await load_info()
    with pytest.raises(NoBusiness):
        await load_directory()


async def test_snapshot_busy_is_the_overlapping_confirmed_occupancy(db: TestDatabase) -> None:
    await replace_business(clinic())
    cancelled = await m.Booking.get(start=DAY.replace(hour=14))
    cancelled.status = m.BookingStatus.CANCELLED
    await cancelled.save()
    await m.BookingResource.filter(booking_id=cancelled.id).update(active=False)
    ids = dict(await m.Booking.all().values_list("start", "id"))

    # 08:40 is where the 08:00 consult's buffer ends: it must not count (half-open).
    snapshot = await load_snapshot(DAY.replace(hour=8, minute=40), DAY.replace(hour=23))

    group_at_9 = ids[DAY.replace(hour=9)]
    group_at_930 = ids[DAY.replace(hour=9, minute=30)]
    assert set(snapshot.busy) == {
        Busy(
            "room-2",
            DAY.replace(hour=8, minute=55),
            DAY.replace(hour=10),
            2,
            f"booking {group_at_9}",
            DAY.replace(hour=9),
            DAY.replace(hour=10),
        ),
        Busy(
            "laser",
            DAY.replace(hour=8, minute=55),
            DAY.replace(hour=10),
            2,
            f"booking {group_at_9}",
            DAY.replace(hour=9),
            DAY.replace(hour=10),
        ),
        Busy(
            "room-2",
            DAY.replace(hour=9, minute=25),
            DAY.replace(hour=10, minute=30),
            1,
            f"booking {group_at_930}",
            DAY.replace(hour=9, minute=30),
            DAY.replace(hour=10, minute=30),
        ),
        Busy(
            "laser",
            DAY.replace(hour=9, minute=25),
            DAY.replace(hour=10, minute=30),
            1,
            f"booking {group_at_930}",
            DAY.replace(hour=9, minute=30),
            DAY.replace(hour=10, minute=30),
        ),
    }
    assert [b.start for b in snapshot.busy] == sorted(b.start for b in snapshot.busy)
    assert all(b.start.utcoffset() == timedelta(0) for b in snapshot.busy)
    assert snapshot.timezone == "Europe/Berlin"
    assert snapshot.locale == "de"
    assert snapshot.resources == {r.id: r for r in clinic().resources}
    assert snapshot.services == {s.id: s for s in clinic().services}


async def test_snapshot_window_may_be_given_in_any_zone(db: TestDatabase) -> None:
    await replace_business(clinic())
    # 08:00-08:30 UTC is 09:00-09:30 at +01:00: only the 08:00 consult is there.
    snapshot = await load_snapshot(
        datetime(2026, 12, 1, 9, tzinfo=BERLIN), datetime(2026, 12, 1, 9, 30, tzinfo=BERLIN)
    )
    assert [(b.resource_id, b.appointment_start) for b in snapshot.busy] == [
        ("dr-lee", DAY.replace(hour=8)),
        ("room-1", DAY.replace(hour=8)),
    ]


async def test_snapshot_for_some_services_loads_only_their_resources(db: TestDatabase) -> None:
    await replace_business(clinic())
    snapshot = await load_snapshot(DAY, DAY + timedelta(days=3), ["talk"])
    assert set(snapshot.resources) == {"dr-lee", "dr-kim"}
    assert snapshot.resources["dr-lee"] == clinic().resources[0]
    assert set(snapshot.services) == {"consult", "group", "talk"}
    assert {b.resource_id for b in snapshot.busy} == {"dr-lee"}
    assert len(snapshot.busy) == 3

    nothing = await load_snapshot(DAY, DAY + timedelta(days=3), ["no-such-service"])
    assert nothing.resources == {}
    assert nothing.busy == ()
    assert set(nothing.services) == {"consult", "group", "talk"}


async def test_snapshot_takes_a_fixed_number_of_queries(
    db: TestDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    business = clinic()
    many = tuple(
        BookingRecord("talk", DAY + timedelta(days=d, hours=h), ("dr-kim",))
        for d in range(20)
        for h in range(8)
    )
    await replace_business(replace(business, bookings=business.bookings + many))
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        caplog.clear()
        snapshot = await load_snapshot(DAY, DAY + timedelta(days=30))
    queries = [r for r in caplog.records if r.name == "tortoise.db_client"]
    assert len(snapshot.busy) == 2 * 4 + 1 + 160
    assert len(queries) <= 8, [r.getMessage()[:80] for r in queries]


async def test_snapshot_needs_aware_datetimes(db: TestDatabase) -> None:
    with pytest.raises(ValueError, match="aware"):
        await load_snapshot(wall("2026-12-01T00:00"), wall("2026-12-02T00:00"))


# --- the directory the chat reads ---------------------------------------------------------


async def test_directory_of_the_demo_business(db: TestDatabase) -> None:
    demo = load_business_file(DEMO)
    await replace_business(demo)
    directory = await load_directory()
    assert directory.info == demo.info
    assert directory.info.colour == "#0f766e"
    assert [e.id for e in directory.services] == ["consult", "checkup", "haircut", "colour", "yoga"]
    assert all(e.kind == "service" for e in directory.services)
    haircut = directory.services[2]
    haircut_names = tuple(sorted(demo.service_names["haircut"].items()))
    assert haircut == Entry(
        "haircut", "Haircut", demo.service_aliases["haircut"], names=haircut_names
    )
    assert haircut.name_in("de") == "Haarschnitt"
    assert haircut.name_in("xx") == "Haircut"
    assert {"corte de pelo", "Haarschnitt", "coupe", "стрижка"} <= set(haircut.aliases)
    # Rooms (room-1, room-2, hall) are not providers, however many pools list them.
    assert [e.id for e in directory.providers] == [
        "dr-lee",
        "dr-kim",
        "dr-novak",
        "ana",
        "ben",
        "mia",
    ]
    lee_names = tuple(sorted(demo.resource_names["dr-lee"].items()))
    assert directory.providers[0] == Entry(
        "dr-lee", "Dr. Lee", demo.resource_aliases["dr-lee"], "staff", lee_names
    )
    assert directory.providers[0].name_in("ru") == "Доктор Ли"
    assert "Доктор Ли" in directory.providers[0].aliases


async def test_directory_leaves_out_what_cannot_be_booked(db: TestDatabase) -> None:
    demo = load_business_file(DEMO)
    by_id = {r.id: r for r in demo.resources}
    await replace_business(
        replace(
            demo,
            # A receptionist is staff but in no pool; Dr. Kim is switched off; Mia only
            # teaches yoga, which is switched off.
            resources=(
                *(replace(r, active=False) if r.id == "dr-kim" else r for r in demo.resources),
                Resource("desk", "Reception", "staff"),
            ),
            services=tuple(
                replace(s, active=False) if s.id == "yoga" else s for s in demo.services
            ),
        )
    )
    directory = await load_directory()
    assert [e.id for e in directory.services] == ["consult", "checkup", "haircut", "colour"]
    assert [e.id for e in directory.providers] == ["dr-lee", "dr-novak", "ana", "ben"]
    assert directory.providers[2] == Entry(
        "ana",
        by_id["ana"].name,
        ("Anna", "Анна", "Ана"),
        "staff",
        tuple(sorted(demo.resource_names["ana"].items())),
    )


async def test_directory_of_a_business_without_aliases(db: TestDatabase) -> None:
    await replace_business(
        Business(
            BusinessInfo("Solo", "UTC"),
            (Resource("ana", "Ana"), Resource("chair", "Chair", "equipment")),
            (Service("cut", "Haircut", 30, (("ana",), ("chair",))),),
        )
    )
    assert await load_directory() == Directory(
        BusinessInfo("Solo", "UTC"),
        (Entry("cut", "Haircut"),),
        (Entry("ana", "Ana", kind="staff"),),
    )


async def test_directory_takes_three_queries(
    db: TestDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    await replace_business(load_business_file(DEMO))
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        caplog.clear()
        await load_directory()
    queries = [r for r in caplog.records if r.name == "tortoise.db_client"]
    assert len(queries) == 3, [r.getMessage()[:80] for r in queries]
