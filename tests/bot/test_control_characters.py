"""Control characters in a chat message: a name or contact holding one is asked for again;
elsewhere they are dropped before the message is read. Found by an outside probe: a NUL in
a chat customer's name was kept, and PostgreSQL then refused every booking for them."""

from __future__ import annotations

from core import models as m
from tests.bot.conftest import Talk
from tests.conftest import TestDatabase


async def hold_a_haircut(talk: Talk) -> None:
    await talk.say("haircut tomorrow afternoon")
    await talk.press_first_slot()
    assert "What name" in talk.text()


async def test_a_name_with_a_nul_is_asked_again_then_booked(talk: Talk, demo: TestDatabase) -> None:
    await hold_a_haircut(talk)
    await talk.say("Ada\x00 Lovelace")
    assert "characters I cannot use" in talk.text()
    assert "What name should I put the booking under?" in talk.text()
    await talk.say("Ada Lovelace")
    assert "phone number or e-mail" in talk.text()
    await talk.say("ada@example.com\x1b[31m")
    assert "characters I cannot use" in talk.text()
    assert "What phone number or e-mail can we reach you at?" in talk.text()
    await talk.say("ada@example.com")
    assert "Shall I book it?" in talk.text()
    await talk.press("Confirm")
    assert talk.text().startswith("Booked!")
    booking = await m.Booking.get().prefetch_related("customer")
    assert booking.customer.name == "Ada Lovelace"


async def test_control_characters_elsewhere_are_dropped_before_reading(
    talk: Talk, demo: TestDatabase
) -> None:
    await talk.say("hair\x00cut tomorrow\x07 afternoon\x7f")
    assert "Free times for Haircut" in talk.text()


async def test_the_refusal_speaks_every_language(talk: Talk, demo: TestDatabase) -> None:
    await talk.say("corte de pelo mañana por la tarde")
    await talk.press_first_slot()
    await talk.say("Ana\x00")
    assert "Tu nombre tiene caracteres que no puedo usar." in talk.text()
    assert "¿A nombre de quién pongo la cita?" in talk.text()
