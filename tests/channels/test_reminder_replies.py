"""A reminder sent by the worker through each channel's real SDK to its fake, and answered
there (issue 14): numbers on SMS and WhatsApp, buttons on Telegram and Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from quart import Quart

from channels.services import SERVICES
from core import models as m
from slotwise.container import Services
from slotwise.worker import Worker, senders_of
from tests.channels.drivers import Driver, open_driver

PROMPT = "Reply 1 to keep it, 2 to move it, 3 to cancel it."


@pytest.fixture(params=["telegram", "sms", "whatsapp", "slack"])
async def driver(
    request: pytest.FixtureRequest, empty_db_url: str, httpserver: Any
) -> AsyncIterator[Driver]:
    async with open_driver(request.param, empty_db_url, httpserver) as found:
        yield found


async def remind(driver: Driver, app: Quart) -> None:
    """Book a haircut, make its 24-hour reminder due now, and run the worker once."""
    await driver.say("haircut on Tuesday afternoon")
    asked = await driver.pick_nth(1)
    if "What name" in asked.text:
        asked = await driver.say("Ada Lovelace")
    if "phone number or e-mail" in asked.text:
        await driver.say("ada@example.com")
    assert (await driver.pick_nth(1)).text.startswith("Booked!")
    services = cast(Services, app.extensions[SERVICES])
    senders = senders_of(services.settings)
    try:
        worker = Worker(senders, public_url="https://book.example")
        reminders = m.Outbox.filter(kind="reminder")
        await reminders.update(available_at=datetime.now(UTC) + timedelta(days=30))
        results = await worker.drain()  # the confirmation first: sends run side by side
        # Sent now, whatever time it is where the test runs: no quiet hours to hold it back.
        await m.Business.all().update(quiet_start_min=0, quiet_end_min=0)
        first = m.Outbox.filter(kind="reminder", dedup_key__contains=":reminder:1440:")
        await first.update(available_at=datetime.now(UTC))
        results += await worker.drain()
    finally:
        for name in senders:  # the worker's own Telegram session (the command never closes it)
            bot = getattr(getattr(senders.get(name), "channel", None), "bot", None)
            if bot is not None:
                await bot.session.close()
    assert ("reminder", "sent") in [(r.kind, r.outcome) for r in results]


async def test_a_reminder_is_answered_in_the_channels_idiom_and_3_then_yes_cancels(
    driver: Driver,
) -> None:
    await remind(driver, driver.app)
    reminder = driver.pushed()
    assert "A reminder of your booking: Haircut" in reminder.text
    if driver.channel in ("sms", "whatsapp"):
        assert PROMPT in reminder.text
        assert reminder.options == []
    else:
        assert PROMPT not in reminder.text
        assert reminder.options == ["Keep it", "Move it", "Cancel it"]
    asked = await driver.pick_nth(3)
    assert asked.text.startswith("Cancel Haircut with Ana, Tue"), asked.text
    assert (await m.Booking.get()).status == m.BookingStatus.CONFIRMED
    assert (await driver.pick_nth(1)).text.startswith("Cancelled: Haircut")
    assert (await m.Booking.get()).status == m.BookingStatus.CANCELLED


async def test_1_keeps_it(driver: Driver) -> None:
    await remind(driver, driver.app)
    driver.pushed()
    assert (await driver.pick_nth(1)).text.startswith("Thank you! See you then: Haircut")
    assert (await m.Booking.get()).status == m.BookingStatus.CONFIRMED
