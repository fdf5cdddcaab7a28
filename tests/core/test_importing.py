"""Importing a business file in place: rules change, bookings never go."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from core import models as m
from core.businessfile import dump_business, parse_business
from core.db import connection
from core.importing import import_business
from core.store import InvalidBusiness, load_business, replace_business
from tests.conftest import TestDatabase

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def spa() -> dict[str, Any]:
    """Two staff and a room, open on Mondays; two bookings on Monday 7 December."""
    return {
        "business": {"name": "Spa", "timezone": "Europe/London"},
        "resources": [
            {"id": "tom", "name": "Tom", "weekly_hours": {"mon": [["10:00", "14:00"]]}},
            {"id": "eve", "name": "Eve", "weekly_hours": {"mon": [["12:00", "16:00"]]}},
            {
                "id": "room-1",
                "name": "Room 1",
                "kind": "room",
                "capacity": 2,
                "weekly_hours": {"mon": [["10:00", "16:00"]]},
            },
        ],
        "services": [
            {
                "id": "massage",
                "name": "Massage",
                "duration_min": 60,
                "requires": [["tom", "eve"], ["room-1"]],
            },
            {"id": "sauna", "name": "Sauna", "duration_min": 30, "requires": [["room-1"]]},
        ],
        "bookings": [
            {
                "service": "massage",
                "start": "2026-12-07T10:00:00Z",
                "resources": ["tom", "room-1"],
                "customer": {"name": "Ana", "phone": "+34600111222"},
            },
            {"service": "massage", "start": "2026-12-07T13:00:00Z", "resources": ["eve", "room-1"]},
        ],
    }


def business(document: dict[str, Any]) -> Any:
    return parse_business(json.dumps(document))


_TABLES = (
    "booking",
    "booking_resource",
    "booking_history",
    "outbox",
    "customer",
    "channel_identity",
    "resource",
    "weekly_hours",
    "block",
    "service",
    "service_pool",
    "service_pool_member",
)


async def rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import must not disturb, in id order."""
    found = {}
    for table in _TABLES:
        _, result = await connection().execute_query(f'SELECT * FROM "{table}" ORDER BY "id"')
        found[table] = [tuple(row) for row in result]
    return found


async def some_history_and_messages() -> None:
    """What the booking service leaves behind: a chat tie, a change, a reminder."""
    booking = await m.Booking.filter(customer_id__isnull=False).first()
    assert booking is not None
    assert booking.customer_id is not None
    await m.ChannelIdentity.create(
        customer_id=booking.customer_id, channel="telegram", external_id="42"
    )
    await m.BookingHistory.create(booking_id=booking.id, actor="ana", channel="telegram",
                                  action="moved", data={"from": "09:00"})  # fmt: skip
    await m.Outbox.create(dedup_key=f"reminder:{booking.id}", kind="reminder",
                          booking_id=booking.id, available_at=NOW)  # fmt: skip


async def test_export_then_import_in_place_changes_no_row(db: TestDatabase) -> None:
    await replace_business(business(spa()))
    await some_history_and_messages()
    before = await rows()
    exported = dump_business(await load_business())
    report = await import_business(parse_business(exported), NOW)
    assert await rows() == before
    assert (report.added_bookings, report.known_bookings) == (0, 2)
    assert report.misfits == ()


async def test_import_in_place_keeps_bookings_tokens_and_customers(db: TestDatabase) -> None:
    await replace_business(business(spa()))
    await some_history_and_messages()
    tokens = set(await m.Booking.all().values_list("manage_token", flat=True))
    document = spa()
    document["business"]["name"] = "Spa & Sauna"
    document["resources"][0]["name"] = "Thomas"
    report = await import_business(business(document), NOW)
    assert set(await m.Booking.all().values_list("manage_token", flat=True)) == tokens
    assert (report.added_bookings, report.known_bookings) == (0, 2)
    ana = await m.Booking.filter(customer__name="Ana").count()
    assert ana == 1
    assert await m.BookingHistory.filter(action="moved").count() == 1
    assert await m.Outbox.all().count() == 1
    assert await m.ChannelIdentity.all().count() == 1
    assert (await load_business()).info.name == "Spa & Sauna"
    assert (await m.Resource.get(slug="tom")).name == "Thomas"


async def test_new_bookings_of_the_file_are_added_once(db: TestDatabase) -> None:
    await import_business(business(spa()), NOW)
    document = spa()
    document["bookings"].append(
        {"service": "sauna", "start": "2026-12-07T15:00:00Z", "resources": ["room-1"]}
    )
    report = await import_business(business(document), NOW)
    assert (report.added_bookings, report.known_bookings) == (1, 2)
    report = await import_business(business(document), NOW)
    assert (report.added_bookings, report.known_bookings) == (0, 3)
    assert await m.Booking.all().count() == 3


