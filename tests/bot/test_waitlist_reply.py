"""A waitlist joined in the chat: its offer is taken there by "1" or by the button."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from bot.conversations import MemoryConversations
from bot.inbound import Inbound
from bot.runner import Chat
from bot.waitlist import accept_value
from core import models as m
from core.bookings import Actor, BookingService, Cascade, CustomerInput, OfferHolds
from core.errors import SlotUnavailable
from core.holds import MemoryHoldStore
from tests.bot.conftest import Clock, Talk
from tests.conftest import TestDatabase

SATURDAY = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # Ana 09-14, Ben 10-16 (Berlin)


async def waiting_in_the_chat(
    demo: TestDatabase, clock: Clock
) -> tuple[Chat, Talk, Cascade, list[str]]:
    bookings = BookingService(OfferHolds(MemoryHoldStore()), clock=clock)
    cascade = Cascade(bookings)
    chat = Chat(
        bookings,
        MemoryConversations(),
        public_url="https://book.example",
        clock=clock,
        cascade=cascade,
    )
    tokens = []
    for slot in await bookings.offer("haircut", SATURDAY.date(), SATURDAY.date()):
        with contextlib.suppress(SlotUnavailable):
            info = await bookings.book("haircut", slot.start, CustomerInput("Someone"))
            tokens.append(info.manage_token)
    talk = Talk(chat, channel="telegram")
    await talk.say("haircut on Saturday")
    await talk.press("Join the waitlist")
    await talk.say("Ada")
    await talk.say("ada@example.com")
    assert "You're on the waitlist for Haircut" in talk.text()
    await talk.say("thanks")  # the menu is on screen; the offer comes after it
    clock.advance(minutes=5)
    first = await bookings.get(tokens[0])
    await bookings.cancel(tokens[0], actor=Actor("admin", "Root", "admin"), override=True)
    steps = await cascade.freed(first.start, first.end, clock())
    assert [s.action for s in steps] == ["offered"]
    return chat, talk, cascade, tokens


async def test_one_in_the_chat_takes_the_offer(demo: TestDatabase, clock: Clock) -> None:
    _chat, talk, _cascade, _ = await waiting_in_the_chat(demo, clock)
    talk.last = []
    await talk.say("1")
    assert talk.text().startswith("It's yours: Haircut")
    entry = await m.WaitlistEntry.get()
    assert entry.status == "booked"
    await talk.say("1")  # no offer open any more: the digit is the dialog's again
    assert not talk.text().startswith("It's yours")


async def test_the_accept_button_takes_the_offer(demo: TestDatabase, clock: Clock) -> None:
    chat, talk, _cascade, _ = await waiting_in_the_chat(demo, clock)
    offer = await m.WaitlistOffer.get()
    replies = await chat.handle(Inbound("telegram", talk.user, choice=accept_value(offer.token)))
    assert replies[0].text.startswith("It's yours")
    assert (await m.WaitlistOffer.get()).status == "accepted"


async def test_after_a_no_show_taking_an_offer_in_the_chat_is_refused_kindly(
    demo: TestDatabase, clock: Clock
) -> None:
    from tests.bot.test_noshow_policy import policy

    await policy(1, "refuse_chat")  # (replacing the business empties the waitlist: first)
    _chat, talk, cascade, _ = await waiting_in_the_chat(demo, clock)
    monday = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    (slot, *_) = await cascade.bookings.offer("haircut", monday.date(), monday.date())
    missed = await cascade.bookings.book(
        "haircut", slot.start, CustomerInput("Ada", email="ada@example.com")
    )
    before = clock.now
    clock.now = slot.start
    await cascade.bookings.mark_no_show(missed.manage_token, actor=Actor("staff", "Ana", "slack"))
    clock.now = before
    talk.last = []
    await talk.say("1")
    assert talk.text().startswith("Because of 1 missed appointment, this service cannot be")
    assert (await m.WaitlistOffer.get()).status == "declined"  # the next one's turn
    assert (await m.WaitlistEntry.get()).status == "expired"
