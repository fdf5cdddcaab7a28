"""The ``slotwise`` command end to end: import, slots, explain, export, on each database."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from core.businessfile import parse_business
from slotwise.cli import main

GOLDEN = Path(__file__).parents[1] / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("*.json"))


def slotwise(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def import_document(tmp_path: Path, url: str, document: dict[str, Any], *flags: str) -> None:
    path = tmp_path / "business.json"
    path.write_text(json.dumps(document))
    result = slotwise("import", *flags, str(path), "--db", url)
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_golden_examples_through_the_command(path: Path, tmp_path: Path, empty_db_url: str) -> None:
    example = json.loads(path.read_text())
    import_document(tmp_path, empty_db_url, example["business"])
    for query in example["queries"]:
        args = ["slots", "--service", query["service"], "--from", query["from"]]
        args += ["--to", query["to"], "--now", query["now"], "--json", "--db", empty_db_url]
        if "provider" in query:
            args += ["--provider", query["provider"]]
        result = slotwise(*args)
        assert result.exit_code == 0, result.output
        slots = json.loads(result.output)["slots"]
        assert [s["start"] for s in slots] == [e["start"] for e in query["expect"]]


def test_export_gives_back_the_imported_business(
    tmp_path: Path, empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where --replace writes its backups
    for path in GOLDEN_FILES:
        document = json.loads(path.read_text())["business"]
        # Each file replaces the one before: a plain import would keep its bookings.
        import_document(tmp_path, empty_db_url, document, "--replace")
        result = slotwise("export", "--db", empty_db_url)
        assert result.exit_code == 0, result.output
        assert parse_business(result.output) == parse_business(json.dumps(document))


def test_bad_file_lists_every_problem_and_imports_nothing(
    tmp_path: Path, empty_db_url: str
) -> None:
    good = json.loads((GOLDEN / "03-staff-and-room.json").read_text())["business"]
    import_document(tmp_path, empty_db_url, good)
    bad = json.loads(json.dumps(good))
    bad["resources"][0]["weekly_hours"]["mon"] = [["14:00", "10:00"]]
    bad["services"][0]["requires"][1] = ["room-l"]
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(bad))
    result = CliRunner().invoke(main, ["import", str(path), "--db", empty_db_url])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "resources[0].weekly_hours.mon[0]: end 10:00 is before start 14:00" in result.output
    assert "did you mean 'room-1'?" in result.output
    assert "Traceback" not in result.output
    exported = slotwise("export", "--db", empty_db_url).output
    assert parse_business(exported) == parse_business(json.dumps(good))


def test_explain_says_why(tmp_path: Path, empty_db_url: str) -> None:
    example = json.loads((GOLDEN / "03-staff-and-room.json").read_text())
    import_document(tmp_path, empty_db_url, example["business"])
    now = "2026-12-01T00:00:00Z"
    args = ["explain", "--service", "massage", "--now", now, "--db", empty_db_url]
    text = slotwise(*args, "--start", "2026-12-07T12:00:00Z").output
    assert "is not a free slot" in text
    assert "Room 1 is blocked" in text
    data = json.loads(slotwise(*args, "--start", "2026-12-07T10:00:00Z", "--json").output)
    assert data["is_slot"] is False
    tom = next(r for r in data["reasons"] if r["resource"] == "tom")
    assert tom["code"] == "busy"
    assert tom["ref"].startswith("booking ")
    free = json.loads(slotwise(*args, "--start", "2026-12-07T11:00:00Z", "--json").output)
    assert free["is_slot"] is True
    assert free["resources"] == ["tom", "room-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "nope"], "unknown service 'nope'"),
        (["--service", "massage", "--provider", "zed"], "'zed' is not in any resource pool"),
        (["--service", "massage", "--now", "2026-12-01T00:00"], "has no UTC offset"),
        (["--service", "massage", "--to", "2026-12-01"], "is before --from"),
        (["--service", "massage", "--from", "12/07/2026"], "is not a date"),
    ],
)
def test_slots_errors_are_one_clear_line(
    tmp_path: Path, empty_db_url: str, args: list[str], message: str
) -> None:
    example = json.loads((GOLDEN / "03-staff-and-room.json").read_text())
    import_document(tmp_path, empty_db_url, example["business"])
    base = {"--from": "2026-12-07", "--to": "2026-12-07"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = ["slots", "--db", empty_db_url, *[x for kv in base.items() for x in kv]]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_empty_database_says_what_to_do(empty_db_url: str) -> None:
    result = CliRunner().invoke(main, ["export", "--db", empty_db_url])
    assert result.exit_code == 1
    assert "slotwise import FILE" in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://somewhere/db", "unsupported scheme 'mysql'"),
        ("postgres://nobody@127.0.0.1:1/none", "cannot reach the database"),
    ],
)
def test_bad_database_url_is_one_clear_line(url: str, message: str) -> None:
    result = CliRunner().invoke(main, ["export", "--db", url])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_database_without_tables_says_to_migrate(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.db'}"
    result = CliRunner().invoke(main, ["slots", "--service", "x", "--from", "2026-12-01",
                                       "--to", "2026-12-01", "--db", url])  # fmt: skip
    assert result.exit_code == 1
    assert "run 'slotwise migrate'" in result.output
    assert slotwise("migrate", "--db", url).exit_code == 0
    assert "slotwise import FILE" in CliRunner().invoke(main, ["export", "--db", url]).output


def test_import_over_bookings_keeps_them_and_their_manage_tokens(
    tmp_path: Path, empty_db_url: str
) -> None:
    """It used to delete every booking and write the file's back with new tokens."""
    document = json.loads((GOLDEN / "03-staff-and-room.json").read_text())["business"]
    import_document(tmp_path, empty_db_url, document)
    before = parse_business(slotwise("export", "--db", empty_db_url).output).bookings
    document["resources"][0]["weekly_hours"]["mon"] = [["11:00", "14:00"]]
    document["resources"].append({"id": "ivy", "name": "Ivy"})
    path = tmp_path / "new-hours.json"
    path.write_text(json.dumps(document))
    result = slotwise("import", str(path), "--db", empty_db_url)
    assert result.exit_code == 0, result.output
    assert "Added resources: ivy" in result.output
    assert "Bookings: 0 added, 1 of the file already there; none deleted." in result.output
    assert "1 bookings fall outside the new rules" in result.output
    assert "massage 2026-12-07 10:00: outside the hours of tom" in result.output
    after = parse_business(slotwise("export", "--db", empty_db_url).output).bookings
    assert [b.token for b in after] == [b.token for b in before]
    assert after[0].token is not None


