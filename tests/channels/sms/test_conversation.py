"""Whole conversations by SMS and WhatsApp through the real bot, and bookings across channels.

Every answer is checked against the channel's traits (``assert_fits``: length, option
count, no carrier word asked for, no buttons mentioned).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from quart import Quart

from bot.replies import Reply
from channels.sms import SMS_TRAITS, WHATSAPP_TRAITS
from core import models as m
from tests.bot.test_traits import assert_fits
from tests.channels.sms.conftest import CUSTOMER, Phone

TRANSCRIPT = os.environ.get("SLOTWISE_SMS_TRANSCRIPT")
"""Where to write the SMS conversation as the phone saw it (pasted into docs/channels/sms.md)."""


def fits(phone: Phone) -> None:
    traits = SMS_TRAITS if phone.kind == "sms" else WHATSAPP_TRAITS
    for message in phone.last:
        assert len(message) <= traits.max_text, message
        lines = [line for line in message.splitlines() if line[:2].rstrip(".").isdigit()]
        assert len(lines) <= traits.max_options, message
        for line in lines:  # an option's words may be typed back instead of its number
            words = {w.upper() for w in re.findall(r"\w+", line.partition(". ")[2])}
            assert not words & traits.reserved_words, f"offers {line!r}: {message!r}"
        assert_fits(Reply(message), traits)


async def say(phone: Phone, text: str) -> str:
    answer = await phone.text(text)
    assert answer, f"no answer to {text!r}"
    fits(phone)
    return answer


async def test_book_list_move_and_cancel_by_sms(app: Quart) -> None:
    phone = Phone(app)
    assert "booking assistant of Slotwise Demo" in await say(phone, "hi")
    await say(phone, "blorf qux zzz")  # garbage: a friendly answer, nothing changes
    slots = await say(phone, "haircut on Tuesday afternoon")
    assert "Free times for Haircut" in slots
    await say(phone, "1")
    summary = await say(phone, "Ada Lovelace")
    assert CUSTOMER in summary  # the number the carrier vouched for is the contact
    assert "1. Go ahead\n2. Not now" in summary
    booked = await say(phone, phone.number_of("Go ahead"))
    assert booked.startswith("Booked! Haircut")
    assert "https://book.example/b/" in booked  # the link, not a file
    # The number's country has one zone: it is the customer's, for times and quiet hours.
    assert await m.Customer.filter(phone=CUSTOMER).values_list("timezone", flat=True) == [
        "Europe/Berlin"
    ]

    listed = await say(phone, phone.number_of("My bookings"))
    assert "Haircut" in listed
    await say(phone, phone.number_of("Move a booking"))
    await say(phone, "1")  # which booking
    moved_to = await say(phone, "Wednesday afternoon")
    assert "Free times" in moved_to or "1." in moved_to
    held = await say(phone, "1")
    assert held.startswith("Move Haircut from Tue")
    moved = await say(phone, phone.number_of("Go ahead"))
    assert moved.startswith("Moved! Haircut with Ana is now Wed"), moved
    rows = await m.Booking.all().values_list("status", "start")
    assert len(rows) == 1, rows
    assert rows[0][1].weekday() == 2  # Wednesday
    await say(phone, "my bookings")
    await say(phone, phone.number_of("Call off a booking"))
    answer = await phone.text("1")
    if "Cancelled" not in answer and "cancelled" not in answer:
        answer = await say(phone, "1")
    assert "ancelled" in answer, answer
    booking = await m.Booking.get()
    assert booking.status == m.BookingStatus.CANCELLED
    assert booking.source_channel == "sms"

    person = await say(phone, "I want to talk to a person")
    assert person
    assert await m.Outbox.filter(kind="staff_handover").exists()
    german = await say(phone, "Ich möchte einen Haarschnitt am Dienstag")
    assert "Haarschnitt" in german or "Dienstag" in german or "Di." in german
    if TRANSCRIPT:
        Path(TRANSCRIPT).write_text("\n".join(phone.transcript) + "\n", encoding="utf-8")


async def test_a_web_booking_with_the_same_phone_is_seen_and_cancelled_by_sms(app: Quart) -> None:
    client = app.test_client()

    async def web(**message: object) -> list[dict[str, object]]:
        response = await client.post("/chat/messages", json={"session": "w" * 24, **message})
        replies: list[dict[str, object]] = (await response.get_json())["replies"]
        return replies

    def value(replies: list[dict[str, object]], label: str) -> str:
        for reply in replies:
            for option in reply["options"]:  # type: ignore[attr-defined]
                if option["label"] == label:
                    return str(option["value"])
        raise AssertionError(f"{label} not in {replies}")

    replies = await web(text="haircut on Tuesday afternoon")
    first = next(str(o["value"]) for r in replies for o in r["options"])  # type: ignore[attr-defined]
    await web(choice=first)
    await web(text="Grace Hopper")
    replies = await web(text="+4915112345678")
    await web(choice=value(replies, "Confirm"))
    assert await m.Booking.filter(status=m.BookingStatus.CONFIRMED).count() == 1

    phone = Phone(app)
    listed = await say(phone, "my bookings")
    assert "Haircut" in listed
    await say(phone, phone.number_of("Call off a booking"))
    answer = await phone.text("1")
    if "ancelled" not in answer:
        answer = await say(phone, "1")
    assert "ancelled" in answer, answer
    assert await m.Booking.filter(status=m.BookingStatus.CONFIRMED).count() == 0


async def test_a_booking_by_whatsapp(app: Quart) -> None:
    phone = Phone(app, kind="whatsapp")
    await say(phone, "haircut on Tuesday afternoon")
    await say(phone, "1")
    await say(phone, "Ada Lovelace")
    assert (await say(phone, phone.number_of("Confirm"))).startswith("Booked!")
    booking = await m.Booking.get().prefetch_related("customer")
    assert booking.source_channel == "whatsapp"
    assert booking.customer.phone == CUSTOMER
