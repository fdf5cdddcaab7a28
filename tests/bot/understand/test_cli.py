"""``slotwise understand``: what admins run to see what the bot read in a message."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from slotwise.cli import DEMO_FILE, main

NOW = "2026-11-30T10:00:00Z"  # Monday, 11:00 in Berlin


def slotwise(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_has_the_five_keys_first_and_utc_instants() -> None:
    result = slotwise(
        "understand", "tomorrow at 3", "--now", NOW, "--tz", "Europe/Berlin", "--json"
    )
    assert result.exit_code == 0, result.output
    reading = json.loads(result.output)
    assert list(reading)[:5] == ["intent", "service", "provider", "choice", "when"]
    assert reading == {
        "intent": "book",
        "service": None,
        "provider": None,
        "choice": None,
        "when": {"at": "2026-12-01T14:00:00Z"},
        "command": None,
        "language": None,
        "date_conflict": False,
    }


def test_a_window_and_an_open_window() -> None:
    result = slotwise("understand", "--now", NOW, "--tz", "Europe/Berlin", "--json", "tomorrow")
    assert json.loads(result.output)["when"] == {
        "from": "2026-11-30T23:00:00Z",
        "to": "2026-12-01T23:00:00Z",
    }
    result = slotwise("understand", "asap", "--now", NOW, "--json")
    assert json.loads(result.output)["when"] == {"from": NOW, "to": None}


def test_options_before_text_and_double_dash_for_a_text_with_a_dash() -> None:
    result = slotwise("understand", "--lang", "es", "--json", "--now", NOW, "--", "-1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["intent"] == "unknown"
    result = slotwise("understand", "--lang", "es", "--json", "--now", NOW, "--", "la segunda")
    assert json.loads(result.output)["choice"] == 2


def test_the_default_zone_without_a_database_is_utc() -> None:
    result = slotwise("understand", "at 15:00", "--now", NOW, "--json")
    assert json.loads(result.output)["when"] == {"at": "2026-11-30T15:00:00Z"}


def test_readable_form_names_local_and_utc_times() -> None:
    result = slotwise("understand", "haircut tomorrow at 3", "--now", NOW, "--tz", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "intent:   book",
        "when:     at Tue 2026-12-01 15:00 CET (2026-12-01T14:00:00Z)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--now", "2026-11-30T10:00:00"], "has no UTC offset"),
        (["--now", "yesterday"], "is not an ISO-8601 time"),
        (["--tz", "Mars/Olympus"], "is not an IANA time zone"),
        (["--lang", "xx"], "'xx' is not one of"),
    ],
)
def test_mistakes_are_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["understand", "hi", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_with_a_database_it_knows_the_business_names_and_zone(empty_db_url: str) -> None:
    assert slotwise("import", str(DEMO_FILE), "--db", empty_db_url).exit_code == 0
    result = slotwise(
        "understand", "Haircut with Doctor Lee tomorrow at 3", "--now", NOW, "--json",
        "--db", empty_db_url,
    )  # fmt: skip
    reading = json.loads(result.output)
    assert (reading["service"], reading["provider"]) == ("haircut", "dr-lee")
    assert reading["when"] == {"at": "2026-12-01T14:00:00Z"}  # the demo is in Berlin
    result = slotwise(
        "understand", "есть ли время завтра?", "--lang", "ru", "--now", NOW, "--json",
        "--db", empty_db_url,
    )  # fmt: skip
    assert json.loads(result.output)["provider"] is None  # "ли" is not Доктор Ли


def test_a_database_without_a_business_is_one_clear_line(empty_db_url: str) -> None:
    result = CliRunner().invoke(main, ["understand", "hi", "--db", empty_db_url])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_explain_names_the_words_behind_each_part_of_the_reading() -> None:
    result = slotwise(
        "understand", "--lang", "fr", "--now", NOW, "--explain", "Je dois annuler mon rdv jeudi"
    )
    assert result.exit_code == 0, result.output
    assert 'intent: "annuler" (cancel)' in result.output
    assert 'time wish: "jeudi" (weekday=3)' in result.output


def test_lang_may_carry_a_region_that_orders_numeric_dates() -> None:
    american = slotwise("understand", "3/4", "--lang", "en-US", "--now", NOW, "--json")
    assert american.exit_code == 0, american.output
    assert json.loads(american.output)["when"]["from"].startswith("2027-03-04")
    british = slotwise("understand", "3/4", "--lang", "en_gb", "--now", NOW, "--json")
    assert json.loads(british.output)["when"]["from"].startswith("2027-04-03")
    wrong = CliRunner().invoke(main, ["understand", "3/4", "--lang", "en-4"])
    assert wrong.exit_code == 2
    assert "or one with a region (en-US)" in wrong.output
