"""The no-show policy in the chat: after N missed appointments, a confirmation first
(``confirm``) or no chat booking at all (``refuse_chat``)."""

from __future__ import annotations

from dataclasses import replace

from bot.runner import Chat
from core import models as m
from core.bookings import Actor
from core.business import ServicePolicy
from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.cli import DEMO_FILE
from tests.bot.conftest import Clock, Talk
from tests.bot.test_conversation import book_haircut


async def policy(after: int, then: str) -> None:
    business = load_business_file(DEMO_FILE)
    old = business.policies.get("haircut", ServicePolicy())
    new = replace(old, no_show_after=after, no_show_then=then)  # type: ignore[arg-type]
    await replace_business(replace(business, policies={**business.policies, "haircut": new}))


async def test_after_a_no_show_the_chat_asks_to_confirm_attendance(
    chat: Chat, clock: Clock
) -> None:
    await policy(1, "confirm")
    talk = Talk(chat, channel="telegram")
    start = clock.now
    await book_haircut(talk)
    booking = await m.Booking.get()
    clock.now = booking.start
    await chat._bookings.mark_no_show(booking.manage_token, actor=Actor("staff", "Ana", "slack"))
    clock.now = start
    await talk.say("haircut on Wednesday at 10")
    await talk.press_first_slot()
    await talk.press("Confirm")
    assert "Our records show 1 missed appointment" in talk.text()
    assert await m.Booking.filter(status="confirmed").count() == 0
    await talk.press("Confirm")
    assert "Booked!" in talk.text()
    assert await m.Booking.filter(status="confirmed").count() == 1


async def test_after_no_shows_chat_bookings_are_refused(chat: Chat, clock: Clock) -> None:
    await policy(1, "refuse_chat")
    talk = Talk(chat, channel="telegram")
    start = clock.now
    await book_haircut(talk)
    booking = await m.Booking.get()
    clock.now = booking.start
    await chat._bookings.mark_no_show(booking.manage_token, actor=Actor("staff", "Ana", "slack"))
    clock.now = start
    await talk.say("haircut on Wednesday at 10")
    await talk.press_first_slot()
    await talk.press("Confirm")
    assert "cannot be booked in the chat" in talk.text()
    assert await m.Booking.filter(status="confirmed").count() == 0


async def test_after_no_shows_a_chat_waitlist_join_is_refused(chat: Chat, clock: Clock) -> None:
    import contextlib
    from datetime import UTC, datetime

    from core.bookings import CustomerInput
    from core.errors import SlotUnavailable

    await policy(1, "refuse_chat")
    talk = Talk(chat, channel="telegram")
    start = clock.now
    await book_haircut(talk)
    booking = await m.Booking.get()
    clock.now = booking.start
    await chat._bookings.mark_no_show(booking.manage_token, actor=Actor("staff", "Ana", "slack"))
    clock.now = start
    day = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # Saturday
    for slot in await chat._bookings.offer("haircut", day.date(), day.date()):
        with contextlib.suppress(SlotUnavailable):
            await chat._bookings.book("haircut", slot.start, CustomerInput("Someone"))
    await talk.say("haircut on Saturday")
    await talk.press("Join the waitlist")
    for _ in range(3):  # whatever it still needs to know
        if "cannot be booked in the chat" in talk.text() or "waitlist for" in talk.text():
            break
        await talk.say("Ada" if "name" in talk.text() else "ada@example.com")
    assert "Because of 1 missed appointment, this service cannot be booked" in talk.text()
    assert await m.WaitlistEntry.all().count() == 0
