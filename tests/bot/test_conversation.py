"""Whole conversations with the demo business, through the runner, on real databases.

Monday 30 November 2026, 09:00 in Berlin. The salon's Ana works Tuesday
09–13 and 14–18, Ben 10–14 and 15–19; a haircut takes 45 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from bot.conversations import MemoryConversations
from bot.inbound import Inbound
from bot.runner import Chat
from core import models as m
from core.bookings import Actor, BookingService, CustomerInput
from core.errors import SlotUnavailable
from core.holds.memory import MemoryHoldStore
from tests.bot.conftest import Clock, Talk
from tests.conftest import TestDatabase


async def book_haircut(talk: Talk, *, name: str | None = "Ada Lovelace") -> None:
    await talk.say("haircut tomorrow afternoon")
    assert "Free times for Haircut" in talk.text()
    await talk.press_first_slot()
    assert "I'm holding Tue, Dec 1, 12:00 PM for you for 5 minutes." in talk.text()
    if name is not None:
        assert "What name" in talk.text()
        await talk.say(name)
        assert "phone number or e-mail" in talk.text()
        await talk.say("my mail is ada@example.com")
    assert "Shall I book it?" in talk.text()
    await talk.press("Confirm")


async def test_book_from_first_message_to_confirmation(talk: Talk, demo: TestDatabase) -> None:
    await talk.open()
    assert "booking assistant of Slotwise Demo" in talk.text()
    assert {"Haircut", "Consultation", "My bookings"} <= set(talk.labels())

    await book_haircut(talk)

    (reply,) = talk.last
    assert talk.text().startswith("Booked! Haircut with Ana, Tue, Dec 1, 12:00 PM – 12:45 PM.")
    booking = await m.Booking.get().prefetch_related("customer")
    assert f"https://book.example/b/{booking.manage_token}" in reply.text
    (ics,) = reply.attachments
    assert ics.content_type == "text/calendar"
    assert b"DTSTART:20261201T110000Z" in ics.data
    assert ics.url == f"https://book.example/b/{booking.manage_token}.ics"
    assert booking.start == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert booking.customer.name == "Ada Lovelace"
    assert booking.customer.email == "ada@example.com"
    assert booking.source_channel == "test"


async def test_asks_only_for_what_is_missing(talk: Talk) -> None:
    await talk.say("I'd like to book")
    assert "What would you like to book?" in talk.text()
    await talk.press("Haircut")
    assert "When would you like to come for Haircut?" in talk.text()
    assert talk.last[-1].hint == "date"
    await talk.say("tomorrow at 3pm")
    assert talk.labels()[0] == "Tue, Dec 1, 3:00 PM · Ana"
    assert "Tue, Dec 1, 3:00 PM is free for Haircut" in talk.text()


async def test_a_returning_customer_is_not_asked_again(chat: Chat, talk: Talk) -> None:
    await book_haircut(talk)
    again = Talk(
        Chat(
            chat._bookings,
            MemoryConversations(),
            public_url="https://book.example",
            clock=chat._clock,
        )
    )
    await again.say("haircut on Wednesday at 10")
    await again.press_first_slot()
    assert "Shall I book it?" in again.text()
    assert "Name: Ada Lovelace, contact: ada@example.com" in again.text()
    assert await m.Customer.all().count() == 1


async def test_a_returning_chat_customer_books_as_the_same_customer_row(
    chat: Chat, talk: Talk
) -> None:
    """Every booking used to make a new customer row, merged afterwards in a second
    transaction; now the second booking finds the first one's customer while it commits."""
    await book_haircut(talk)
    await talk.say("haircut on Wednesday at 10")
    await talk.press_first_slot()
    await talk.press("Confirm")
    assert "Booked!" in talk.text()
    customers = await m.Booking.all().values_list("customer_id", flat=True)
    assert len(customers) == 2
    assert len(set(customers)) == 1
    assert await m.Customer.all().count() == 1
    assert await m.ChannelIdentity.filter(channel="test", external_id="alice").count() == 1
    await talk.say("my bookings")
    assert "Wed" in talk.text()
    assert "Tue" in talk.text()


async def test_a_number_presses_the_button_at_that_place(talk: Talk) -> None:
    await talk.open()
    first = talk.labels()[0]
    await talk.say("1")
    assert f"When would you like to come for {first}?" in talk.text()


