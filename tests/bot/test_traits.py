"""The dialog fits the channel's traits: the same conversation through an SMS-like channel.

The channel has no buttons (options are numbered lines the customer answers by
number), five options at most, 320 characters a message, no files, no date
picker, and the carriers' words (STOP, CANCEL, YES, START, HELP, INFO...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.dialog.fit import fit
from bot.inbound import Inbound
from bot.replies import Option, Reply, as_text
from bot.runner import Chat
from bot.traits import ChannelTraits
from channels.base import CARRIER_KEYWORDS, Channel
from core import models as m
from tests.bot.conftest import _plain
from tests.conftest import TestDatabase

SMS_LIKE = ChannelTraits(
    has_buttons=False,
    max_options=5,
    max_text=320,
    attachments=False,
    reserved_words=CARRIER_KEYWORDS,
    date_picker=False,
)
QUOTED = re.compile(r"[“\"«„]([^”\"»“]+)[”\"»“]")
ASKS = re.compile(r"\b(?:reply|type|write|text|send|answer)\s+\W?(\w+)", re.IGNORECASE)


@dataclass
class SmsLike:
    """A channel of the SMS kind, for the test: it sends what it gets as plain text."""

    chat: Chat
    name: str = "sms-test"
    traits: ChannelTraits = SMS_LIKE
    sent: list[str] = field(default_factory=list)
    last: list[Reply] = field(default_factory=list)

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        self.sent.extend(as_text(r, attachments=self.traits.attachments) for r in replies)

    async def say(self, text: str | None = None) -> str:
        inbound = Inbound(self.name, "+4915112345678", text=text, locale="en", traits=self.traits)
        self.last = await self.chat.handle(inbound)
        await self.send(inbound.user, self.last)
        for reply in self.last:
            assert_fits(reply, self.traits)
        return _plain("\n".join(as_text(r, attachments=False) for r in self.last))

    def number_of(self, label_part: str) -> str:
        options = [o for r in self.last for o in r.options]
        for i, option in enumerate(options, 1):
            if label_part.lower() in _plain(option.label).lower():
                return str(i)
        raise AssertionError(f"no {label_part!r} in {[o.label for o in options]}")


def assert_fits(reply: Reply, traits: ChannelTraits) -> None:
    message = as_text(reply, attachments=traits.attachments)
    assert len(message) <= traits.max_text, message
    assert len(reply.options) <= traits.max_options, reply.options
    assert reply.hint is None  # no date picker
    asked = [
        *(o.label for o in reply.options),  # every label is something one may type back
        *QUOTED.findall(reply.text),
        *ASKS.findall(reply.text),
    ]
    for phrase in asked:
        words = {w.upper() for w in re.findall(r"\w+", phrase)}
        assert not words & traits.reserved_words, f"asks for {phrase!r}: {message!r}"
    words = set(re.findall(r"\w+", re.sub(r"https?://\S+", "", reply.text.lower())))
    assert not words & {"tap", "button", "buttons"}, message  # no button-only instructions


def test_the_test_channel_is_a_channel(chat: Chat) -> None:
    assert isinstance(SmsLike(chat), Channel)


async def test_a_booking_by_typing_numbers_on_an_sms_like_channel(
    chat: Chat, demo: TestDatabase
) -> None:
    sms = SmsLike(chat)
    greeting = await sms.say()
    assert "booking assistant of Slotwise Demo" in greeting
    assert "\n1. Consultation\n" in greeting
    assert greeting.endswith("5. More")  # five services, My bookings, Help: four, then More

    await sms.say(sms.number_of("Haircut"))
    slots = await sms.say(sms.number_of("Tomorrow"))
    assert "Free times for Haircut" in slots
    assert sms.last[-1].options[-1].label == "More"
    later = await sms.say(sms.number_of("More"))  # the rest of the slots and the paging
    assert "Later" in later
    assert len(sms.last[-1].options) <= SMS_LIKE.max_options

    await sms.say("1")
    assert "I'm holding Tue, Dec 1" in _plain(as_text(sms.last[-1]))
    await sms.say("Ada Lovelace")
    summary = await sms.say("ada@example.com")
    assert "Shall I book it?\n1. Go ahead\n2. Not now" in summary  # not YES, not CANCEL
    booked = await sms.say("1")
    assert booked.startswith("Booked! Haircut with Ana, Tue, Dec 1")
    assert "https://book.example/b/" in booked
    assert ".ics\n" in booked or booked.endswith(".ics")  # a link, not a file
    booking = await m.Booking.get()
    assert booking.source_channel == "sms-test"
    assert all(len(message) <= SMS_LIKE.max_text for message in sms.sent)


async def test_help_and_cancelling_ask_for_no_carrier_word(chat: Chat, demo: TestDatabase) -> None:
    sms = SmsLike(chat)
    await sms.say()
    await sms.say(sms.number_of("More"))
    helped = await sms.say(sms.number_of("What I can do"))
    assert "the number of an option" in helped
    assert "Start over" not in helped
    labels = [o.label for r in sms.last for o in r.options]
    assert "Call off a booking" in labels or "More" in labels


def test_a_long_reply_is_split_within_max_text() -> None:
    text = " ".join(f"Sentence number {i} says a little." for i in range(40))
    options = tuple(Option(f"An option with a rather long label {i}", f"v:{i}") for i in range(9))
    fitted = fit([Reply(text, options)], SMS_LIKE, lambda s: s)
    assert len(fitted.replies) > 1
    for reply in fitted.replies:
        assert_fits(reply, SMS_LIKE)
    assert fitted.options is not None
    assert [o.value for o in fitted.replies[-1].options] == [o.value for o in fitted.options]
    assert [o.value for o in fitted.more] == [f"v:{i}" for i in range(4, 9)]
    assert " ".join(r.text for r in fitted.replies).split() == text.split()  # nothing lost


def test_a_label_with_a_carrier_word_loses_it() -> None:
    fitted = fit([Reply("Which?", (Option("Info session", "svc:info"),))], SMS_LIKE, str)
    assert fitted.replies[0].options[0].label == "session"
    rich = ChannelTraits(True, 8, 2000, True, frozenset(), True)
    kept = fit([Reply("Which?", (Option("Info session", "svc:info"),))], rich, str)
    assert kept.replies[0].options[0].label == "Info session"