async def test_added_and_removed_resources_and_services_are_reported(db: TestDatabase) -> None:
    document = spa()
    document["resources"].append({"id": "ivy", "name": "Ivy"})
    document["services"].append({"id": "nails", "name": "Nails", "duration_min": 30,
                                 "requires": [["ivy"]]})  # fmt: skip
    await import_business(business(document), NOW)
    document = spa()
    document["resources"][1:2] = []  # eve, who has a booking
    document["resources"].append({"id": "zoe", "name": "Zoe"})
    document["services"][0]["requires"][0] = ["tom", "zoe"]
    document["bookings"].pop()  # eve's booking: the file no longer has it
    report = await import_business(business(document), NOW)
    assert report.resources.added == ("zoe",)
    assert report.resources.removed == ("ivy",)
    assert report.resources.switched_off == ("eve",)
    assert report.services.removed == ("nails",)
    eve = await m.Resource.get(slug="eve")
    assert eve.active is False
    assert await m.Booking.all().count() == 2
    assert [(f.service, f.reasons) for f in report.misfits] == [
        ("massage", ("eve is switched off", "eve is not in the pools of massage"))
    ]
    exported = await load_business()
    assert [r.id for r in exported.resources] == ["tom", "room-1", "zoe", "eve"]
    assert parse_business(dump_business(exported)) == exported  # the export still imports


async def test_removed_service_with_bookings_is_switched_off_not_deleted(
    db: TestDatabase,
) -> None:
    await import_business(business(spa()), NOW)
    document = spa()
    document["services"].pop(0)
    document["bookings"] = []
    report = await import_business(business(document), NOW)
    assert report.services.switched_off == ("massage",)
    assert (await m.Service.get(slug="massage")).active is False
    assert await m.Booking.all().count() == 2
    assert {f.reasons[0] for f in report.misfits} == {"service massage is switched off"}


async def test_bookings_outside_new_hours_or_in_a_block_are_listed_and_kept(
    db: TestDatabase,
) -> None:
    await import_business(business(spa()), NOW)
    document = spa()
    document["resources"][0]["weekly_hours"] = {"mon": [["11:00", "14:00"]]}
    document["resources"][2]["blocks"] = [{"start": "2026-12-07T13:30", "end": "2026-12-07T14:00"}]
    report = await import_business(business(document), NOW)
    assert [(f.start.hour, f.reasons) for f in report.misfits] == [
        (10, ("outside the hours of tom",)),
        (13, ("in a block of room-1",)),
    ]
    assert await m.Booking.filter(status=m.BookingStatus.CONFIRMED).count() == 2
    later = await import_business(business(document), datetime(2026, 12, 8, tzinfo=UTC))
    assert later.misfits == ()  # past bookings are not listed


async def test_new_booking_without_room_is_refused_and_changes_nothing(db: TestDatabase) -> None:
    await import_business(business(spa()), NOW)
    before = await rows()
    document = copy.deepcopy(spa())
    document["business"]["name"] = "Renamed"
    document["bookings"] = [
        {"service": "massage", "start": "2026-12-07T10:30:00Z", "resources": ["tom", "room-1"]}
    ]
    with pytest.raises(InvalidBusiness, match="'tom' \\(capacity 1\\) would hold 2 seats"):
        await import_business(business(document), NOW)
    assert await rows() == before
    assert (await load_business()).info.name == "Spa"


async def test_lower_capacity_than_the_bookings_need_is_refused(db: TestDatabase) -> None:
    await import_business(business(spa()), NOW)
    document = spa()
    document["bookings"].append(
        {"service": "sauna", "start": "2026-12-07T10:00:00Z", "resources": ["room-1"]}
    )
    await import_business(business(document), NOW)
    document["resources"][2]["capacity"] = 1
    with pytest.raises(InvalidBusiness, match="'room-1' \\(capacity 1\\)"):
        await import_business(business(document), NOW)
    assert (await m.Resource.get(slug="room-1")).capacity == 2


async def test_round_trip_into_an_empty_database_keeps_tokens_and_customers(
    db: TestDatabase,
) -> None:
    await replace_business(business(spa()))
    old = await m.Booking.all().order_by("id").values_list("manage_token", "customer__name")
    exported = dump_business(await load_business())
    await m.Booking.all().delete()
    await m.Customer.all().delete()
    await replace_business(parse_business(exported))
    assert await m.Booking.all().order_by("id").values_list("manage_token", "customer__name") == old
    assert await m.Customer.all().values_list("name", "phone") == [("Ana", "+34600111222")]


async def test_longer_buffers_do_not_make_existing_bookings_overlap(db: TestDatabase) -> None:
    """Bookings already made keep the windows they were made with."""
    document = spa()
    document["bookings"].append(
        {"service": "massage", "start": "2026-12-07T11:00:00Z", "resources": ["tom", "room-1"]}
    )
    await import_business(business(document), NOW)
    document["services"][0]["buffer_after_min"] = 15
    document["bookings"] = []  # with them, the file itself would overlap
    report = await import_business(business(document), NOW)
    assert report.added_bookings == 0
    assert await m.Booking.all().count() == 3