async def test_the_wish_that_cannot_be_met_is_explained_with_alternatives(talk: Talk) -> None:
    await talk.say("haircut on Sunday at 10")
    assert "Sun, Dec 6, 10:00 AM: Ana is not working then." in talk.text() or (
        "we are closed then" in talk.text()
    )
    assert any(label.startswith("Mon, Dec 7") for label in talk.labels())


async def test_too_soon_is_explained(talk: Talk) -> None:
    await talk.say("colour today at 2pm")
    assert "too soon: bookings need 1 day notice" in talk.text()
    assert any(o.value.startswith("slot:") for r in talk.last for o in r.options)


async def test_earlier_later_and_another_day(talk: Talk) -> None:
    await talk.say("haircut tomorrow afternoon")
    first = talk.labels()[0]
    await talk.press("Later")
    assert talk.labels()[0] != first
    await talk.press("Another day")
    assert talk.labels()[0].startswith("Wed, Dec 2")
    await talk.press("Earlier")
    assert talk.labels()[0].startswith("Tue, Dec 1")


async def test_a_hold_that_expired_is_taken_again_on_confirmation(talk: Talk, clock: Clock) -> None:
    await talk.say("haircut tomorrow afternoon")
    await talk.press_first_slot()
    await talk.say("Ada")
    await talk.say("+49 30 1234567")
    clock.advance(minutes=10)
    await talk.press("Confirm")
    assert talk.text().startswith("Booked!")
    assert await m.Booking.all().count() == 1


async def test_a_slot_taken_while_the_hold_was_gone(chat: Chat, talk: Talk, clock: Clock) -> None:
    await talk.say("haircut with Ana tomorrow at 3pm")
    await talk.press_first_slot()
    await talk.say("Ada")
    await talk.say("+49 30 1234567")
    clock.advance(minutes=10)
    taken = talk.last  # the summary, still on screen
    await chat._bookings.book(
        "haircut",
        datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
        CustomerInput("Bob"),
        provider="ana",
    )
    talk.last = taken
    await talk.press("Confirm")
    assert "my hold on that time ran out and someone else booked it" in talk.text()
    assert any(o.value.startswith("slot:") for r in talk.last for o in r.options)


async def test_list_cancel_and_reschedule(talk: Talk) -> None:
    await book_haircut(talk)
    await talk.say("my bookings")
    assert "Haircut with Ana, Tue, Dec 1, 12:00 PM – 12:45 PM" in talk.text()

    await talk.press("Move a booking")  # the only booking: not asked which
    assert "When would you like to move Haircut with Ana" in talk.text()
    await talk.say("Thursday at 11")
    await talk.press_first_slot()
    assert "Move Haircut from Tue, Dec 1, 12:00 PM to Thu, Dec 3, 11:00 AM" in talk.text()
    booking = await m.Booking.get()
    assert booking.start == datetime(2026, 12, 1, 11, 0, tzinfo=UTC), "kept until confirmed"
    await talk.press("Yes, move it")
    assert talk.text().startswith("Moved! Haircut with Ben is now Thu, Dec 3, 11:00 AM")
    await booking.refresh_from_db()
    assert booking.start == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

    await talk.say("cancel my appointment")  # the only booking: not asked which
    assert "Cancel Haircut with Ben, Thu, Dec 3, 11:00 AM?" in talk.text()
    await talk.press("Yes, cancel it")
    assert talk.text().startswith("Cancelled: Haircut with Ben, Thu, Dec 3, 11:00 AM.")
    await booking.refresh_from_db()
    assert booking.status == m.BookingStatus.CANCELLED


async def test_nothing_free_offers_the_waitlist(talk: Talk, chat: Chat) -> None:
    day = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # Saturday: Ana 09-14, Ben 10-16 (Berlin)
    service: BookingService = chat._bookings
    for slot in await service.offer("haircut", day.date(), day.date()):
        with contextlib.suppress(SlotUnavailable):  # an earlier booking overlaps it
            await service.book("haircut", slot.start, CustomerInput("Someone"))
    await talk.say("haircut on Saturday")
    assert "Sat, Dec 5 is fully booked." in talk.text()
    await talk.press("Join the waitlist")
    await talk.say("Ada")
    await talk.say("ada@example.com")
    assert "You're on the waitlist for Haircut" in talk.text()
    entry = await m.WaitlistEntry.get()
    assert entry.customer_id is not None


async def test_asking_for_a_person_notifies_staff(talk: Talk) -> None:
    await talk.say("I want to talk to a person")
    assert "asked our staff to reply" in talk.text()
    row = await m.Outbox.get(kind="staff_handover")
    assert row.payload["user"] == "alice"


