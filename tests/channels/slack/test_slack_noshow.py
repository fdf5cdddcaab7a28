"""The "mark no-show" button of a staff notice (action ``noshow``, value ``noshow:<token>``)."""

from __future__ import annotations

from quart.typing import TestClientProtocol as Client

from channels.slack.noshow import NOSHOW, value_of
from core import models as m
from tests.channels.slack.fake import FakeSlack
from tests.channels.slack.test_slack import (  # noqa: F401 - the fixtures
    ANA,
    BEN,
    BOSS,
    app,
    client,
    fake,
    pressed,
)


async def _token(name: str) -> str:
    row = await m.Booking.filter(customer__name=name).first()
    assert row is not None
    return row.manage_token


async def test_staff_mark_their_own_past_booking_a_no_show(client: Client, fake: FakeSlack) -> None:
    early = {"action_id": NOSHOW, "value": value_of(await _token("Early Bird"))}
    refused = await pressed(client, fake, BEN, early)  # Ben is not on it
    assert refused["text"] == "You can mark no-shows only of your own bookings."
    assert await m.Booking.filter(status="no_show").count() == 0
    done = await pressed(client, fake, ANA, early)
    assert done["response_type"] == "ephemeral"
    assert done["text"].startswith("Marked as a no-show: Early Bird")
    row = await m.Booking.get(customer__name="Early Bird")
    assert row.status == "no_show"
    history = await m.BookingHistory.get(booking_id=row.id, action="no_show")
    assert (history.actor, history.channel) == ("staff:Ana", "slack")


async def test_a_future_booking_is_not_a_no_show_yet(client: Client, fake: FakeSlack) -> None:
    maria = {"action_id": NOSHOW, "value": value_of(await _token("Maria"))}
    answer = await pressed(client, fake, BOSS, maria)
    assert answer["text"] == "A booking can be marked a no-show only after it has started."
    gone = await pressed(client, fake, ANA, {"action_id": NOSHOW, "value": "noshow:nothing"})
    assert gone["text"] == "This booking does not exist any more."
    assert await m.Booking.filter(status="no_show").count() == 0
