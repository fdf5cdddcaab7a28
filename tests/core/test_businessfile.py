"""The business file: the golden examples, the round trip, and one bad input per rule."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.business import BookingRecord, Business, BusinessInfo
from core.businessfile import (
    BusinessFileError,
    Problem,
    dump_business,
    load_business_file,
    parse_business,
)
from core.engine.snapshot import Block, DayHours, Resource, Service

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
SPEC_EXAMPLES = REPO.parent / "shared" / "spec" / "examples"
DEMO = REPO / "slotwise" / "demo" / "demo.yaml"
GOLDEN_FILES = sorted(GOLDEN.glob("*.json"))


def golden_text(path: Path) -> str:
    return json.dumps(json.loads(path.read_text(encoding="utf-8"))["business"])


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(BusinessFileError) as caught:
        parse_business(text)
    return caught.value.problems


# --- the golden examples and the demo -----------------------------------------------------


def test_all_six_golden_examples_are_in_the_repo() -> None:
    assert len(GOLDEN_FILES) == 6


@pytest.mark.skipif(not SPEC_EXAMPLES.is_dir(), reason="no shared/spec beside the repository")
def test_golden_copies_match_the_spec() -> None:
    spec = {path.name: path.read_text(encoding="utf-8") for path in SPEC_EXAMPLES.glob("*.json")}
    ours = {path.name: path.read_text(encoding="utf-8") for path in GOLDEN_FILES}
    assert ours == spec


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda path: path.stem)
def test_golden_example_parses(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))["business"]
    business = parse_business(golden_text(path))
    assert business.info == BusinessInfo(
        name=raw["business"]["name"], timezone=raw["business"]["timezone"]
    )
    assert [r.id for r in business.resources] == [r["id"] for r in raw["resources"]]
    assert [s.id for s in business.services] == [s["id"] for s in raw["services"]]
    assert len(business.bookings) == len(raw.get("bookings", []))


@pytest.mark.parametrize("path", [*GOLDEN_FILES, DEMO], ids=lambda path: path.stem)
def test_round_trip(path: Path) -> None:
    text = golden_text(path) if path.suffix == ".json" else path.read_text(encoding="utf-8")
    business = parse_business(text)
    written = dump_business(business)
    assert parse_business(written) == business
    assert dump_business(parse_business(written)) == written


def test_golden_dst_example_converts_to_the_engine_types() -> None:
    business = parse_business(golden_text(GOLDEN / "05-dst-overrides-recurring.json"))
    (desk,) = business.resources
    assert desk == Resource(
        id="desk",
        name="Desk",
        kind="staff",
        weekly_hours={6: ((30, 240),), 0: ((540, 720),)},
        date_overrides={date(2026, 10, 26): ((600, 660),)},
        blocks=(
            Block(
                start=datetime(2026, 3, 2, 9, 30),  # noqa: DTZ001 - wall time
                end=datetime(2026, 3, 2, 10, 0),  # noqa: DTZ001 - wall time
                rrule="FREQ=WEEKLY;BYDAY=MO",
            ),
        ),
    )
    assert desk.timezone is None
    assert business.services == (
        Service(id="call", name="Call", duration_min=30, requires=(("desk",),), slot_step_min=30),
    )


def test_golden_bookings_are_utc_and_keep_seats_unset() -> None:
    business = parse_business(golden_text(GOLDEN / "03-staff-and-room.json"))
    assert business.bookings == (
        BookingRecord(
            service="massage",
            start=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
            resources=("tom", "room-1"),
        ),
    )
    assert business.bookings[0].start.utcoffset() == timedelta(0)
    assert business.bookings[0].seats is None
    assert business.services[0].slot_step_min == 30
    assert parse_business(golden_text(GOLDEN / "01-hours-step-notice.json")).services[
        0
    ].min_notice_min == (120)


def test_demo_business() -> None:
    business = load_business_file(DEMO)
    assert business.info == BusinessInfo(
        name="Slotwise Demo", timezone="Europe/Berlin", colour="#0f766e"
    )
    by_id = {resource.id: resource for resource in business.resources}
    services = {service.id: service for service in business.services}
    doctors = {"dr-lee", "dr-kim", "dr-novak"}
    assert doctors <= by_id.keys()
    assert {"room-1", "room-2", "ana", "ben", "hall", "mia"} <= by_id.keys()
    assert all(len(by_id[d].weekly_hours[1]) == 2 for d in doctors if 1 in by_id[d].weekly_hours)
    assert any(block.rrule for block in by_id["dr-lee"].blocks)
    assert by_id["hall"].capacity == 12
    assert services["consult"].requires == (
        ("dr-lee", "dr-kim", "dr-novak"),
        ("room-1", "room-2"),
    )
    assert (services["consult"].duration_min, services["consult"].buffer_after_min) == (30, 10)
    assert (services["checkup"].duration_min, services["checkup"].min_notice_min) == (20, 120)
    assert services["haircut"].duration_min == 45
    assert services["colour"].duration_min == 90
    assert services["yoga"].requires == (("mia",), ("hall",))
    assert 5 in by_id["ana"].weekly_hours  # the salon opens on Saturdays


def test_demo_names_every_service_and_staff_member_in_five_languages() -> None:
    business = load_business_file(DEMO)
    staff = [r.id for r in business.resources if r.kind == "staff"]
    assert set(business.service_aliases) == {s.id for s in business.services}
    assert set(business.resource_aliases) == set(staff)
    assert {"corte de pelo", "Haarschnitt", "coupe", "стрижка"} <= set(
        business.service_aliases["haircut"]
    )
    assert {"consulta", "Beratung", "Sprechstunde", "консультация"} <= set(
        business.service_aliases["consult"]
    )
    assert {"Dr Lee", "Доктор Ли"} <= set(business.resource_aliases["dr-lee"])
    assert {"Анна", "Ана"} <= set(business.resource_aliases["ana"])


# --- the format as the spec writes it -----------------------------------------------------

SPEC_SAMPLE = """
business:
  name: Demo Clinic
  timezone: Europe/Berlin        # IANA name; the slot grid lives here
  locale: en                     # default language of replies
resources:
  - id: dr-lee                   # slug, unique in the file
    name: Dr. Lee
    kind: staff                  # staff | room | equipment
    capacity: 1                  # seats usable at the same instant (default 1)
    timezone: Europe/Berlin      # optional; default: the business timezone
    weekly_hours:                # local wall time of this resource; missing day = closed
      mon: [["09:00", "12:00"], ["13:00", "17:00"]]
      tue: [["09:00", "17:00"]]
    date_overrides:              # replaces weekly_hours on that local date
      "2026-12-24": []           # closed
      "2026-12-27": [["10:00", "14:00"]]
    blocks:                      # time the resource cannot be booked
      - {start: "2026-12-01T10:00", end: "2026-12-01T11:30"}
      - {start: "2026-11-02T12:30", duration_min: 30, rrule: "FREQ=WEEKLY;BYDAY=MO,WE"}
  - {id: dr-kim, name: Dr. Kim, kind: staff, weekly_hours: {tue: [["09:00", "17:00"]]}}
  - {id: room-1, name: Room 1, kind: room, weekly_hours: {mon: [["08:00", "18:00"]]}}
  - {id: room-2, name: Room 2, kind: room, capacity: 2, weekly_hours: {mon: [["08:00", "18:00"]]}}
