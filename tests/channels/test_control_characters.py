"""A NUL or another control character in a message that comes by webhook (Telegram, SMS,
WhatsApp, Slack): the webhook answers 2xx, the bot reads around it or asks again, and
nothing holding one is stored (PostgreSQL refuses a NUL in text: a customer's name with
one once made every later booking of theirs fail)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core import models as m
from tests.channels.drivers import Driver, open_driver


@pytest.fixture(params=["telegram", "sms", "whatsapp", "slack"])
async def driver(
    request: pytest.FixtureRequest, empty_db_url: str, httpserver: Any
) -> AsyncIterator[Driver]:
    async with open_driver(request.param, empty_db_url, httpserver) as found:
        yield found


async def test_control_characters_are_read_around_or_asked_again(driver: Driver) -> None:
    assert (await driver.say("\x00")).text  # nothing but a NUL: still an answer
    offered = await driver.say("hair\x00cut on Tuesday\x07 afternoon\x1b")
    assert "Free times for Haircut" in offered.text
    assert "What name" in (await driver.pick_nth(1)).text
    asked = await driver.say("Ada\x00 Lovelace")
    assert "characters I cannot use" in asked.text
    asked = await driver.say("Ada Lovelace")
    if "phone number or e-mail" in asked.text:  # SMS and WhatsApp know the number
        asked = await driver.say("ada@example.com\x00")
        assert "characters I cannot use" in asked.text
        asked = await driver.say("ada@example.com")
    assert "Shall I book it?" in asked.text
    assert (await driver.pick_nth(1)).text.startswith("Booked!")

    booking = await m.Booking.get().prefetch_related("customer")
    assert booking.customer.name == "Ada Lovelace"
    stored = await m.Customer.all().values_list("name", "phone", "email")
    assert not any("\x00" in str(value) for row in stored for value in row)