async def test_garbage_emoji_and_strange_input_get_a_friendly_reply(talk: Talk) -> None:
    for text in ["🙂🙂🙂", "x" * 5000, "\x00\x01\u202e", "DROP TABLE booking;", "99", "-1"]:
        replies = await talk.say(text)
        assert replies[0].text
    await talk.say("💇 haircut tomorrow afternoon please 🙏")
    assert "Free times for Haircut" in talk.text()


async def test_a_stale_button_is_refused_kindly(talk: Talk) -> None:
    await talk.say("haircut tomorrow afternoon")
    old = talk.last
    await talk.say("start over")
    talk.last = old
    await talk.press_first_slot()
    assert "no longer available" in talk.text()


async def test_start_over_releases_the_hold(talk: Talk, chat: Chat) -> None:
    await talk.say("haircut with Ana tomorrow at 3pm")
    await talk.press_first_slot()
    await talk.say("start over")
    other = Talk(chat, user="bob")
    await other.say("haircut with Ana tomorrow at 3pm")
    assert "Tue, Dec 1, 3:00 PM is free" in other.text()


async def test_the_conversation_survives_a_restart_with_redis(
    demo: TestDatabase, redis_url: str, clock: Clock
) -> None:
    from bot.conversations import RedisConversations

    holds = MemoryHoldStore()
    bookings = BookingService(holds, clock=clock)
    prefix = f"test-{datetime.now(UTC).timestamp()}"
    stores = [RedisConversations(redis_url, prefix=prefix) for _ in range(2)]
    try:
        await Talk(Chat(bookings, stores[0], public_url="x", clock=clock)).say("haircut")
        talk = Talk(Chat(bookings, stores[1], public_url="x", clock=clock))
        await talk.say("tomorrow afternoon")
        assert "Free times for Haircut" in talk.text()
    finally:
        for store in stores:
            await store.close()


async def test_replies_in_the_customers_language(chat: Chat) -> None:
    talk = Talk(chat, locale="es")
    await talk.open()
    assert "asistente" in talk.text()
    await talk.say("corte de pelo mañana por la tarde")
    assert "mar, 1 dic" in talk.labels()[0]


async def test_switches_to_the_language_the_customer_writes_in(talk: Talk) -> None:
    await talk.open()
    await talk.say("quiero un corte de pelo mañana por la tarde")
    assert "mar, 1 dic" in talk.labels()[0]


async def test_times_name_the_customers_zone_when_it_differs(chat: Chat) -> None:
    talk = Talk(chat, timezone="America/New_York")
    await talk.say("haircut")
    await talk.press("Tomorrow")
    assert "(New York)" in talk.labels()[0]


async def test_cancelling_with_nothing_booked(talk: Talk, chat: Chat) -> None:
    await book_haircut(talk)
    token = (await m.Booking.get()).manage_token
    await chat._bookings.cancel(token, actor=Actor("admin", "test"))
    await talk.say("cancel my booking")
    assert "You have no upcoming bookings." in talk.text()


async def test_hello_is_greeted_and_nonsense_three_times_offers_a_person(talk: Talk) -> None:
    await talk.say("hi there")
    assert "booking assistant" in talk.text()
    await talk.say("asdf")
    assert talk.text().startswith("Sorry, I didn't understand that. What would you like to do?")
    await talk.say("qwerty")
    assert "Would you like a person to reply to you?" in talk.text()
    assert "Talk to a person" in talk.labels()


async def test_a_weekday_that_does_not_match_the_date_is_asked_about(talk: Talk) -> None:
    await talk.say("haircut on Thursday the 4th")  # 4 December 2026 is a Friday
    assert "That weekday and date don't match. Which day do you mean?" in talk.text()
    assert talk.last[-1].hint == "date"


async def test_a_number_without_options_on_screen(talk: Talk) -> None:
    await talk.say("haircut")
    await talk.press("Tomorrow")
    await talk.press_first_slot()
    await talk.say("3")  # asked for a name: no buttons
    assert "Please write just your name" in talk.text()
    await talk.say("Ada")
    await talk.say("ada@example.com")
    await talk.say("7")
    assert "Please pick a number from 1 to 2." in talk.text()


async def test_changing_language_on_request(talk: Talk) -> None:
    await talk.say("change language")
    assert "Español" in talk.labels()
    await talk.press("Deutsch")
    assert "Deutsch" in talk.text()
    await talk.say("help")
    assert talk.text() != ""


