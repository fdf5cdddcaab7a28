"""Rule edits one at a time: the business file's validator, the in-place writer, history."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import models as m
from core.bookings import Actor, BookingService
from core.business import Business
from core.businessfile import business_document
from core.engine import explain
from core.errors import NotFound
from core.rules import (
    RuleEditError,
    add_block,
    put_override,
    put_resource,
    put_service,
    remove_block,
    remove_override,
    remove_resource,
    remove_service,
    rule_history,
    set_weekly_hours,
)
from core.store import load_business, load_snapshot
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, NOW, TUESDAY, Clock, at, load_clinic

ADMIN = Actor("admin", "Ada", "admin")
WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


async def is_slot(service: str, start: datetime) -> bool:
    snapshot = await load_snapshot(start, start)
    return explain(snapshot, service, start, NOW).is_slot


@pytest.fixture
async def clinic(db: TestDatabase) -> None:
    await load_clinic()


async def test_new_hours_apply_at_once_and_are_in_the_history(clinic: None) -> None:
    assert await is_slot("solo", at(TUESDAY, 15))
    edit = await set_weekly_hours("ana", {**WEEKDAYS, "tue": [["09:00", "12:00"]]}, actor=ADMIN)
    assert edit.changed
    assert edit.before is not None
    assert edit.after is not None
    assert edit.before["weekly_hours"]["tue"] == [["09:00", "17:00"]]
    assert edit.after["weekly_hours"]["tue"] == [["09:00", "12:00"]]
    assert not await is_slot("solo", at(TUESDAY, 15))
    assert await is_slot("solo", at(TUESDAY, 10))
    (entry,) = await rule_history()
    assert (entry.actor, entry.channel, entry.action, entry.subject) == (
        "admin:Ada",
        "admin",
        "resource.hours",
        "ana",
    )
    assert (entry.before, entry.after) == (edit.before, edit.after)


async def test_invalid_hours_name_the_field_and_change_nothing(clinic: None) -> None:
    with pytest.raises(RuleEditError) as refused:
        await set_weekly_hours("ana", {"tue": [["17:00", "09:00"]]}, actor=ADMIN)
    assert refused.value.field == "weekly_hours.tue[0]"
    assert "before start" in refused.value.message
    assert await is_slot("solo", at(TUESDAY, 15))
    assert await rule_history() == []


async def test_an_edit_that_changes_nothing_writes_nothing(clinic: None) -> None:
    edit = await set_weekly_hours("ana", WEEKDAYS, actor=ADMIN)
    assert not edit.changed
    assert await rule_history() == []


async def test_bookings_outside_new_hours_are_kept_and_listed(clinic: None) -> None:
    service = BookingService(None, clock=Clock())
    booking = await service.book("solo", at(TUESDAY, 15), ALICE)
    edit = await put_override("ana", TUESDAY, [["09:00", "12:00"]], actor=ADMIN, now=NOW)
    (misfit,) = edit.misfits
    assert (misfit.booking_id, misfit.start) == (booking.id, at(TUESDAY, 15))
    assert (await m.Booking.get(id=booking.id)).status == m.BookingStatus.CONFIRMED
    assert not await is_slot("solo", at(TUESDAY, 14))
    await remove_override("ana", TUESDAY, actor=ADMIN)
    assert await is_slot("solo", at(TUESDAY, 13))
    with pytest.raises(NotFound):
        await remove_override("ana", TUESDAY, actor=ADMIN)


async def test_a_block_is_added_and_removed(clinic: None) -> None:
    block = {"start": "2026-12-01T13:00", "end": "2026-12-01T15:00", "reason": "dentist"}
    await add_block("ana", block, actor=Actor("staff", "Ana", "slack"))
    assert not await is_slot("solo", at(TUESDAY, 13))
    await remove_block("ana", block, actor=ADMIN)
    assert await is_slot("solo", at(TUESDAY, 13))
    actions = [entry.action for entry in await rule_history(subject="ana")]
    assert actions == ["resource.block_removed", "resource.block"]


async def test_a_bad_block_names_its_field(clinic: None) -> None:
    with pytest.raises(RuleEditError) as refused:
        await add_block(
            "ana", {"start": "2026-12-01T15:00", "end": "2026-12-01T13:00"}, actor=ADMIN
        )
    assert refused.value.field is not None
    assert refused.value.field.startswith("blocks[0]")


async def test_a_resource_and_a_service_are_added_changed_and_removed(clinic: None) -> None:
    await put_resource(
        {"id": "cleo", "name": "Cleo", "weekly_hours": {"tue": [["10:00", "12:00"]]}},
        actor=ADMIN,
    )
    await put_service(
        {"id": "nails", "name": "Nails", "duration_min": 30, "requires": [["cleo"]]}, actor=ADMIN
    )
    assert await is_slot("nails", at(TUESDAY, 10))
    await put_service(
        {"id": "nails", "name": "Nails", "duration_min": 90, "requires": [["cleo"]]}, actor=ADMIN
    )
    assert not await is_slot("nails", at(TUESDAY, 11))
    with pytest.raises(RuleEditError) as refused:
        await remove_resource("cleo", actor=ADMIN)  # nails requires her
    assert "cleo" in refused.value.message
    await remove_service("nails", actor=ADMIN)
    await remove_resource("cleo", actor=ADMIN)
    business = await load_business()
    assert "cleo" not in [r.id for r in business.resources]
    assert "nails" not in [s.id for s in business.services]
    assert len(await rule_history()) == 5


async def test_a_service_with_bookings_is_switched_off_not_deleted(clinic: None) -> None:
    service = BookingService(None, clock=Clock())
    booking = await service.book("yoga", at(TUESDAY, 10), ALICE)
    await remove_service("yoga", actor=ADMIN)
    business = await load_business()
    (yoga,) = [s for s in business.services if s.id == "yoga"]
    assert not yoga.active
    assert (await m.Booking.get(id=booking.id)).status == m.BookingStatus.CONFIRMED


async def test_unknown_subjects_are_not_found(clinic: None) -> None:
    with pytest.raises(NotFound):
        await set_weekly_hours("nobody", WEEKDAYS, actor=ADMIN)
    with pytest.raises(NotFound):
        await remove_service("nothing", actor=ADMIN)
    with pytest.raises(NotFound):
        await remove_override("ana", date(2026, 12, 2), actor=ADMIN)


async def test_reminders_and_quiet_hours_are_rule_edits_kept_by_export(clinic: None) -> None:
    from core.business import DEFAULT_REMINDERS
    from core.businessfile import dump_business, parse_business
    from core.quiet import QuietHours
    from core.rules import set_quiet_hours, set_reminders

    edit = await set_reminders("solo", [30, 4320], actor=ADMIN)
    assert edit.after is not None
    assert edit.after["reminders"] == [30, 4320]
    edit = await set_quiet_hours("22:00", "07:30", actor=ADMIN)
    assert edit.after is not None
    assert edit.after["quiet_hours"] == {
        "start": "22:00",
        "end": "07:30",
    }
    business = await load_business()
    assert business.reminders_of("solo") == (4320, 30)
    assert business.info.quiet_hours == QuietHours(22 * 60, 7 * 60 + 30)
    assert parse_business(dump_business(business)) == business
    # another rule edit keeps them
    await set_weekly_hours("ana", WEEKDAYS, actor=ADMIN)
    business = await load_business()
    assert business.reminders_of("solo") == (4320, 30)
    assert business.info.quiet_hours == QuietHours(22 * 60, 7 * 60 + 30)
    with pytest.raises(RuleEditError) as refused:
        await set_quiet_hours("22:00", "7:30", actor=ADMIN)
    assert refused.value.problems[0].path == "quiet_hours.end"
    await set_reminders("solo", [1440, 120], actor=ADMIN)
    assert (await load_business()).reminders_of("solo") == DEFAULT_REMINDERS
    actions = [entry.action for entry in await rule_history()]
    assert "business.quiet_hours" in actions
    assert "service.reminders" in actions


def _resource(slug: str, business: Business) -> dict[str, object]:
    document = business_document(business)
    (found,) = [dict(r) for r in document["resources"] if r["id"] == slug]
    return found


async def test_capacity_lowered_below_the_bookings_on_it_is_refused(clinic: None) -> None:
    service = BookingService(None, clock=Clock())
    for _ in range(3):
        await service.book("yoga", at(TUESDAY, 10), ALICE)
    studio = _resource("studio", await load_business())
    with pytest.raises(RuleEditError) as refused:
        await put_resource({**studio, "capacity": 2}, actor=ADMIN)
    assert "studio" in refused.value.message
    assert "capacity 2" in refused.value.message
    (kept,) = [r for r in (await load_business()).resources if r.id == "studio"]
    assert kept.capacity == 5
    assert (await put_resource({**studio, "capacity": 3}, actor=ADMIN)).changed


async def test_an_edit_lists_the_misfits_of_what_it_changed_only(clinic: None) -> None:
    service = BookingService(None, clock=Clock())
    booking = await service.book("solo", at(TUESDAY, 15), ALICE)
    edit = await put_override("ana", TUESDAY, [["09:00", "12:00"]], actor=ADMIN, now=NOW)
    assert [f.booking_id for f in edit.misfits] == [booking.id]
    studio = _resource("studio", await load_business())
    other = await put_resource({**studio, "name": "Big studio"}, actor=ADMIN, now=NOW)
    assert other.changed
    assert other.misfits == ()  # ana's booking misfits since the first edit, not this one
    again = await put_override("ana", TUESDAY, [["09:00", "13:00"]], actor=ADMIN, now=NOW)
    assert [f.booking_id for f in again.misfits] == [booking.id]