services:
  - id: consult
    name: Consultation
    duration_min: 30
    buffer_before_min: 0         # default 0
    buffer_after_min: 10         # default 0
    slot_step_min: 15            # default: duration_min
    min_notice_min: 120          # default 0
    max_advance_days: 60         # default 60
    seats: 1                     # seats one booking takes on each resource (default 1)
    requires:                    # one resource from each pool; pools may overlap
      - [dr-lee, dr-kim]
      - [room-1, room-2]
bookings:                        # optional: existing bookings
  - {service: consult, start: "2026-12-01T08:00:00Z", resources: [dr-lee, room-1]}
"""


def test_the_spec_sample_parses() -> None:
    business = parse_business(SPEC_SAMPLE)
    lee = business.resources[0]
    assert lee.timezone == "Europe/Berlin"
    assert lee.weekly_hours == {0: ((540, 720), (780, 1020)), 1: ((540, 1020),)}
    assert lee.date_overrides == {date(2026, 12, 24): (), date(2026, 12, 27): ((600, 840),)}
    assert lee.blocks == (
        Block(datetime(2026, 12, 1, 10), datetime(2026, 12, 1, 11, 30)),  # noqa: DTZ001
        Block(
            datetime(2026, 11, 2, 12, 30),  # noqa: DTZ001
            datetime(2026, 11, 2, 13, 0),  # noqa: DTZ001
            rrule="FREQ=WEEKLY;BYDAY=MO,WE",
        ),
    )
    assert business.resources[3].capacity == 2
    consult = business.services[0]
    assert (consult.buffer_after_min, consult.slot_step_min, consult.min_notice_min) == (
        10,
        15,
        120,
    )
    assert business.bookings[0].resources == ("dr-lee", "room-1")
    assert parse_business(dump_business(business)) == business


def test_dump_writes_the_documented_format() -> None:
    written = dump_business(parse_business(SPEC_SAMPLE))
    assert written.index("business:") < written.index("resources:") < written.index("services:")
    assert written.index("services:") < written.index("bookings:")
    assert 'mon: [["09:00", "12:00"], ["13:00", "17:00"]]' in written
    assert '"2026-12-24": []' in written
    assert '{start: "2026-12-01T10:00", end: "2026-12-01T11:30"}' in written
    assert (
        '{start: "2026-11-02T12:30", duration_min: 30, rrule: "FREQ=WEEKLY;BYDAY=MO,WE"}' in written
    )
    assert '{service: consult, start: "2026-12-01T08:00:00Z", resources: [dr-lee, room-1]}' in (
        written
    )
    assert "      - [dr-lee, dr-kim]" in written
    # defaults are left out, but id, name and kind stay
    assert "capacity: 1" not in written
    assert "locale" not in written
    assert "buffer_before_min" not in written
    assert "max_advance_days" not in written
    assert "kind: staff" in written
    assert "slot_step_min: 15" in written


def test_dump_writes_24_00_reasons_and_non_defaults() -> None:
    business = Business(
        info=BusinessInfo(name="Night", timezone="UTC", locale="de"),
        resources=(
            Resource(
                id="x",
                name="X",
                kind="equipment",
                timezone="Asia/Tokyo",
                active=False,
                weekly_hours={4: ((1200, 1440),)},
                blocks=(
                    Block(
                        datetime(2026, 1, 1, 8),  # noqa: DTZ001
                        datetime(2026, 1, 1, 9),  # noqa: DTZ001
                        reason="Service",
                    ),
                ),
            ),
        ),
        services=(Service(id="s", name="S", duration_min=10, requires=(("x",),), active=False),),
        bookings=(
            BookingRecord(
                service="s",
                start=datetime(2026, 1, 2, 9, tzinfo=timezone(timedelta(hours=2))),
                resources=("x",),
                seats=1,
            ),
        ),
    )
    written = dump_business(business)
    assert 'fri: [["20:00", "24:00"]]' in written
    assert "reason: Service" in written
    assert "locale: de" in written
    assert "active: false" in written
    assert '"2026-01-02T07:00:00Z"' in written
    assert "seats: 1" in written
    assert parse_business(written) == business


def test_aliases_and_colour_round_trip() -> None:
    text = """
business: {name: Salon, timezone: Europe/Berlin, colour: "#0F7"}
resources:
  - {id: ana, name: Ana, aliases: [Anna, Анна, "Ana, the stylist"]}
  - {id: cut, name: Chair, kind: equipment, aliases: [chair]}
services:
  - id: cut
    name: Haircut
    aliases: [corte de pelo, Haarschnitt, coupe, стрижка, "yes", "12:00"]
    duration_min: 45
    requires: [[ana], [cut]]
"""
    business = parse_business(text)
    assert business.info.colour == "#00ff77"
    # A service and a resource may share an id; each keeps its own aliases.
    assert business.service_aliases == {
        "cut": ("corte de pelo", "Haarschnitt", "coupe", "стрижка", "yes", "12:00")
    }
    assert business.resource_aliases == {
        "ana": ("Anna", "Анна", "Ana, the stylist"),
        "cut": ("chair",),
    }
    written = dump_business(business)
    assert 'colour: "#00ff77"' in written
    assert "    name: Haircut\n    aliases: [corte de pelo, Haarschnitt, coupe, стрижка," in written
    assert parse_business(written) == business
    assert dump_business(parse_business(written)) == written


@pytest.mark.parametrize(
    ("written", "stored"),
    [("#0f766e", "#0f766e"), ("#0F766E", "#0f766e"), ("#AbC", "#aabbcc"), ("#000", "#000000")],
)
def test_colour_is_kept_as_lowercase_rrggbb(written: str, stored: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["business"]["colour"] = written
    assert parse_business(json.dumps(doc)).info.colour == stored


def test_no_aliases_and_no_colour_are_the_defaults() -> None:
    doc = copy.deepcopy(BASE)
    doc["resources"][0]["aliases"] = []
    business = parse_business(json.dumps(doc))
    assert business.info.colour is None
    assert business.service_aliases == business.resource_aliases == {}
    written = dump_business(business)
    assert "aliases" not in written
    assert "colour" not in written


def test_an_unquoted_colour_is_a_yaml_comment_and_says_so() -> None:
    text = "business:\n  name: X\n  timezone: UTC\n  colour: #0f766e\nresources: []\nservices: []\n"
    assert problems_of(text) == [
        Problem(
            "business.colour",
            'expected a colour like "#0f766e"; write it in quotes, as # starts a comment',
        )
    ]


def test_aliases_at_their_limits_are_fine() -> None:
    doc = copy.deepcopy(BASE)
    doc["services"][0]["aliases"] = ["x" * 100, *(f"name {i}" for i in range(19))]
    assert len(parse_business(json.dumps(doc)).service_aliases["consult"]) == 20


# --- YAML as people write it --------------------------------------------------------------

MINIMAL = """
business: {name: Clinic, timezone: Europe/Berlin}
resources:
  - id: dr-lee
    name: Dr. Lee
    kind: staff
    weekly_hours:
      mon: [[09:00, 13:00], [14:00, 24:00]]
    date_overrides:
      2026-12-24: []
    blocks:
      - {start: 2026-12-01T10:00:00, end: 2026-12-01T11:00:00}
