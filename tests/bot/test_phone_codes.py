"""A phone number typed into a chat links that chat to the bookings of the customer with
the number only after the code sent to it by SMS comes back (issue 13).

The customer Ada booked by SMS from +4915123456789 (the carrier vouches for it). Someone
on the web chat types that number: without the code they must not see her bookings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.conversations import MemoryConversations
from bot.runner import Chat
from core import models as m
from tests.bot.conftest import Clock, Talk
from tests.conftest import TestDatabase

ADA = "+4915123456789"


@dataclass
class Phone:
    """Where the codes go: stands in for the SMS channel (tested with Twilio's fake in
    tests/channels/sms/test_send.py)."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    down: bool = False

    async def __call__(self, phone: str, code: str, business: str, lang: str) -> None:
        if self.down:
            raise OSError("Twilio is unreachable")
        self.sent.append((phone, code, lang))

    @property
    def code(self) -> str:
        return self.sent[-1][1]


@pytest.fixture
def phone() -> Phone:
    return Phone()


@pytest.fixture
def coded(chat: Chat, clock: Clock, phone: Phone) -> Chat:
    return Chat(
        chat._bookings,
        MemoryConversations(),
        public_url="https://book.example",
        clock=clock,
        send_code=phone,
        code_key=b"k" * 32,
    )


async def book(talk: Talk, when: str, name: str, contact: str) -> None:
    await talk.say(f"haircut {when}")
    await talk.press_first_slot()
    await talk.say(name)
    await talk.say(contact)


async def ada_booked_by_sms(coded: Chat) -> Talk:
    sms = Talk(coded, user=ADA, channel="sms")
    await book(sms, "tomorrow afternoon", "Ada Lovelace", ADA)
    assert "Shall I book it?" in sms.text()  # her own number: no code
    await sms.press("Confirm")
    assert "Booked!" in sms.text()
    return sms


async def test_a_typed_number_links_the_chat_only_after_its_code_comes_back(
    coded: Chat, phone: Phone, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    assert phone.sent == []
    web = Talk(coded, user="w1", channel="web")
    await book(web, "on Wednesday at 10", "Ada Lovelace", "+49 1512 3456789")
    assert "sent a code by SMS" in web.text()
    assert [(p, lang) for p, _, lang in phone.sent] == [(ADA, "en")]
    assert "Go on without linking" in web.labels()
    assert not await m.ChannelIdentity.filter(channel="web").exists()  # not before the code

    await web.say("000000" if phone.code != "000000" else "111111")
    assert "That code is not right." in web.text()
    await web.say(f"{phone.code[:3]} {phone.code[3:]}")
    assert "Thank you, your number is confirmed." in web.text()
    assert "Shall I book it?" in web.text()
    await web.press("Confirm")
    assert "Booked!" in web.text()
    await web.say("my bookings")
    assert "Tue, Dec 1" in web.text()
    assert "Wed, Dec 2" in web.text()
    assert await m.Customer.all().count() == 1


async def test_going_on_without_the_code_books_apart(
    coded: Chat, phone: Phone, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    web = Talk(coded, user="w1", channel="web")
    await book(web, "on Wednesday at 10", "Eve", ADA)
    await web.press("Go on without linking")
    assert "stays apart" in web.text()
    assert "Shall I book it?" in web.text()
    await web.press("Confirm")
    await web.say("my bookings")
    assert "Wed, Dec 2" in web.text()
    assert "Tue, Dec 1" not in web.text()
    assert await m.Customer.all().count() == 2


async def test_a_number_nobody_has_needs_no_code(
    coded: Chat, phone: Phone, demo: TestDatabase
) -> None:
    web = Talk(coded, user="w1", channel="web")
    await book(web, "tomorrow afternoon", "Eve", ADA)
    assert "Shall I book it?" in web.text()
    assert phone.sent == []


async def test_without_sms_a_typed_number_books_apart_and_links_nothing(
    chat: Chat, coded: Chat, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    web = Talk(chat, user="w1", channel="web")  # a chat without a code sender
    await book(web, "on Wednesday at 10", "Ada Lovelace", ADA)
    assert "Shall I book it?" in web.text()
    await web.press("Confirm")
    await web.say("my bookings")
    assert "Tue, Dec 1" not in web.text()


async def test_an_sms_that_cannot_go_out_lets_the_booking_go_on(
    coded: Chat, phone: Phone, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    phone.down = True
    web = Talk(coded, user="w1", channel="web")
    await book(web, "on Wednesday at 10", "Ada Lovelace", ADA)
    assert "Shall I book it?" in web.text()


async def test_a_code_runs_out_after_its_tries_and_no_more_than_three_are_sent(
    coded: Chat, phone: Phone, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    web = Talk(coded, user="w1", channel="web")
    await book(web, "on Wednesday at 10", "Ada Lovelace", ADA)
    wrong = "000000" if phone.code != "000000" else "111111"
    for _ in range(4):
        await web.say(wrong)
        assert "That code is not right." in web.text()
    await web.say(wrong)
    assert "That code can no longer be used." in web.text()
    await web.say(phone.code)  # too late: that code is void
    assert "confirmed" not in web.text()
    await web.press("Send a new code")
    await web.press("Send a new code")
    assert len(phone.sent) == 3
    await web.press("Send a new code")
    assert "can't send more codes" in web.text()
    assert "Shall I book it?" in web.text()
    assert len(phone.sent) == 3


async def test_an_expired_code_is_refused(
    coded: Chat, phone: Phone, clock: Clock, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    web = Talk(coded, user="w1", channel="web")
    await book(web, "on Wednesday at 10", "Ada Lovelace", ADA)
    clock.advance(minutes=11)
    await web.say(phone.code)
    assert "That code can no longer be used." in web.text()
    await web.say("my bookings")
    assert "Tue, Dec 1" not in web.text()


async def test_a_code_in_another_language(coded: Chat, phone: Phone, demo: TestDatabase) -> None:
    await ada_booked_by_sms(coded)
    web = Talk(coded, user="w1", channel="web", locale="de")
    await web.say("Haarschnitt am Mittwoch um 10")
    await web.press_first_slot()
    await web.say("Ada Lovelace")
    await web.say(ADA)
    assert phone.sent[-1][2] == "de"
    assert "Code" in web.text()


async def test_a_phone_number_with_spaces_is_a_contact_not_a_time(talk: Talk) -> None:
    """ "+49 1512 3456789" also reads as 3:12 PM: asked for a contact, it was taken for a
    new wish and the slots were searched again."""
    await book(talk, "tomorrow afternoon", "Ada Lovelace", "+49 1512 3456789")
    assert "contact: +4915123456789. Shall I book it?" in talk.text()


async def test_one_number_gets_five_codes_an_hour_whatever_the_chats(
    coded: Chat, phone: Phone, clock: Clock, demo: TestDatabase
) -> None:
    await ada_booked_by_sms(coded)
    for n in range(6):
        web = Talk(coded, user=f"w{n}", channel="web")
        await book(web, "on Wednesday at 10", "Mallory", ADA)
    assert len(phone.sent) == 5
    assert "Shall I book it?" in web.text()  # the sixth goes on without a code
    clock.advance(hours=1)
    await book(Talk(coded, user="w9", channel="web"), "on Thursday at 10", "Mallory", ADA)
    assert len(phone.sent) == 6