def test_import_replace_backs_up_first_and_says_what_it_dropped(
    tmp_path: Path, empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    document = json.loads((GOLDEN / "03-staff-and-room.json").read_text())["business"]
    path = tmp_path / "business.json"
    path.write_text(json.dumps(document))
    first = slotwise("import", "--replace", str(path), "--db", empty_db_url)
    assert first.exit_code == 0, first.output
    assert "backed up" not in first.output  # an empty database has nothing to keep
    assert not (tmp_path / "data" / "backups").exists()
    exported = slotwise("export", "--db", empty_db_url).output
    result = slotwise("import", "--replace", str(path), "--db", empty_db_url)
    assert result.exit_code == 0, result.output
    assert "1 bookings of the database were dropped" in result.output
    (backup,) = (tmp_path / "data" / "backups").glob("slotwise-*.yaml")
    assert f"backed up in {Path('data') / 'backups' / backup.name}" in result.output
    assert backup.read_text() == exported
    new_token = parse_business(slotwise("export", "--db", empty_db_url).output).bookings[0].token
    assert new_token != parse_business(exported).bookings[0].token


@contextlib.contextmanager
def held_in_redis(
    tmp_path: Path, db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The golden spa with its Monday 11:00 massage held in Redis by an API client, and
    the command pointed at that Redis, as a server beside it would be."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from core.bookings import BookingService
    from core.db import database
    from core.holds import RedisHoldStore
    from slotwise.settings import get_settings

    example = json.loads((GOLDEN / "03-staff-and-room.json").read_text())
    import_document(tmp_path, db_url, example["business"])
    now = datetime(2026, 12, 1, tzinfo=UTC)
    start = datetime(2026, 12, 7, 11, tzinfo=UTC)

    async def hold() -> str:
        store = RedisHoldStore.from_url(redis_url)
        async with database(db_url):
            service = BookingService(store, hold_ttl=timedelta(days=30), clock=lambda: now)
            token = (await service.hold("massage", start, owner="api:x")).token
        await store.close()
        return token

    async def release(token: str) -> None:
        store = RedisHoldStore.from_url(redis_url)
        await store.release(token, "api:x")
        await store.close()

    token = asyncio.run(hold())
    monkeypatch.setenv("SLOTWISE_REDIS_URL", redis_url)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
        asyncio.run(release(token))


def test_slots_count_live_holds_like_the_api(
    tmp_path: Path, empty_db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``slotwise slots`` asks the booking service the API asks: a held slot is not free."""
    with held_in_redis(tmp_path, empty_db_url, redis_url, monkeypatch):
        result = slotwise(
            *("slots", "--service", "massage", "--from", "2026-12-07", "--to", "2026-12-07"),
            *("--now", "2026-12-01T00:00:00Z", "--json", "--db", empty_db_url),
        )
    assert result.exit_code == 0, result.output
    starts = [s["start"] for s in json.loads(result.output)["slots"]]
    assert "2026-12-07T11:00:00Z" not in starts
    assert starts[0] == "2026-12-07T13:00:00Z"


def test_explain_sees_live_holds_like_the_slots(
    tmp_path: Path, empty_db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``slotwise explain`` used to read a snapshot without holds: "free" for a held slot."""
    with held_in_redis(tmp_path, empty_db_url, redis_url, monkeypatch):
        result = slotwise(
            *("explain", "--service", "massage", "--start", "2026-12-07T11:00:00Z"),
            *("--now", "2026-12-01T00:00:00Z", "--json", "--db", empty_db_url),
        )
    assert result.exit_code == 0, result.output
    explained = json.loads(result.output)
    assert explained["is_slot"] is False
    assert "busy" in [reason["code"] for reason in explained["reasons"]]
