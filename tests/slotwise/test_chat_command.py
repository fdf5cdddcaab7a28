"""``slotwise chat``: the console channel, scripted with piped input."""

from __future__ import annotations

from click.testing import CliRunner

from slotwise.cli import DEMO_FILE, main

NOW = "2026-11-30T08:00:00Z"  # Monday, 09:00 in Berlin


def chat(db: str, lines: list[str], *extra: str) -> str:
    runner = CliRunner()
    imported = runner.invoke(main, ["import", str(DEMO_FILE), "--db", db])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(
        main, ["chat", "--now", NOW, "--db", db, *extra], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    return result.output.replace("\u202f", " ")


def test_a_scripted_booking(empty_db_url: str) -> None:
    transcript = chat(
        empty_db_url,
        ["haircut tomorrow afternoon", "1", "Ada Lovelace", "ada@example.com", "1"],
    )
    assert transcript.startswith("bot: Hello! I'm the booking assistant of Slotwise Demo.")
    assert "you: haircut tomorrow afternoon\nbot: Free times for Haircut:\n  1. Tue, Dec 1" in (
        transcript
    )
    assert "  6. Earlier\n  7. Later\n  8. Another day" in transcript
    assert "you: 1\nbot: I'm holding Tue, Dec 1, 12:00 PM for you for 5 minutes." in transcript
    assert "Shall I book it?\n  1. Confirm\n  2. Cancel" in transcript
    assert "bot: Booked! Haircut with Ana, Tue, Dec 1, 12:00 PM – 12:45 PM." in transcript
    assert "  [booking.ics] http://127.0.0.1:8000/b/" in transcript


def test_in_spanish(empty_db_url: str) -> None:
    transcript = chat(empty_db_url, ["corte de pelo mañana a las 5"], "--lang", "es")
    assert "mar, 1 dic, 17:00" in transcript


def test_no_business_is_one_clear_line(empty_db_url: str) -> None:
    result = CliRunner().invoke(main, ["chat", "--db", empty_db_url], input="hello\n")
    assert result.exit_code == 1
    assert "no business" in result.output.lower()
    assert "Traceback" not in result.output