services:
  - {id: consult, name: Consultation, duration_min: 30, requires: [[dr-lee]]}
bookings:
  - {service: consult, start: 2026-12-01T09:00:00+01:00, resources: [dr-lee]}
"""


def test_unquoted_times_dates_and_moments_read_as_written() -> None:
    business = parse_business(MINIMAL)
    lee = business.resources[0]
    assert lee.weekly_hours == {0: ((540, 780), (840, 1440))}
    assert lee.date_overrides == {date(2026, 12, 24): ()}
    assert lee.blocks[0].start == datetime(2026, 12, 1, 10)  # noqa: DTZ001
    assert business.bookings[0].start == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert business.info.locale == "en"


def test_touching_intervals_are_fine() -> None:
    business = parse_business(MINIMAL.replace("[14:00, 24:00]", "[13:00, 24:00]"))
    assert business.resources[0].weekly_hours[0] == ((540, 780), (780, 1440))


def test_yaml_anchors_and_merge_keys_share_hours() -> None:
    text = """
business: {name: X, timezone: UTC}
resources:
  - &base
    id: a
    name: A
    weekly_hours: &week
      mon: [[09:00, 17:00]]
  - <<: *base
    id: b
  - {id: c, name: C, weekly_hours: *week}
services: []
"""
    business = parse_business(text)
    assert [r.id for r in business.resources] == ["a", "b", "c"]
    assert {r.name for r in business.resources} == {"A", "C"}
    assert all(r.weekly_hours == {0: ((540, 1020),)} for r in business.resources)


def test_defaults() -> None:
    business = parse_business(MINIMAL)
    resource, service = business.resources[0], business.services[0]
    assert (resource.capacity, resource.timezone, resource.active) == (1, None, True)
    assert service == Service(
        id="consult", name="Consultation", duration_min=30, requires=(("dr-lee",),)
    )
    assert business.bookings[0].seats is None


# --- one bad input per rule ---------------------------------------------------------------

BASE: dict[str, Any] = {
    "business": {"name": "Clinic", "timezone": "Europe/Berlin"},
    "resources": [
        {
            "id": "dr-lee",
            "name": "Dr. Lee",
            "kind": "staff",
            "weekly_hours": {"mon": [["09:00", "12:00"]]},
        },
        {"id": "room-1", "name": "Room 1", "kind": "room", "capacity": 2},
        {"id": "room-2", "name": "Room 2", "kind": "room"},
    ],
    "services": [
        {
            "id": "consult",
            "name": "Consultation",
            "duration_min": 30,
            "requires": [["dr-lee"], ["room-1", "room-2"]],
        },
    ],
    "bookings": [
        {"service": "consult", "start": "2026-12-01T08:00:00Z", "resources": ["dr-lee", "room-1"]}
    ],
}

Edit = Callable[[dict[str, Any]], object]


def at(*keys: str | int) -> Callable[[Any], Edit]:
    """An edit of BASE that sets (or, given DELETE, removes) the value at ``keys``."""

    def with_value(value: Any) -> Edit:
        def edit(doc: dict[str, Any]) -> None:
            target: Any = doc
            for key in keys[:-1]:
                target = target[key]
            if value is DELETE:
                del target[keys[-1]]
            else:
                target[keys[-1]] = value

        return edit

    return with_value


DELETE = object()
lee, room1, consult, booking = (
    ("resources", 0),
    ("resources", 1),
    ("services", 0),
    ("bookings", 0),
)
mon = (*lee, "weekly_hours", "mon")


def block(**fields: Any) -> Edit:
    return at(*lee, "blocks")([fields])


def add_resource(**fields: Any) -> Edit:
    return lambda doc: doc["resources"].append({"name": "X", **fields})


def add_service(**fields: Any) -> Edit:
    return lambda doc: doc["services"].append({"name": "X", "duration_min": 10, **fields})


BAD: list[tuple[str, Edit, list[tuple[str, str]]]] = [
    # business
    ("business missing", at("business")(DELETE), [("", "missing required field 'business'")]),
    ("resources missing", at("resources")(DELETE), [("", "missing required field 'resources'")]),
    ("top-level unknown field", at("extras")(1), [("", "unknown field 'extras'")]),
    ("name empty", at("business", "name")(" "), [("business.name", "must not be empty")]),
    (
        "timezone unknown",
        at("business", "timezone")("Europe/Berln"),
        [("business.timezone", "unknown timezone 'Europe/Berln'; did you mean 'Europe/Berlin'?")],
    ),
    (
        "timezone wrong case",
        at("business", "timezone")("europe/berlin"),
        [("business.timezone", "did you mean 'Europe/Berlin'?")],
    ),
    (
        "locale bad",
        at("business", "locale")("English language"),
        [("business.locale", "is not a language code")],
    ),
    (
        "colour a word",
        at("business", "colour")("teal"),
        [("business.colour", '\'teal\' is not a colour; write it as "#rrggbb", e.g. "#0f766e"')],
    ),
    (
        "colour with five digits",
        at("business", "colour")("#0f766"),
        [("business.colour", "'#0f766' is not a colour")],
    ),
    (
        "colour without #",
        at("business", "colour")("0f766e"),
        [("business.colour", "'0f766e' is not a colour")],
    ),
    (
        "colour not hexadecimal",
        at("business", "colour")("#0g766e"),
        [("business.colour", "'#0g766e' is not a colour")],
    ),
    (
        "colour a number",
        at("business", "colour")(123),
        [("business.colour", 'expected a colour like "#0f766e" in quotes, got 123')],
    ),
    (
        # What YAML makes of `colour: #0f766e`: the rest of the line is a comment.
        "colour left empty by an unquoted #",
        at("business", "colour")(None),
        [("business.colour", "write it in quotes, as # starts a comment")],
    ),
    (
        "business field misspelt",
        at("business", "timezon")("UTC"),
        [("business", "unknown field 'timezon'; did you mean 'timezone'?")],
    ),
    # resources
    (
        "id not a slug",
        add_resource(id="Room 3", kind="room"),
        [("resources[3].id", "'Room 3' is not a valid id: use lowercase letters, digits")],
    ),
    (
        "id duplicate",
        add_resource(id="room-1", kind="room"),
        [("resources[3].id", "duplicate id 'room-1' (also resources[1])")],
    ),
    (
        "id missing",
        at(*room1, "id")(DELETE),
        [("resources[1]", "missing required field 'id'")],
    ),
    (
        "kind unknown",
        at(*room1, "kind")("rooom"),
        [("resources[1].kind", "unknown kind 'rooom'; did you mean 'room'?")],
    ),
    ("capacity zero", at(*room1, "capacity")(0), [("resources[1].capacity", "at least 1")]),
    (
        "capacity text",
        at(*room1, "capacity")("2"),
        [("resources[1].capacity", "expected a whole number, got the text '2'")],
    ),
    (
        "capacity float",
        at(*room1, "capacity")(2.5),
        [("resources[1].capacity", "expected a whole number, got 2.5")],
    ),
    (
        "capacity boolean",
        at(*room1, "capacity")(True),
        [("resources[1].capacity", "expected a whole number, got true")],
    ),
    (
        "resource timezone unknown",
        at(*room1, "timezone")("Mars/Olympus"),
        [("resources[1].timezone", "unknown timezone 'Mars/Olympus'")],
    ),
    (
        "active not a boolean",
        at(*room1, "active")("yes"),
        [("resources[1].active", "expected true or false, got the text 'yes'")],
    ),
    (
        "resource aliases not a list",
        at(*lee, "aliases")("Dr Lee"),
        [("resources[0].aliases", "expected a list, got the text 'Dr Lee'")],
    ),
    (
        "resource alias empty",
        at(*lee, "aliases")(["Dr Lee", " "]),
        [("resources[0].aliases[1]", "must not be empty")],
    ),
    (
        "resource alias not text",
        at(*lee, "aliases")(["Dr Lee", 7]),
        [("resources[0].aliases[1]", "expected text, got 7")],
    ),
    (
        "resource alias too long",
        at(*lee, "aliases")(["x" * 101]),
        [("resources[0].aliases[0]", "is longer than 100 characters")],
    ),
    (
        "resource alias repeated in another case",
        at(*lee, "aliases")(["Dr Lee", "Доктор Ли", "DR LEE"]),
        [("resources[0].aliases[2]", "'DR LEE' is listed twice (also aliases[0])")],
    ),
    (
        "resource alias repeated in Cyrillic capitals",
        at(*lee, "aliases")(["доктор ли", "ДОКТОР ЛИ"]),
        [("resources[0].aliases[1]", "is listed twice (also aliases[0])")],
    ),
    (
        "resource field unknown",
        at(*room1, "capacityy")(2),
        [("resources[1]", "unknown field 'capacityy'; did you mean 'capacity'?")],
    ),
    (
        "weekday unknown",
        at(*lee, "weekly_hours", "monday")([]),
        [("resources[0].weekly_hours", "unknown weekday 'monday'; did you mean 'mon'?")],
    ),
    (
        "end before start",
        at(*mon)([["09:00", "08:00"]]),
        [("resources[0].weekly_hours.mon[0]", "end 08:00 is before start 09:00")],
    ),
    (
        "end equals start",
        at(*mon)([["09:00", "09:00"]]),
        [("resources[0].weekly_hours.mon[0]", "end 09:00 is the same as start")],
    ),
    (
        "time not HH:MM",
        at(*mon)([["9:00", "12:00"]]),
        [("resources[0].weekly_hours.mon[0]", "start '9:00' is not a time \"HH:MM\"")],
    ),
    (
        "time out of range",
        at(*mon)([["09:00", "12:60"]]),
        [("resources[0].weekly_hours.mon[0]", "end '12:60' is not a time of day")],
    ),
    (
        "time a number",
        at(*mon)([[900, "12:00"]]),
        [("resources[0].weekly_hours.mon[0]", 'start must be a time "HH:MM" in quotes')],
    ),
    (
        "24:00 as a start",
        at(*mon)([["24:00", "24:00"]]),
        [("resources[0].weekly_hours.mon[0]", "24:00 is allowed only as an end")],
    ),
    (
        "interval not a pair",
        at(*mon)([["09:00", "10:00", "11:00"]]),
        [("resources[0].weekly_hours.mon[0]", "expected [start, end]")],
    ),
    (
        "day not a list",
        at(*mon)("09:00-12:00"),
        [("resources[0].weekly_hours.mon", "expected a list")],
    ),
    (
        "intervals overlap",
        at(*mon)([["13:00", "17:00"], ["09:00", "12:00"], ["11:00", "14:00"]]),
        [("resources[0].weekly_hours.mon[2]", "11:00-14:00 overlaps 09:00-12:00 at [1]")],
    ),
    (
        "override key not a date",
        at(*lee, "date_overrides")({"2026-02-30": []}),
        [("resources[0].date_overrides.2026-02-30", "'2026-02-30' is not a date YYYY-MM-DD")],
    ),
    (
        "override interval bad",
        at(*lee, "date_overrides")({"2026-12-24": [["10:00", "09:00"]]}),
        [("resources[0].date_overrides.2026-12-24[0]", "end 09:00 is before start 10:00")],
    ),
    # blocks
    (
        "block start with offset",
        block(start="2026-12-01T10:00+01:00", end="2026-12-01T11:00"),
        [("resources[0].blocks[0].start", "has a UTC offset")],
    ),
    (
        "block start in UTC",
        block(start="2026-12-01T10:00Z", duration_min=30),
        [("resources[0].blocks[0].start", "has a UTC offset")],
    ),
    (
        "block start not a moment",
        block(start="tomorrow", end="2026-12-01T11:00"),
        [("resources[0].blocks[0].start", "is not a local date and time")],
    ),
    (
        "block end before start",
        block(start="2026-12-01T10:00", end="2026-12-01T09:30"),
        [("resources[0].blocks[0].end", "end 2026-12-01T09:30 is not after start")],
    ),
    (
        "block without end",
        block(start="2026-12-01T10:00"),
        [("resources[0].blocks[0]", "missing required field 'end' (or 'duration_min')")],
    ),
    (
        "block with end and duration",
        block(start="2026-12-01T10:00", end="2026-12-01T11:00", duration_min=60),
        [("resources[0].blocks[0].duration_min", "give end or duration_min, not both")],
    ),
    (
        "block duration zero",
        block(start="2026-12-01T10:00", duration_min=0),
        [("resources[0].blocks[0].duration_min", "at least 1")],
    ),
    (
        "recurring block with end",
        block(start="2026-12-01T10:00", end="2026-12-01T11:00", rrule="FREQ=DAILY"),
        [("resources[0].blocks[0].end", "a recurring block takes duration_min, not end")],
    ),
    (
        "recurring block without duration",
        block(start="2026-12-01T10:00", rrule="FREQ=DAILY"),
        [("resources[0].blocks[0]", "missing required field 'duration_min'")],
    ),
    (
        "rrule invalid",
        block(start="2026-12-01T10:00", duration_min=30, rrule="FREQ=SOMETIMES"),
        [("resources[0].blocks[0].rrule", "is not a valid RRULE")],
    ),
    (
        "rrule UNTIL in UTC",
        block(start="2026-12-01T10:00", duration_min=30, rrule="FREQ=DAILY;UNTIL=20261231T000000Z"),
        [("resources[0].blocks[0].rrule", "use a naive UNTIL like 20261231T000000")],
    ),
    (
        "rrule with DTSTART",
        block(
            start="2026-12-01T10:00",
            duration_min=30,
            rrule="DTSTART:20261201T100000\nRRULE:FREQ=DAILY",
        ),
        [("resources[0].blocks[0].rrule", "leave DTSTART out")],
    ),
    (
        "rrule set",
        block(
            start="2026-12-01T10:00",
            duration_min=30,
            rrule="RRULE:FREQ=DAILY\nEXDATE:20261202T100000",
        ),
        [("resources[0].blocks[0].rrule", "give a single RRULE")],
    ),
    (
        "block reason not text",
        block(start="2026-12-01T10:00", duration_min=30, reason=5),
        [("resources[0].blocks[0].reason", "expected text, got 5")],
    ),
    (
        "block field unknown",
        block(start="2026-12-01T10:00", duration=30),
        [
            ("resources[0].blocks[0]", "unknown field 'duration'; did you mean 'duration_min'?"),
        ],
    ),
    (
        "rrule repeating every minute",
        block(start="2026-12-01T10:00", duration_min=1, rrule="FREQ=MINUTELY"),
        [("resources[0].blocks[0].rrule", "FREQ=MINUTELY repeats too often for a block")],
    ),
    # services
    (
        "service window longer than a day",
        add_service(id="retreat", duration_min=1440, buffer_after_min=30, requires=[["dr-lee"]]),
        [("services[1].duration_min", "duration_min plus buffers is 1470 minutes; at most 1440")],
    ),
    (
        "service id duplicate",
        add_service(id="consult", requires=[["dr-lee"]]),
        [("services[1].id", "duplicate id 'consult' (also services[0])")],
    ),
    (
        "service id not a slug",
        add_service(id="Consult", requires=[["dr-lee"]]),
        [("services[1].id", "'Consult' is not a valid id")],
    ),
    (
        "duration zero",
        at(*consult, "duration_min")(0),
        [("services[0].duration_min", "at least 1")],
    ),
    (
        "duration text",
        at(*consult, "duration_min")("30"),
        [("services[0].duration_min", "expected a whole number, got the text '30'")],
    ),
    (
        "duration float",
        at(*consult, "duration_min")(30.5),
        [("services[0].duration_min", "expected a whole number, got 30.5")],
    ),
    (
        "duration missing",
        at(*consult, "duration_min")(DELETE),
        [("services[0]", "missing required field 'duration_min'")],
    ),
    (
        "buffer negative",
        at(*consult, "buffer_after_min")(-5),
        [("services[0].buffer_after_min", "must be at least 0, got -5")],
    ),
    (
        "buffer before a boolean",
        at(*consult, "buffer_before_min")(False),
        [("services[0].buffer_before_min", "expected a whole number, got false")],
    ),
    ("step zero", at(*consult, "slot_step_min")(0), [("services[0].slot_step_min", "at least 1")]),
    (
        "notice negative",
        at(*consult, "min_notice_min")(-1),
        [("services[0].min_notice_min", "at least 0")],
    ),
    (
        "advance zero",
        at(*consult, "max_advance_days")(0),
        [("services[0].max_advance_days", "at least 1")],
    ),
    ("seats zero", at(*consult, "seats")(0), [("services[0].seats", "at least 1")]),
    (
        "service active not a boolean",
        at(*consult, "active")(1),
        [("services[0].active", "expected true or false, got 1")],
    ),
    (
        "service aliases too many",
        at(*consult, "aliases")([f"name {i}" for i in range(21)]),
        [("services[0].aliases", "at most 20 aliases, got 21")],
    ),
    (
        "service alias repeated after case folding",
        at(*consult, "aliases")(["Straße", "consulta", "STRASSE"]),
        [("services[0].aliases[2]", "'STRASSE' is listed twice (also aliases[0])")],
    ),
    (
        "service alias empty",
        at(*consult, "aliases")([""]),
        [("services[0].aliases[0]", "must not be empty")],
    ),
    (
        "service aliases misspelt",
        at(*consult, "alias")(["consulta"]),
        [("services[0]", "unknown field 'alias'; did you mean 'aliases'?")],
    ),
    (
        "requires empty",
        add_service(id="s", requires=[]),
        [("services[1].requires", "must not be empty")],
    ),
    (
        "pool empty",
        add_service(id="s", requires=[["dr-lee"], []]),
        [("services[1].requires[1]", "must not be empty")],
    ),
    (
        "pool not a list",
        add_service(id="s", requires=["dr-lee"]),
        [("services[1].requires[0]", "expected a list, got the text 'dr-lee'")],
    ),
    (
        "requires unknown resource",
        add_service(id="s", requires=[["dr-le"]]),
        [("services[1].requires[0][0]", "unknown resource 'dr-le'; did you mean 'dr-lee'?")],
    ),
    (
        "pool repeats a resource",
        add_service(id="s", requires=[["room-1", "room-2", "room-1"]]),
        [("services[1].requires[0][2]", "'room-1' is listed twice in this pool")],
    ),
    (
        "seats above every capacity of a pool",
        add_service(id="s", seats=3, requires=[["room-1", "room-2"]]),
        [("services[1].seats", "3 seats can never be booked")],
    ),
    (
        "pools cannot be filled by different resources",
        add_service(id="s", requires=[["dr-lee"], ["dr-lee"]]),
        [("services[1].requires", "can never be booked")],
    ),
    # bookings
    (
        "booking service unknown",
        at(*booking, "service")("consul"),
        [("bookings[0].service", "unknown service 'consul'; did you mean 'consult'?")],
    ),
    (
        "booking start naive",
        at(*booking, "start")("2026-12-01T08:00"),
        [("bookings[0].start", "has no UTC offset; add Z (UTC) or an offset like +01:00")],
    ),
    (
        "booking start garbage",
        at(*booking, "start")("next monday"),
        [("bookings[0].start", "is not a date and time")],
    ),
    (
        "booking start invalid date",
        at(*booking, "start")("2026-02-30T08:00:00Z"),
        [("bookings[0].start", "is not a valid date and time")],
    ),
    (
        "booking takes one resource per pool",
        at(*booking, "resources")(["dr-lee"]),
        [("bookings[0].resources", "takes 2 resource(s), one from each pool")],
    ),
    (
        "booking resource from the wrong pool",
        at(*booking, "resources")(["room-2", "room-1"]),
        [("bookings[0].resources[0]", "'room-2' is not in requires[0] of service 'consult'")],
    ),
    (
        "booking resource unknown",
        at(*booking, "resources")(["dr-lee", "room-3"]),
        [("bookings[0].resources[1]", "unknown resource 'room-3'")],
    ),
    (
        "booking seats zero",
        at(*booking, "seats")(0),
        [("bookings[0].seats", "at least 1")],
    ),
    (
        "booking field unknown",
        at(*booking, "resource")(["dr-lee"]),
        [("bookings[0]", "unknown field 'resource'; did you mean 'resources'?")],
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_names_its_place(edit: Edit, expected: list[tuple[str, str]]) -> None:
    doc = copy.deepcopy(BASE)
    edit(doc)
    problems = problems_of(json.dumps(doc))
    assert [p.path for p in problems] == [path for path, _ in expected], problems
    for problem, (_, fragment) in zip(problems, expected, strict=True):
        assert fragment in problem.message, problem


def test_base_is_valid() -> None:
    assert parse_business(json.dumps(BASE)).bookings[0].resources == ("dr-lee", "room-1")


def test_a_booking_takes_distinct_resources() -> None:
    doc = copy.deepcopy(BASE)
    doc["services"][0]["requires"] = [["room-1", "room-2"], ["room-1", "room-2"]]
    doc["bookings"][0]["resources"] = ["room-1", "room-1"]
    (problem,) = problems_of(json.dumps(doc))
    assert problem == Problem(
        "bookings[0].resources[1]",
        "'room-1' is already taken for requires[0]; each pool needs a different resource",
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("just text", "the top level must be a mapping"),
        ("business: {name: x\nresources: []\n", "YAML error at line 2"),
        ("business:\n  name: \x07\n", "YAML error at line 2: character #x0007 is not allowed"),
        ("business:\n  name: a\n  name: b\n", "found the key 'name' twice"),
        ("a: &x [*x]\n", "nests too deeply"),
        ("a: !!python/object:os.system {}\n", "YAML error at line 1"),
    ],
)
def test_unreadable_files(text: str, fragment: str) -> None:
    (problem,) = problems_of(text)
    assert problem.path == ""
    assert fragment in problem.message


def test_yaml_error_gives_the_line() -> None:
    text = "business:\n  name: Clinic\n  timezone: [Europe/Berlin\nresources: []\n"
    (problem,) = problems_of(text)
    assert "line 4" in problem.message


def test_all_problems_are_collected_at_once() -> None:
    doc = copy.deepcopy(BASE)
    doc["business"]["timezone"] = "Europe/Berln"
    doc["resources"][0]["weekly_hours"]["mon"] = [["09:00", "08:00"]]
    doc["resources"][0]["kind"] = "person"
    doc["resources"][2]["capacity"] = "3"
    doc["services"][0]["duration_min"] = 0
    doc["services"][0]["requires"][0] = ["dr-le"]
    doc["bookings"][0]["start"] = "2026-12-01T08:00"
    doc["bookings"][0]["service"] = "nope"
    with pytest.raises(BusinessFileError) as caught:
        parse_business(json.dumps(doc))
    error = caught.value
    assert [p.path for p in error.problems] == [
        "business.timezone",
        "resources[0].kind",
        "resources[0].weekly_hours.mon[0]",
        "resources[2].capacity",
        "services[0].duration_min",
        "services[0].requires[0][0]",
        "bookings[0].start",
        "bookings[0].service",
    ]
    lines = str(error).splitlines()
    assert lines[0] == (
        "business.timezone: unknown timezone 'Europe/Berln'; did you mean 'Europe/Berlin'?"
    )
    assert "resources[0].weekly_hours.mon[0]: end 08:00 is before start 09:00" in lines
    assert "services[0].requires[0][0]: unknown resource 'dr-le'; did you mean 'dr-lee'?" in lines
    assert len(lines) == 8


def test_problems_read_as_lines() -> None:
    error = BusinessFileError([Problem("", "the file is empty"), Problem("a.b[0]", "bad")])
    assert str(error) == "the file is empty\na.b[0]: bad"
    assert isinstance(error, ValueError)


# --- files --------------------------------------------------------------------------------


def test_load_business_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load_business_file(path) == parse_business(MINIMAL)
    assert load_business_file(str(path)) == parse_business(MINIMAL)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BusinessFileError) as caught:
        load_business_file(tmp_path / "nope.yaml")
    assert caught.value.problems == [Problem("", f"no such file: {tmp_path / 'nope.yaml'}")]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(BusinessFileError) as caught:
        load_business_file(tmp_path)
    (problem,) = caught.value.problems
    assert problem.path == ""
    assert "cannot read" in problem.message
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BusinessFileError) as caught:
        load_business_file(binary)
    (problem,) = caught.value.problems
    assert "is not UTF-8 text" in problem.message


# --- the round trip over generated businesses ---------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
RULES = [
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=MO,WE",
    "FREQ=DAILY;COUNT=5",
    "FREQ=WEEKLY;INTERVAL=2;UNTIL=20271231T235900",
    "FREQ=MONTHLY;BYMONTHDAY=1",
]
slugs = st.from_regex(r"[a-z0-9_-]{1,10}", fullmatch=True)
names = st.text(min_size=1, max_size=20).filter(str.strip)
aliases = st.lists(names, max_size=3, unique_by=str.casefold).map(tuple)
colours = st.none() | st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)
wall_times = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def day_hours(draw: st.DrawFn) -> DayHours:
    cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=8)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    touching = draw(st.booleans())  # touching intervals are fine
    if pairs and touching:
        end = pairs[-1][1]
        if end < 1440:
            pairs.append((end, draw(st.integers(end + 1, 1440))))
    return tuple(draw(st.permutations(pairs)))


@st.composite
def blocks(draw: st.DrawFn) -> Block:
    start = draw(wall_times)
    length = timedelta(minutes=draw(st.integers(1, 5000)))
    rule = draw(st.none() | st.sampled_from(RULES))
    if rule is None:
        length += timedelta(seconds=draw(st.sampled_from([0, 0, 30])))
    return Block(start=start, end=start + length, rrule=rule, reason=draw(st.just("") | names))


@st.composite
def resources(draw: st.DrawFn, rid: str) -> Resource:
    return Resource(
        id=rid,
        name=draw(names),
        kind=draw(st.sampled_from(["staff", "room", "equipment"])),
        capacity=draw(st.integers(1, 20)),
        timezone=draw(st.none() | st.sampled_from(ZONES)),
        weekly_hours=draw(st.dictionaries(st.integers(0, 6), day_hours(), max_size=7)),
        date_overrides=draw(
            st.dictionaries(st.dates(date(2020, 1, 1), date(2030, 12, 31)), day_hours(), max_size=3)
        ),
        blocks=tuple(draw(st.lists(blocks(), max_size=3))),
        active=draw(st.booleans()),
    )


@st.composite
def services(draw: st.DrawFn, sid: str, pool_of: dict[str, int]) -> Service:
    ids = list(pool_of)
    chosen = draw(st.permutations(ids))[: draw(st.integers(1, min(3, len(ids))))]
    pools = []
    for first in chosen:  # each pool holds a distinct resource of its own, so it can be filled
        others = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
        pools.append(tuple(dict.fromkeys([first, *others])))
    seats = draw(st.integers(1, min(max(pool_of[r] for r in pool) for pool in pools)))
    return Service(
        id=sid,
        name=draw(names),
        duration_min=draw(st.integers(1, 600)),
        requires=tuple(pools),
        buffer_before_min=draw(st.integers(0, 60)),
        buffer_after_min=draw(st.integers(0, 60)),
        slot_step_min=draw(st.none() | st.integers(1, 120)),
        min_notice_min=draw(st.integers(0, 10_000)),
        max_advance_days=draw(st.integers(1, 400)),
        seats=seats,
        active=draw(st.booleans()),
    )


def first_choice(pools: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The resources the generator guaranteed: the first of each pool, all different."""
    return tuple(pool[0] for pool in pools)


