"""One scripted conversation, run through every chat channel with its real SDK against its
local fake (issue 13): book, list, move, cancel, a held slot that expires, join a waitlist,
ask for a person, garbage and another language. Every channel must end in the same
bookings. The script knows no channel: it talks through a
:class:`~tests.channels.drivers.Driver`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from channels.services import SERVICES
from core import models as m
from slotwise.container import Services
from tests.channels.drivers import Driver, WebChat, open_driver


@pytest.fixture(params=["web", "telegram", "sms", "whatsapp", "slack"])
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

    await a_held_slot_that_expires(driver)

    await driver.say("haircut on Sunday")
    assert "waitlist" in (await driver.say("put me on the waitlist")).text
    assert "staff to reply" in (await driver.say("talk to a person")).text
    assert (await driver.say("qwzx vbnm")).text  # garbage: a friendly answer
    assert "español" in (await driver.say("español")).text

    bookings = [
        (b.service.slug, str(b.status.value), b.start.weekday(), b.source_channel)
        for b in await m.Booking.all().order_by("created_at").prefetch_related("service")
    ]
    assert bookings == [
        ("haircut", "cancelled", 2, driver.channel),
        ("haircut", "confirmed", 3, "web"),  # the time the lapsed hold had kept
        ("haircut", "confirmed", 3, driver.channel),  # a fresh one after it
    ]
    assert await m.WaitlistEntry.all().count() == 1
    assert await m.Outbox.filter(kind="staff_handover").count() == 1


async def a_held_slot_that_expires(driver: Driver) -> None:
    """The customer picks a time and lets the hold's lease pass (the app's clock is moved
    on, nothing sleeps); another customer books that time on the web chat meanwhile. The
    confirmation then says the hold ran out and offers fresh times, one of which books."""
    offered = await driver.say("haircut on Thursday afternoon")
    assert "Free times for Haircut" in offered.text
    first = offered.options[0]
    held = await driver.pick_nth(1)
    assert "I'm holding Thu" in held.text, held.text
    assert "Shall I book it?" in held.text  # name and contact are known by now
    lease = cast(Services, driver.app.extensions[SERVICES]).settings.hold_ttl_seconds
    driver.clock.advance(seconds=lease + 1)

    other = WebChat(driver.app, session="o" * 24, clock=driver.clock)
    seen = await other.say("haircut on Thursday afternoon")
    assert seen.options[0] == first  # the lapsed hold keeps it from no one
    assert "What name" in (await other.pick_nth(1)).text
    await other.say("Grace Hopper")
    await other.say("grace@example.com")
    assert (await other.pick_nth(1)).text.startswith("Booked! Haircut with")

    lapsed = await driver.pick_nth(1)  # yes, a hold's lease too late
    assert "my hold on that time ran out and someone else booked it" in lapsed.text, lapsed.text
    assert "Here are the closest free times" in lapsed.text
    assert lapsed.options[0].startswith("Thu"), lapsed.options  # fresh, real times...
    assert first not in lapsed.options  # ...without the one taken
    assert "Shall I book it?" in (await driver.pick_nth(1)).text
    booked = await driver.pick_nth(1)
    assert booked.text.startswith("Booked! Haircut with"), booked.text
