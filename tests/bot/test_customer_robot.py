"""What a scripted customer tripped over when it booked, moved and cancelled by chat in five
languages: each test is one whole conversation through the runner, named after what broke.

Monday 30 November 2026, 09:00 in Berlin, with the demo business (see test_conversation.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.runner import Chat
from bot.understand import catalog_of, understand
from core import models as m
from core.business import BusinessInfo, Directory, Entry
from tests.bot.conftest import NOW, Talk
from tests.bot.test_conversation import book_haircut


async def _state_lang(chat: Chat, talk: Talk) -> str:
    state = await chat._conversations.get(talk.channel, talk.user)
    assert state is not None
    return state.lang


async def test_french_cancel_with_mon_is_not_read_as_an_english_booking_on_monday(
    chat: Chat, talk: Talk
) -> None:
    await book_haircut(talk)
    await talk.say("français")
    assert await _state_lang(chat, talk) == "fr"
    await talk.say("Je dois annuler mon rendez-vous")
    assert await _state_lang(chat, talk) == "fr"
    assert "Annuler ce rendez-vous" in talk.text()
    await talk.press("Oui")
    assert (await m.Booking.get()).status == m.BookingStatus.CANCELLED


async def test_rephrasing_a_cancel_in_french_gets_out_of_english(chat: Chat, talk: Talk) -> None:
    await book_haircut(talk)
    assert await _state_lang(chat, talk) == "en"
    await talk.say("Je veux annuler mon rendez-vous")
    assert await _state_lang(chat, talk) == "fr"
    assert "Annuler ce rendez-vous" in talk.text()


async def test_an_english_booking_on_monday_stays_english(chat: Chat, talk: Talk) -> None:
    await talk.say("haircut on Monday at 11")
    assert await _state_lang(chat, talk) == "en"
    assert "Mon, Dec 7" in talk.text()


async def test_great_then_a_new_time_is_that_time_not_a_yes(talk: Talk) -> None:
    await book_haircut(talk)
    await talk.say("Great, Friday at 5 then")
    assert "What would you like to book?" not in talk.text()
    assert "Fri, Dec 4, 5:00 PM" in talk.text()


async def test_great_naming_the_held_time_confirms_it(talk: Talk) -> None:
    await talk.say("haircut on Friday at 5pm")
    await talk.press_first_slot()
    await talk.say("Ada Lovelace")
    await talk.say("ada@example.com")
    assert "Fri, Dec 4, 5:00 PM" in talk.text()
    assert "Shall I book it?" in talk.text()
    await talk.say("Great, Friday at 5 then")
    assert talk.text().startswith("Booked!")


async def test_super_with_a_service_and_time_books_that(chat: Chat) -> None:
    talk = Talk(chat, locale="de")
    await talk.open()
    await talk.say("Super, einen Haarschnitt am Freitag um 17 Uhr")
    assert "Fr., 4. Dez." in talk.text()
    assert any(o.value.startswith("slot:") for r in talk.last for o in r.options)


async def test_plain_yes_words_still_confirm(chat: Chat) -> None:
    for user, locale, word in (("en", "en", "yes"), ("de", "de", "ja"), ("fr", "fr", "oui")):
        talk = Talk(chat, user=user, locale=locale)
        await talk.say("haircut tomorrow at 3pm")
        await talk.press_first_slot()
        await talk.say("Ada Lovelace")
        await talk.say("ada@example.com")
        await talk.say(word)
        assert await m.Booking.filter(customer__name="Ada Lovelace").count() == len(
            await m.Booking.all()
        )
    assert await m.Booking.all().count() == 3


async def test_move_it_to_thursday_neither_asks_which_booking_nor_the_day_again(
    talk: Talk,
) -> None:
    await book_haircut(talk)
    await talk.say("Move it to Thursday")
    assert "Which booking" not in talk.text()
    assert "When would you like" not in talk.text()
    assert talk.labels()[0].startswith("Thu, Dec 3")
    await talk.press_first_slot()
    await talk.press("Yes, move it")
    assert talk.text().startswith("Moved!")
    booking = await m.Booking.get()
    assert booking.start.astimezone(UTC).date() == datetime(2026, 12, 3, tzinfo=UTC).date()


async def test_with_two_bookings_the_move_asks_which_then_keeps_the_day(talk: Talk) -> None:
    await book_haircut(talk)
    await talk.say("haircut on Wednesday at 10")
    await talk.press_first_slot()
    await talk.press("Confirm")
    await talk.say("Move my booking to Thursday")
    assert "Which booking would you like to move?" in talk.text()
    await talk.press("Wed")
    assert talk.labels()[0].startswith("Thu, Dec 3")


async def test_a_name_with_an_email_keeps_both(talk: Talk) -> None:
    await talk.say("haircut tomorrow afternoon")
    await talk.press_first_slot()
    await talk.say("Sophie Turner, sophie.t@example.com")
    assert "just your name" not in talk.text()
    assert "Name: Sophie Turner, contact: sophie.t@example.com" in talk.text()
    await talk.press("Confirm")
    customer = await m.Customer.get()
    assert (customer.name, customer.email) == ("Sophie Turner", "sophie.t@example.com")


async def test_a_day_nobody_works_is_closed_not_one_person_off(talk: Talk) -> None:
    await talk.say("haircut on Sunday at 10")
    assert "Sun, Dec 6, 10:00 AM: we are closed then." in talk.text()
    assert "not working" not in talk.text()


async def test_a_person_asked_for_is_the_one_not_working(talk: Talk) -> None:
    await talk.say("haircut with Ana on Monday at 10")
    assert "Mon, Dec 7, 10:00 AM: Ana is not working then." in talk.text()


async def test_an_alias_of_several_common_words_names_its_service(chat: Chat) -> None:
    talk = Talk(chat, locale="fr")
    await talk.open()
    await talk.say("Je voudrais un premier rendez-vous demain après-midi")
    assert "Consultation" in talk.text()
    assert any(o.value.startswith("slot:") for r in talk.last for o in r.options)


async def test_a_german_customer_reads_the_services_in_german(chat: Chat) -> None:
    talk = Talk(chat, locale="de")
    await talk.open()
    assert "Haarschnitt" in talk.labels()
    assert "Haircut" not in talk.labels()
    await talk.press("Haarschnitt")
    assert "Haarschnitt" in talk.text()
    await talk.press("Morgen")
    await talk.press_first_slot()
    await talk.say("Ada Lovelace, ada@example.com")
    assert "Haarschnitt bei Ana" in talk.text()
    await talk.press("Bestätigen")
    (reply,) = talk.last
    assert "Haarschnitt" in reply.text
    assert b"SUMMARY:Haarschnitt" in reply.attachments[0].data


def test_a_name_in_another_language_is_understood_when_written() -> None:
    info = BusinessInfo("Salon", "Europe/Berlin")
    haircut = Entry("cut", "Haircut", names=(("de", "Haarschnitt"), ("ru", "Стрижка")))
    catalog = catalog_of(Directory(info, (haircut,), ()))
    for lang, text in (("de", "Haarschnitt morgen"), ("ru", "стрижка завтра")):
        reading = understand(text, now=NOW, zone="Europe/Berlin", lang=lang, catalog=catalog)
        assert reading.service == "cut", text


async def test_a_person_not_working_is_named_in_the_customers_language(chat: Chat) -> None:
    """The engine names the person by the business file's ``name`` ("Ana"); a Russian
    customer reads the Russian name the file gives (``names: {ru: Ана}``)."""
    talk = Talk(chat, locale="ru")
    await talk.open()
    await talk.say("Ана, стрижка в понедельник в 10")
    assert "Ана в это время не работает" in talk.text()
    assert "Ana " not in talk.text()


async def test_an_american_customer_writes_the_month_first(chat: Chat) -> None:
    """The channel's locale reaches the reader: "12/3" is December 3 for en-US and
    12 March for any other English speaker (day first)."""
    american = Talk(chat, user="us", locale="en-US")
    await american.open()
    await american.say("haircut on 12/3 at 10")
    assert "Dec 3" in american.text()
    british = Talk(chat, user="gb", locale="en-GB")
    await british.open()
    await british.say("haircut on 12/3 at 10")
    assert "Dec 3" not in british.text()
    assert "Mar 12" in british.text()


def test_a_locale_keeps_its_region_and_only_a_region() -> None:
    from bot.dialog.step import reading_locale, regional

    assert regional("en_us") == "en-US"
    assert regional("en-US-u-ca-gregory") == "en-US"
    assert regional("en") is None
    assert regional("<script>-xx") is None
    assert reading_locale("en", "en-US") == "en-US"
    assert reading_locale("es", "en-US") == "es"  # switched to Spanish: Spanish habits
