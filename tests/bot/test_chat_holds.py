"""The chat explains a refused wish with live holds counted, as it offers slots."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.runner import Chat
from tests.bot.conftest import Talk

TUESDAY_11AM = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Berlin: Ana and Ben work


async def test_a_slot_held_by_someone_else_is_refused_as_taken_not_as_free_or_closed(
    chat: Chat, talk: Talk
) -> None:
    # Both stylists' 11 am is held by other customers: not offered, and said to be taken.
    for stylist in ("ana", "ben"):
        await chat._bookings.hold("haircut", TUESDAY_11AM, owner=f"web:{stylist}", provider=stylist)
    await talk.say("haircut tomorrow at 11am")
    assert "Tue, Dec 1, 11:00 AM is already taken." in talk.text()
    assert not any(label.startswith("Tue, Dec 1, 11:00 AM") for label in talk.labels())
