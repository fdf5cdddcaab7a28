"""One scripted conversation, run through every chat channel with its real SDK against its
local fake (issue 13): book, list, move, cancel, join a waitlist, ask for a person, garbage
and another language. Every channel must end in the same bookings. The script knows no
channel: it talks through a :class:`~tests.channels.drivers.Driver`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core import models as m
from tests.channels.drivers import Driver, open_driver


@pytest.fixture(params=["web", "telegram", "sms", "slack"])
async def driver(
    request: pytest.FixtureRequest, empty_db_url: str, httpserver: Any
) -> AsyncIterator[Driver]:
    async with open_driver(request.param, empty_db_url, httpserver) as found:
        yield found


# --- the script ----------------------------------------------------------------------------


async def test_the_same_conversation_ends_in_the_same_bookings_on_every_channel(
    driver: Driver,
) -> None:
    offered = await driver.say("haircut on Tuesday afternoon")
    assert "Free times for Haircut" in offered.text
    assert "What name" in (await driver.pick_nth(1)).text
    asked = await driver.say("Ada Lovelace")
    if "phone number or e-mail" in asked.text:  # SMS knows the number already
        asked = await driver.say("ada@example.com")
    assert "Shall I book it?" in asked.text
    booked = await driver.pick_nth(1)  # yes (Confirm, or Go ahead where CONFIRM is a word)
    assert booked.text.startswith("Booked! Haircut with Ana, Tue"), booked.text

    listed = await driver.say("my bookings")
    assert "Your upcoming bookings:" in listed.text
    assert "Haircut" in listed.text

    asked = await driver.say("move my booking")  # one booking: no "which one?"
    assert "When would you like to move" in asked.text
    offered = await driver.say("Wednesday afternoon")
    assert "Free times for Haircut" in offered.text
    assert (await driver.pick_nth(1)).text.startswith("Move Haircut from Tue")
    moved = await driver.pick_nth(1)
    assert moved.text.startswith("Moved! Haircut with Ana is now Wed"), moved.text

    asked = await driver.say("cancel my booking")
    assert asked.text.startswith("Cancel Haircut with Ana, Wed"), asked.text
    assert (await driver.pick_nth(1)).text.startswith("Cancelled: Haircut")

    await driver.say("haircut on Sunday")
    assert "waitlist" in (await driver.say("put me on the waitlist")).text
    assert "staff to reply" in (await driver.say("talk to a person")).text
    assert (await driver.say("qwzx vbnm")).text  # garbage: a friendly answer
    assert "español" in (await driver.say("español")).text

    bookings = [
        (b.service.slug, str(b.status.value), b.start.weekday(), b.source_channel)
        for b in await m.Booking.all().prefetch_related("service")
    ]
    assert bookings == [("haircut", "cancelled", 2, driver.channel)]
    assert await m.WaitlistEntry.all().count() == 1
    assert await m.Outbox.filter(kind="staff_handover").count() == 1
