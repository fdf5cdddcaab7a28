"""The change policy: the rules themselves, and their way through the business file and store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bookings.policy import blackout_at, check_change
from core.bookings.recurring import Recurrence, shift_wall
from core.business import Blackout, ServicePolicy
from core.businessfile import BusinessFileError, dump_business, parse_business
from core.errors import PolicyViolation
from core.store import InvalidBusiness, load_business, load_policy, replace_business
from tests.conftest import TestDatabase
from tests.core.test_booking import CLINIC

START = datetime(2026, 12, 10, 12, tzinfo=UTC)
POLICY = ServicePolicy(
    cancel_notice_min=1440,
    reschedule_notice_min=90,
    max_reschedules=1,
    blackouts=(Blackout(datetime(2026, 12, 24), datetime(2026, 12, 27), "holidays"),),  # noqa: DTZ001
)


def refusal(change: str, now: datetime, *, zone: str = "UTC", count: int = 0) -> str | None:
    try:
        check_change(
            POLICY,
            "cancel" if change == "cancel" else "reschedule",
            start=START,
            now=now,
            zone=zone,
            reschedule_count=count,
        )
    except PolicyViolation as exc:
        return exc.field
    return None


def test_notice_is_counted_back_from_the_start() -> None:
    assert refusal("cancel", datetime(2026, 12, 9, 12, tzinfo=UTC)) is None  # exactly a day
    assert refusal("cancel", datetime(2026, 12, 9, 12, 1, tzinfo=UTC)) == "cancel_notice_min"
    assert refusal("reschedule", datetime(2026, 12, 10, 10, 30, tzinfo=UTC)) is None
    assert refusal("reschedule", datetime(2026, 12, 10, 10, 31, tzinfo=UTC)) == (
        "reschedule_notice_min"
    )
    assert refusal("cancel", START) == "start"


def test_moves_are_counted() -> None:
    early = datetime(2026, 12, 1, tzinfo=UTC)
    assert refusal("reschedule", early, count=0) is None
    assert refusal("reschedule", early, count=1) == "max_reschedules"
    assert refusal("cancel", early, count=5) is None
    with pytest.raises(PolicyViolation, match="cannot be moved"):
        check_change(
            ServicePolicy(max_reschedules=0), "reschedule", start=START, now=early, zone="UTC"
        )


def test_blackouts_are_local_wall_time_and_half_open() -> None:
    # 23:30 UTC on the 23rd is already the 24th in Berlin.
    late = datetime(2026, 12, 23, 23, 30, tzinfo=UTC)
    assert blackout_at(POLICY, late, "UTC") is None
    assert blackout_at(POLICY, late, "Europe/Berlin") == POLICY.blackouts[0]
    assert blackout_at(POLICY, datetime(2026, 12, 26, 23, tzinfo=UTC), "Europe/Berlin") is None
    later = ServicePolicy(blackouts=POLICY.blackouts)
    start = datetime(2027, 1, 10, tzinfo=UTC)
    with pytest.raises(PolicyViolation, match="holidays") as caught:
        check_change(later, "cancel", start=start, now=late, zone="Europe/Berlin")
    assert caught.value.field == "blackouts"


def test_recurrence_repeats_the_local_wall_time() -> None:
    first = datetime(2027, 3, 21, 9, tzinfo=UTC)  # 10:00 in Berlin
    starts = Recurrence.weekly(3).starts(first, "Europe/Berlin")
    assert starts == [
        (first, True),
        (datetime(2027, 3, 28, 8, tzinfo=UTC), True),
        (datetime(2027, 4, 4, 8, tzinfo=UTC), True),
    ]
    gone = shift_wall(datetime(2027, 3, 21, 1, 30, tzinfo=UTC), timedelta(weeks=1), "Europe/Berlin")
    assert gone[1] is False
    assert Recurrence.every(3, 2).interval_days == 3
    assert Recurrence.biweekly(2).interval_days == 14


POLICY_FILE = CLINIC
BLACKOUTS = (
    "    blackouts:\n"
    '      - {start: "2026-12-24T00:00", end: "2026-12-27T00:00", reason: holidays}\n'
)
WITH_BLACKOUTS = "cancel_notice_min: 120\n    blackouts: "


def test_the_policy_fields_round_trip_through_the_file() -> None:
    business = parse_business(POLICY_FILE)
    assert business.policies == {
        "cut": ServicePolicy(
            cancel_notice_min=120,
            reschedule_notice_min=60,
            max_reschedules=2,
            blackouts=(
                Blackout(datetime(2026, 12, 24), datetime(2026, 12, 27), "holidays"),  # noqa: DTZ001
            ),
        )
    }
    text = dump_business(business)
    assert "cancel_notice_min: 120" in text
    assert '- {start: "2026-12-24T00:00", end: "2026-12-27T00:00", reason: holidays}' in text
    assert parse_business(text) == business
    plain = parse_business(POLICY_FILE.replace("    max_reschedules: 2\n", ""))
    assert plain.policies["cut"].max_reschedules is None
    assert "max_reschedules" not in dump_business(plain)


@pytest.mark.parametrize(
    ("edit", "path", "fragment"),
    [
        ("cancel_notice_min: -5", "services[0].cancel_notice_min", "at least 0"),
        ("cancel_notice_min: soon", "services[0].cancel_notice_min", "whole number"),
        (
            "cancel_notice_min: 120\n    max_reschedules: -1",
            "services[0].max_reschedules",
            "at least 0",
        ),
        (
            WITH_BLACKOUTS + '[{start: "2026-12-24T10:00", end: "2026-12-24T09:00"}]',
            "services[0].blackouts[0].end",
            "not after start",
        ),
        (
            WITH_BLACKOUTS + '[{start: "2026-12-24T10:00Z", end: "2026-12-25T09:00"}]',
            "services[0].blackouts[0].start",
            "blackout times are the business's local wall time",
        ),
        (
            WITH_BLACKOUTS + '[{start: "2026-12-24T10:00", until: "2026-12-25"}]',
            "services[0].blackouts[0]",
            "unknown field 'until'",
        ),
    ],
)
def test_bad_policy_fields_name_their_place(edit: str, path: str, fragment: str) -> None:
    assert BLACKOUTS in POLICY_FILE
    text = POLICY_FILE.replace("    max_reschedules: 2\n", "").replace(BLACKOUTS, "")
    with pytest.raises(BusinessFileError) as caught:
        parse_business(text.replace("cancel_notice_min: 120", edit))
    problems = [(p.path, p.message) for p in caught.value.problems]
    assert any(p == path and fragment in message for p, message in problems), problems


async def test_the_policy_is_stored_and_exported(db: TestDatabase) -> None:
    business = parse_business(POLICY_FILE)
    await replace_business(business)
    assert await load_business() == business
    assert await load_policy("cut") == business.policies["cut"]
    assert await load_policy("solo") == ServicePolicy()


async def test_a_policy_for_an_unknown_service_is_refused(db: TestDatabase) -> None:
    business = parse_business(POLICY_FILE)
    bad = type(business)(
        business.info,
        business.resources,
        business.services,
        business.bookings,
        {"nails": ServicePolicy(cancel_notice_min=5)},
    )
    with pytest.raises(InvalidBusiness, match="nails"):
        await replace_business(bad)


def test_the_documented_sample_carries_a_policy() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "business-file.md").read_text()
    sample = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = parse_business(sample).policies["consult"]
    assert (policy.cancel_notice_min, policy.reschedule_notice_min) == (1440, 120)
    assert policy.max_reschedules == 2
    assert policy.blackouts[0].reason == "holidays"