@st.composite
def businesses(draw: st.DrawFn) -> Business:
    resource_ids = draw(st.lists(slugs, min_size=0, max_size=4, unique=True))
    made = tuple(draw(resources(rid)) for rid in resource_ids)
    capacity = {resource.id: resource.capacity for resource in made}
    service_ids = draw(st.lists(slugs, max_size=3, unique=True)) if made else []
    offered = tuple(draw(services(sid, capacity)) for sid in service_ids)
    bookings: list[BookingRecord] = []
    for _ in range(draw(st.integers(0, 3)) if offered else 0):
        service = draw(st.sampled_from(offered))
        moment = draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),  # noqa: DTZ001
                max_value=datetime(2100, 1, 1),  # noqa: DTZ001
                timezones=st.sampled_from([UTC, timezone(timedelta(hours=5))]),
            )
        )
        bookings.append(
            BookingRecord(
                service=service.id,
                start=moment,
                resources=first_choice(service.requires),
                seats=draw(st.none() | st.integers(1, 5)),
            )
        )
    return Business(
        info=BusinessInfo(
            name=draw(names),
            timezone=draw(st.sampled_from(ZONES)),
            locale=draw(st.sampled_from(["en", "de", "pt-BR"])),
            colour=draw(colours),
        ),
        resources=made,
        services=offered,
        bookings=tuple(bookings),
        service_aliases={s.id: found for s in offered if (found := draw(aliases))},
        resource_aliases={r.id: found for r in made if (found := draw(aliases))},
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(businesses())
def test_round_trip_of_generated_businesses(business: Business) -> None:
    assert parse_business(dump_business(business)) == business


# --- manage tokens and customers of bookings ----------------------------------------------

_BOOKED = """
business: {name: Salon, timezone: Europe/Berlin}
resources:
  - {id: ana, name: Ana}
  - {id: bo, name: Bo}
services:
  - {id: cut, name: Haircut, duration_min: 45, requires: [[ana]]}
bookings:
"""


def test_tokens_and_customers_round_trip() -> None:
    """The export used to drop both: a restored file gave every booking a new link."""
    text = _BOOKED + (
        '  - {service: cut, start: "2026-12-01T08:00:00Z", resources: [ana],\n'
        "     token: AbCdEfGhIjKlMnOpQrStUvWx,\n"
        '     customer: {name: Ana Ruiz, phone: "+34600111222", email: ana@example.org}}\n'
    )
    (booking,) = parse_business(text).bookings
    assert booking.token == "AbCdEfGhIjKlMnOpQrStUvWx"
    assert booking.customer is not None
    assert booking.customer.phone == "+34600111222"
    written = dump_business(parse_business(text))
    (again,) = parse_business(written).bookings
    assert (again.token, again.customer) == (booking.token, booking.customer)


def test_bad_or_repeated_tokens_are_named() -> None:
    text = _BOOKED + (
        '  - {service: cut, start: "2026-12-01T08:00:00Z", resources: [ana], token: "a b"}\n'
        '  - {service: cut, start: "2026-12-01T09:00:00Z", resources: [ana],'
        " token: AbCdEfGhIjKlMnOpQrSt}\n"
        '  - {service: cut, start: "2026-12-01T10:00:00Z", resources: [ana],'
        " token: AbCdEfGhIjKlMnOpQrSt}\n"
    )
    shown = [str(problem) for problem in problems_of(text)]
    assert shown[0].startswith("bookings[0].token: 'a b' is not a manage token")
    assert shown[1] == "bookings[2].token: the same token as bookings[1]; each booking has its own"


def test_a_booking_with_a_token_need_not_fit_todays_pools() -> None:
    """An export of a booking made before its service's pools changed must import."""
    booked = '  - {service: cut, start: "2026-12-01T08:00:00Z", resources: [bo]'
    assert "not in requires[0]" in str(problems_of(_BOOKED + booked + "}\n")[0])
    parse_business(_BOOKED + booked + ", token: AbCdEfGhIjKlMnOpQrStUvWx}\n")
    problems = problems_of(
        _BOOKED + booked.replace("bo]", "cy]") + ", token: AbCdEfGhIjKlMnOpQrSt}\n"
    )
    assert str(problems[0]) == "bookings[0].resources[0]: unknown resource 'cy'"


def test_a_resource_may_name_its_slack_user_and_the_export_keeps_it() -> None:
    from core.businessfile import dump_business

    text = json.dumps(
        {
            "business": {"name": "B", "timezone": "UTC"},
            "resources": [{"id": "ana", "name": "Ana", "slack_user": "U012AB3CD"}],
            "services": [{"id": "s", "name": "S", "duration_min": 30, "requires": [["ana"]]}],
        }
    )
    business = parse_business(text)
    assert business.slack_users == {"ana": "U012AB3CD"}
    assert parse_business(dump_business(business)) == business


def test_a_slack_user_that_is_not_an_id_or_is_listed_twice_is_refused() -> None:
    def problems(*users: str) -> str:
        data = {
            "business": {"name": "B", "timezone": "UTC"},
            "resources": [
                {"id": f"r{i}", "name": f"R{i}", "slack_user": user} for i, user in enumerate(users)
            ],
            "services": [{"id": "s", "name": "S", "duration_min": 30, "requires": [["r0"]]}],
        }
        with pytest.raises(BusinessFileError) as caught:
            parse_business(json.dumps(data))
        return str(caught.value)

    assert "resources[0].slack_user: 'ana' is not a Slack user id" in problems("ana")
    assert "resources[1].slack_user: the same Slack user as resources[0]" in problems(
        "U0ANA", "U0ANA"
    )


# --- names per language -------------------------------------------------------------------


def test_names_per_language_round_trip() -> None:
    doc = copy.deepcopy(BASE)
    doc["services"][0]["names"] = {"de": "Beratung", "es": "Consulta"}
    doc["resources"][0]["names"] = {"ru": "Доктор Ли"}
    business = parse_business(json.dumps(doc))
    assert business.service_names == {"consult": {"de": "Beratung", "es": "Consulta"}}
    assert business.resource_names == {"dr-lee": {"ru": "Доктор Ли"}}
    written = dump_business(business)
    assert "    names: {de: Beratung, es: Consulta}" in written
    assert parse_business(written) == business
    assert dump_business(parse_business(written)) == written


def test_no_names_are_the_default_and_are_not_written() -> None:
    business = parse_business(json.dumps(BASE))
    assert business.service_names == business.resource_names == {}
    assert "names" not in dump_business(business)


@pytest.mark.parametrize(
    ("names", "path", "message"),
    [
        (
            {"deu": "Beratung"},
            "services[0].names.deu",
            "unknown language 'deu'; did you mean 'de'?; use one of en, es, de, fr, ru",
        ),
        ({"de": "  "}, "services[0].names.de", "must not be empty"),
        (
            {"de": "Bera\x07tung"},
            "services[0].names.de",
            "has a control character; write the name as plain text",
        ),
        ({"de": "x" * 101}, "services[0].names.de", "is longer than 100 characters"),
    ],
)
def test_bad_names_per_language_are_named(names: dict[str, str], path: str, message: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["services"][0]["names"] = names
    (problem,) = problems_of(json.dumps(doc))
    assert problem.path == path
    assert message in problem.message


# --- the waitlist setting and the no-show policy ------------------------------------------


def test_waitlist_and_no_show_policy_round_trip() -> None:
    from core.businessfile import dump_business

    services = [
        {"id": "a", "name": "A", "duration_min": 30, "requires": [["ana"]], "waitlist": "book",
         "no_shows": {"after": 2, "then": "refuse_chat"}},
        {"id": "b", "name": "B", "duration_min": 30, "requires": [["ana"]],
         "no_shows": {"after": 1}},
        {"id": "c", "name": "C", "duration_min": 30, "requires": [["ana"]]},
    ]  # fmt: skip
    data = {
        "business": {"name": "B", "timezone": "UTC"},
        "resources": [{"id": "ana", "name": "Ana"}],
        "services": services,
    }
    business = parse_business(json.dumps(data))
    a, b = business.policies["a"], business.policies["b"]
    assert (a.waitlist, a.no_show_after, a.no_show_then) == ("book", 2, "refuse_chat")
    assert (b.waitlist, b.no_show_after, b.no_show_then) == ("offer", 1, "confirm")
    assert "c" not in business.policies or business.policies["c"].no_show_after is None
    text = dump_business(business)
    assert "waitlist: book" in text
    assert parse_business(text) == business
    services[2]["waitlist"] = "maybe"
    services[1]["no_shows"] = {"after": 0}
    with pytest.raises(BusinessFileError) as caught:
        parse_business(json.dumps(data))
    assert "services[2].waitlist" in str(caught.value)
    assert "services[1].no_shows.after" in str(caught.value)


async def test_waitlist_and_no_show_policy_are_stored(db: object) -> None:
    from core.store import load_policy, replace_business

    data = {
        "business": {"name": "B", "timezone": "UTC"},
        "resources": [{"id": "ana", "name": "Ana"}],
        "services": [
            {"id": "a", "name": "A", "duration_min": 30, "requires": [["ana"]],
             "waitlist": "book", "no_shows": {"after": 3, "then": "refuse_chat"}},
        ],
    }  # fmt: skip
    await replace_business(parse_business(json.dumps(data)))
    policy = await load_policy("a")
    assert (policy.waitlist, policy.no_show_after, policy.no_show_then) == (
        "book",
        3,
        "refuse_chat",
    )


# --- reminders, quiet hours and staff e-mail (issue 14) -----------------------------------


def _notify_doc() -> dict[str, Any]:
    return {
        "business": {"name": "B", "timezone": "Europe/Berlin"},
        "resources": [{"id": "ana", "name": "Ana"}],
        "services": [
            {"id": "cut", "name": "Cut", "duration_min": 30, "requires": [["ana"]]},
            {"id": "dye", "name": "Dye", "duration_min": 30, "requires": [["ana"]]},
        ],
    }


def test_reminders_and_quiet_hours_default_and_are_not_written_when_default() -> None:
    from core.business import DEFAULT_REMINDERS
    from core.quiet import DEFAULT_QUIET

    business = parse_business(json.dumps(_notify_doc()))
    assert business.reminders_of("cut") == DEFAULT_REMINDERS == (1440, 120)
    assert business.info.quiet_hours == DEFAULT_QUIET
    written = dump_business(business)
    assert "reminders" not in written
    assert "quiet_hours" not in written


def test_reminders_quiet_hours_and_staff_email_round_trip() -> None:
    from core.quiet import QuietHours

    doc = _notify_doc()
    doc["business"]["quiet_hours"] = {"start": "22:30", "end": "07:00"}
    doc["resources"][0]["email"] = "Ana@Example.com"
    doc["services"][0]["reminders"] = [60, 2880]
    doc["services"][1]["reminders"] = []
    business = parse_business(json.dumps(doc))
    assert business.reminders == {"cut": (2880, 60), "dye": ()}
    assert business.info.quiet_hours == QuietHours(22 * 60 + 30, 7 * 60)
    assert business.resource_emails == {"ana": "Ana@example.com"}
    written = dump_business(business)
    assert '  quiet_hours: {start: "22:30", end: "07:00"}' in written
    assert "    reminders: [2880, 60]" in written
    assert "    reminders: []" in written
    assert parse_business(written) == business


def test_bad_reminders_quiet_hours_and_staff_email_name_their_field() -> None:
    doc = _notify_doc()
    doc["business"]["quiet_hours"] = {"start": "25:00", "end": "08:00"}
    doc["resources"][0]["email"] = "not an address"
    doc["services"][0]["reminders"] = [120, 0]
    doc["services"][1]["reminders"] = [60, 60]
    problems = [str(p) for p in problems_of(json.dumps(doc))]
    assert any(p.startswith("business.quiet_hours.start: start '25:00'") for p in problems)
    assert any(
        p.startswith("resources[0].email: 'not an address' is not an e-mail") for p in problems
    )
    assert any(
        p.startswith("services[0].reminders[1]: 0 is not a number of minutes") for p in problems
    )
    assert "services[1].reminders[1]: 60 is listed twice (also [0])" in problems
    doc = _notify_doc()
    doc["business"]["quiet_hours"] = {"start": "21:00"}
    assert [str(p) for p in problems_of(json.dumps(doc))] == [
        "business.quiet_hours: missing required field 'end'"
    ]