async def test_a_customer_on_utc_sees_utc_named(chat: Chat) -> None:
    talk = Talk(chat, timezone="UTC")
    await talk.say("haircut tomorrow at 2pm")
    assert "Tue, Dec 1, 2:00 PM (UTC)" in talk.text()


async def test_a_service_the_business_does_not_offer(talk: Talk) -> None:
    await talk.say("I want to book an appointment")
    assert "What would you like to book?" in talk.text()
    await talk.say("I'd like to book a massage")
    assert "Sorry, I couldn't find that among our services. Please pick one:" in talk.text()
    assert "Haircut" in talk.labels()


async def test_typed_button_labels_work_like_the_buttons(talk: Talk) -> None:
    await book_haircut(talk)
    await talk.say("move a booking")  # the only booking: not asked which
    await talk.say("Thursday at 11")
    await talk.press_first_slot()
    await talk.say("yes, move it")
    assert talk.text().startswith("Moved!")
    await talk.say("cancel a booking")
    await talk.say("yes, cancel it")
    assert talk.text().startswith("Cancelled:")


async def test_two_messages_at_once_are_answered_in_turn(talk: Talk, chat: Chat) -> None:
    await talk.say("haircut on Tuesday afternoon")
    first = next(o for r in talk.last for o in r.options if o.value.startswith("slot:"))
    pick = chat.handle(Inbound("test", "alice", choice=first.value))
    name = chat.handle(Inbound("test", "alice", text="Ada Lovelace"))
    held, named = await asyncio.gather(pick, name)
    assert "I'm holding" in held[0].text
    assert "phone number or e-mail" in named[0].text, "the name came after the hold"


async def test_a_timezone_sent_later_is_taken(talk: Talk) -> None:
    await talk.say("haircut")
    talk.timezone = "America/New_York"
    await talk.say("Tuesday afternoon")
    assert "(New York)" in talk.labels()[0]


async def test_paging_after_an_exact_wish_starts_from_the_extremes_shown(talk: Talk) -> None:
    await talk.say("haircut on Tuesday at 3pm")  # listed closest first: 3:00, 2:45, 3:15...
    shown = set(talk.labels()[:5])
    for button in ("Earlier", "Later"):
        await talk.press(button)
        paged = {label for label in talk.labels() if "·" in label}
        assert paged, talk.text()
        assert not paged & shown, f"{button}: a slot shown twice"
        await talk.say("haircut on Tuesday at 3pm")


async def test_a_new_wish_while_asked_for_a_name_is_a_wish(talk: Talk) -> None:
    await talk.say("haircut on Tuesday afternoon")
    await talk.press_first_slot()
    assert "What name" in talk.text()
    await talk.say("colour on Friday morning")
    assert "Free times for Colour" in talk.text()


async def test_a_provider_who_does_not_offer_the_service(talk: Talk) -> None:
    await talk.say("yoga class with Ana on Wednesday")
    assert "That person doesn't offer this service; here is who does." in talk.text()
    assert any("Mia" in label for label in talk.labels())


async def test_too_far_ahead_is_explained(talk: Talk) -> None:
    await talk.say("check-up on 15 January at 10")  # bookable 30 days ahead
    assert "is too far ahead: bookings open up to" in talk.text()


async def test_fresh_sessions_from_one_address_do_not_hoard_slots(chat: Chat) -> None:
    """Twelve fresh web chat sessions from one address held every haircut of a day."""
    talks = [Talk(chat, user=f"session-{n}", origin="203.0.113.7") for n in range(6)]
    for talk in talks:
        await talk.say("haircut tomorrow afternoon")
        await talk.press_first_slot()
    held = ["I'm holding" in talk.text() for talk in talks]
    assert held == [True] * 5 + [False]  # SLOTWISE_LIVE_HOLDS_PER_ADDRESS: 5
    elsewhere = Talk(chat, user="neighbour", origin="198.51.100.2")
    await elsewhere.say("haircut tomorrow afternoon")
    await elsewhere.press_first_slot()
    assert "I'm holding" in elsewhere.text()


async def test_a_conversation_holds_one_slot_at_most(chat: Chat, clock: Clock) -> None:
    talk = Talk(chat, origin="203.0.113.7")
    for _ in range(7):  # each new pick gives the previous hold back
        await talk.say("haircut tomorrow afternoon")
        await talk.press_first_slot()
        assert "I'm holding" in talk.text()
    other = Talk(chat, user="bob", origin="203.0.113.7")
    await other.say("haircut tomorrow afternoon")
    await other.press_first_slot()
    assert "I'm holding" in other.text()
