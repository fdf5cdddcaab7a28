"""explain(): every reason a start is not a slot, and never one when it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.engine import (
    Block,
    Busy,
    Resource,
    Service,
    Snapshot,
    explain,
    explain_all,
    find_slots,
)

MON = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 7, hour, minute, tzinfo=UTC)


def clinic(busy: tuple[Busy, ...] = ()) -> Snapshot:
    lee = Resource(
        "dr-lee",
        "Dr. Lee",
        weekly_hours={0: ((9 * 60, 12 * 60), (13 * 60, 17 * 60))},
        blocks=(Block(datetime(2026, 12, 7, 10), datetime(2026, 12, 7, 10, 30), None, "cleaning"),),  # noqa: DTZ001
    )
    hall = Resource("hall", "Hall", "room", capacity=2, weekly_hours={0: ((8 * 60, 18 * 60),)})
    services = {
        "consult": Service(
            "consult",
            "Consultation",
            30,
            (("dr-lee",),),
            buffer_after_min=10,
            slot_step_min=15,
            min_notice_min=120,
            max_advance_days=30,
        ),
        "class": Service("class", "Class", 60, (("hall",),)),
        "off": Service("off", "Retired", 30, (("dr-lee",),), active=False),
    }
    return Snapshot("UTC", {"dr-lee": lee, "hall": hall}, services, busy)


def codes(snapshot: Snapshot, service: str, start: datetime, now: datetime = NOW) -> list[str]:
    return [r.code for r in explain(snapshot, service, start, now).reasons]


def test_a_slot_has_no_reasons_and_names_its_resources() -> None:
    result = explain(clinic(), "consult", at(9), NOW)
    assert result.is_slot
    assert result.slot is not None
    assert result.slot.resources == ("dr-lee",)
    assert result.reasons == ()


def test_outside_hours_names_the_resource_and_the_closed_stretch() -> None:
    result = explain(clinic(), "consult", at(11, 45), NOW)
    (reason,) = result.reasons
    assert reason.code == "closed"
    assert reason.resource_name == "Dr. Lee"
    assert (reason.start, reason.end) == (at(12), at(12, 25))


def test_block_names_its_reason_and_window() -> None:
    (reason,) = explain(clinic(), "consult", at(10), NOW).reasons
    assert reason.code == "blocked"
    assert reason.note == "cleaning"
    assert (reason.start, reason.end) == (at(10), at(10, 30))


def test_overlap_with_only_a_buffer_is_said_so() -> None:
    booking = Busy("dr-lee", at(14), at(14, 40), 1, "booking 42", at(14), at(14, 30))
    # 13:30 + 30 min ends at 14:00; our buffer runs to 14:10 and meets booking 42.
    (reason,) = explain(clinic((booking,)), "consult", at(13, 30), NOW).reasons
    assert reason.code == "busy"
    assert reason.ref == "booking 42"
    assert reason.buffer_only
    (reason,) = explain(clinic((booking,)), "consult", at(14, 15), NOW).reasons
    assert not reason.buffer_only


def test_notice_and_window() -> None:
    now = at(8)
    assert codes(clinic(), "consult", at(9), now) == ["too_soon"]
    too_soon = explain(clinic(), "consult", at(9), now).reasons[0]
    assert too_soon.earliest == at(10)
    later = datetime(2027, 1, 11, 9, tzinfo=UTC)
    assert "too_far" in codes(clinic(), "consult", later, now)


def test_off_grid_and_inactive_service() -> None:
    assert codes(clinic(), "consult", at(9, 5)) == ["off_grid"]
    assert codes(clinic(), "off", at(9)) == ["service_inactive"]


def test_full_class_lists_who_takes_the_seats() -> None:
    taken = tuple(Busy("hall", at(9), at(10), 1, f"booking {i}") for i in (1, 2))
    result = explain(clinic(taken), "class", at(9), NOW)
    assert [r.code for r in result.reasons] == ["full", "full"]
    assert {r.ref for r in result.reasons} == {"booking 1", "booking 2"}
    one_left = explain(clinic(taken[:1]), "class", at(9), NOW)
    assert one_left.slot is not None
    assert one_left.slot.seats_free == 1


def test_distinct_resources_from_overlapping_pools() -> None:
    ann = Resource("ann", "Ann", weekly_hours={0: ((9 * 60, 17 * 60),)})
    bob = Resource("bob", "Bob", weekly_hours={0: ((9 * 60, 12 * 60),)})
    pair = Service("pair", "Two therapists", 60, (("ann", "bob"), ("ann", "bob")))
    snapshot = Snapshot("UTC", {"ann": ann, "bob": bob}, {"pair": pair})
    assert explain(snapshot, "pair", at(9), NOW).is_slot
    assert [r.code for r in explain(snapshot, "pair", at(13), NOW).reasons] == [
        "no_distinct_choice"
    ]
    starts = [s.start for s in find_slots(snapshot, "pair", MON, MON, NOW)]
    assert starts == [at(9), at(10), at(11)]


@pytest.mark.parametrize("hour", range(8, 18))
def test_explain_agrees_with_find_slots(hour: int) -> None:
    booking = Busy("dr-lee", at(14), at(14, 40), 1, "booking 42")
    snapshot = clinic((booking,))
    slots = {s.start for s in find_slots(snapshot, "consult", MON, MON, NOW)}
    for minute in (0, 15, 30, 45):
        start = at(hour, minute)
        assert explain(snapshot, "consult", start, NOW).is_slot == (start in slots)


def test_seats_beyond_capacity_is_a_reason() -> None:
    big = Service("big", "Big group", 60, (("dr-lee",),), seats=3)
    snapshot = clinic()
    snapshot = Snapshot(snapshot.timezone, snapshot.resources, {"big": big})
    assert codes(snapshot, "big", at(9)) == ["too_many_seats"]
    assert find_slots(snapshot, "big", MON, MON, NOW) == []


def test_inactive_resource_is_a_reason() -> None:
    snapshot = clinic()
    lee = snapshot.resources["dr-lee"]
    resources = {"dr-lee": Resource(lee.id, lee.name, weekly_hours=lee.weekly_hours, active=False)}
    snapshot = Snapshot("UTC", resources, snapshot.services)
    assert codes(snapshot, "consult", at(9)) == ["resource_inactive"]


def test_one_plan_for_many_starts_gives_each_start_its_own_answer() -> None:
    """``explain_all`` (one plan over the range) answers as ``explain`` does for each start:
    hours, a block, a lunch break, a buffer, bookings, a full class, notice and the grid."""
    busy = (
        Busy("dr-lee", at(14), at(14, 30), 1, "booking 1"),
        Busy("dr-lee", at(15, 40), at(16, 10), 1, "booking 2"),
        Busy("hall", at(9), at(10), 2, "booking 3"),
        Busy("hall", at(11), at(12), 1, "booking 4"),
    )
    snapshot = clinic(busy)
    for service in ("consult", "class", "off"):
        starts = [at(7) + timedelta(minutes=5 * i) for i in range(12 * 12)]
        for now in (NOW, at(11)):
            together = explain_all(snapshot, service, starts, now)
            assert together == [explain(snapshot, service, s, now) for s in starts], service
        one = [at(10, 15)]
        assert explain_all(snapshot, service, one, NOW) == [explain(snapshot, service, one[0], NOW)]
    assert explain_all(snapshot, "consult", [], NOW) == []
