"""Answers to a reminder (issue 14): the worker sends it with its answers in the channel's
idiom (numbers on SMS, buttons elsewhere), and the next number or button typed in that
chat answers it for a day: 1 keeps the booking, 2 offers the free times after it, 3
asks once and cancels under the service's policy.

Monday 30 November 2026, 09:00 in Berlin; the haircut booked is Tuesday 12:00-12:45
(11:00 UTC), so its 24-hour reminder is due Monday 11:00 UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.replies import Reply
from bot.runner import Chat
from bot.traits import DEFAULT_TRAITS, ChannelTraits
from channels.sms.channel import SMS_TRAITS
from core import models as m
from slotwise.worker import Senders, Worker
from tests.bot.conftest import Clock, Talk
from tests.conftest import TestDatabase

ADA = "+4915123456789"
REMINDED = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
TUESDAY_NOON = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
PROMPT = "Reply 1 to keep it, 2 to move it, 3 to cancel it."


@dataclass
class Phone:
    """A chat channel that keeps what the worker sends (stands in for Twilio's fake)."""

    name: str
    traits: ChannelTraits
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        self.sent.extend((recipient, r) for r in replies)


async def booked_and_reminded(
    chat: Chat, clock: Clock, channel: str = "sms", traits: ChannelTraits = SMS_TRAITS
) -> tuple[Talk, Phone]:
    talk = Talk(chat, user=ADA, channel=channel, traits=traits)
    await talk.say("haircut tomorrow afternoon")
    await talk.press_first_slot()
    await talk.say("Ada Lovelace")
    await talk.say(ADA)
    if traits.has_buttons:
        await talk.press("Confirm")
    else:
        await talk.say("1")
    assert "Booked!" in talk.text()
    phone = Phone(channel, traits)
    senders = Senders()
    senders.add_channel(phone)  # type: ignore[arg-type]
    worker = Worker(senders, public_url="https://book.example", name="w", clock=clock)
    results = await worker.drain(clock.now)  # the confirmation first: sends run side by side
    clock.now = REMINDED
    results += await worker.drain(REMINDED)
    sent = [r.kind for r in results if r.outcome == "sent"]
    assert sent == ["customer_confirmation", "reminder"]
    clock.advance(minutes=5)
    return talk, phone


async def test_an_sms_reminder_asks_for_numbers_and_1_keeps_the_booking(
    chat: Chat, clock: Clock, demo: TestDatabase
) -> None:
    talk, phone = await booked_and_reminded(chat, clock)
    _to, reminder = phone.sent[-1]
    assert "A reminder of your booking" in reminder.text
    assert reminder.text.endswith(PROMPT)
    assert reminder.options == ()
    await talk.say("1")
    assert "Thank you! See you then: Haircut with Ana, Tue, Dec 1, 12:00 PM." in talk.text()
    await talk.say("1")  # the chat went on: a number now picks what is on screen
    assert "Thank you" not in talk.text()
    booking = await m.Booking.get()
    assert booking.status == m.BookingStatus.CONFIRMED


async def test_2_offers_the_times_after_the_old_one_and_moves_it_when_confirmed(
    chat: Chat, clock: Clock, demo: TestDatabase
) -> None:
    talk, _ = await booked_and_reminded(chat, clock)
    await talk.say("2")
    assert "Free times for Haircut" in talk.text()
    assert talk.labels()[0] == "Tue, Dec 1, 12:15 PM · Ben"
    await talk.press("More")  # SMS: five options at a time
    assert talk.labels()[1:] == ["Earlier", "Later", "Another day"]
    await talk.press_first_slot()
    assert "Move Haircut from Tue, Dec 1, 12:00 PM to Tue, Dec 1, 2:15 PM" in talk.text()
    booking = await m.Booking.get()
    assert booking.start == TUESDAY_NOON  # kept until the move is confirmed
    await talk.say("1")
    assert "Moved!" in talk.text()
    booking = await m.Booking.get()
    assert booking.start == datetime(2026, 12, 1, 13, 15, tzinfo=UTC)
    assert booking.status == m.BookingStatus.CONFIRMED


async def test_3_asks_once_then_cancels(chat: Chat, clock: Clock, demo: TestDatabase) -> None:
    talk, _ = await booked_and_reminded(chat, clock)
    await talk.say("3")
    assert talk.text() == (
        "Cancel Haircut with Ana, Tue, Dec 1, 12:00 PM? Reply 1 to cancel it, 2 to keep it."
    )
    assert talk.labels() == []  # the numbers are in the question: no CANCEL or YES to type
    assert (await m.Booking.get()).status == m.BookingStatus.CONFIRMED
    await talk.say("1")
    assert "Cancelled" in talk.text()
    assert (await m.Booking.get()).status == m.BookingStatus.CANCELLED


async def test_3_then_2_keeps_it(chat: Chat, clock: Clock, demo: TestDatabase) -> None:
    talk, _ = await booked_and_reminded(chat, clock)
    await talk.say("3")
    await talk.say("2")
    assert "your booking stays" in talk.text()
    assert (await m.Booking.get()).status == m.BookingStatus.CONFIRMED


async def test_the_tie_ends_after_a_day(chat: Chat, clock: Clock, demo: TestDatabase) -> None:
    talk, _ = await booked_and_reminded(chat, clock)
    clock.now = datetime(2026, 12, 1, 11, 1, tzinfo=UTC)  # the booking has begun anyway
    await talk.say("1")
    assert "Thank you! See you then" not in talk.text()


async def test_free_text_after_a_reminder_goes_to_the_dialog(
    chat: Chat, clock: Clock, demo: TestDatabase
) -> None:
    talk, _ = await booked_and_reminded(chat, clock)
    await talk.say("please move my booking to Wednesday at 10")
    assert "Wed, Dec 2, 10:00 AM is free for Haircut" in talk.text()
    assert (await m.Booking.get()).start == TUESDAY_NOON


@pytest.mark.parametrize("press", ["Keep it", "Move it", "Cancel it"])
async def test_a_chat_with_buttons_gets_the_answers_as_buttons(
    chat: Chat, clock: Clock, demo: TestDatabase, press: str
) -> None:
    talk, phone = await booked_and_reminded(chat, clock, "telegram", DEFAULT_TRAITS)
    _to, reminder = phone.sent[-1]
    assert PROMPT not in reminder.text
    assert [(o.label, o.value) for o in reminder.options] == [
        ("Keep it", "rem:keep"),
        ("Move it", "rem:move"),
        ("Cancel it", "rem:cancel"),
    ]
    await talk.say("what are your opening hours?")  # the chat goes on; the button still works
    talk.last = [reminder]
    await talk.press(press)
    expected = {"Keep it": "Thank you!", "Move it": "Free times", "Cancel it": "Cancel Haircut"}
    assert expected[press] in talk.text()


async def test_a_reminder_in_the_customers_language(
    chat: Chat, clock: Clock, demo: TestDatabase
) -> None:
    talk = Talk(chat, user=ADA, channel="sms", traits=SMS_TRAITS, locale="es")
    await talk.say("corte de pelo mañana por la tarde")
    await talk.press_first_slot()
    await talk.say("Ada Lovelace")
    await talk.say(ADA)
    await talk.say("1")
    phone = Phone("sms", SMS_TRAITS)
    senders = Senders()
    senders.add_channel(phone)  # type: ignore[arg-type]
    worker = Worker(senders, public_url="https://book.example", clock=clock)
    await worker.drain(clock.now)
    await worker.drain(REMINDED)
    assert phone.sent[-1][1].text.endswith(
        "Responda 1 para mantenerla, 2 para cambiarla, 3 para cancelarla."
    )
