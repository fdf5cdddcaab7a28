"""Telegram through its webhook, with the real aiogram talking to a local fake Bot API.

The server keeps the real clock, so the scripts ask for weekdays, never "tomorrow".
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from quart import Quart

from channels.base import SendFailed
from channels.telegram.blueprint import BOT
from channels.telegram.channel import MAX_RETRY_WAIT, TelegramChannel
from channels.telegram.render import CALLBACK_BYTES, callback_of, parse_callback, resolve
from channels.telegram.updates import TelegramBot
from core import models as m
from slotwise.app import create_app
from slotwise.settings import Settings
from tests.channels.telegram.conftest import SECRET, Person, buttons, plain, texts
from tests.channels.telegram.fake import FakeTelegram

GREETING = "Hello! I'm the booking assistant of Slotwise Demo."


def telegram_of(app: Quart) -> TelegramBot:
    tg: TelegramBot = app.extensions[BOT][0]
    return tg


async def test_start_greets_with_the_services_as_buttons(app: Quart, fake: FakeTelegram) -> None:
    ada = Person(app.test_client(), fake)
    (sent,) = await ada.say("/start")
    assert texts([sent]).startswith(GREETING)
    assert sent.params["chat_id"] == "4242"
    assert {"text": "Haircut", "callback_data": "o:svc:haircut"} in [
        row[0]
        for row in sent.markup["inline_keyboard"]  # type: ignore[index]
    ]


async def test_scripted_conversation_ends_in_the_bookings_the_web_chat_would_make(
    app: Quart, fake: FakeTelegram
) -> None:
    ada = Person(app.test_client(), fake)
    asked = await ada.say("/start book-consult")  # t.me/<bot>?start=book-consult
    assert texts(asked) == "When would you like to come for Consultation?"
    assert buttons(asked)[-1] == "\N{CALENDAR} Pick a date"
    offered = await ada.say("Tuesday afternoon")
    assert texts(offered) == "Free times for Consultation:"
    first_slot = buttons(offered)[0]
    held = await ada.press_first("o:slot:")
    assert "What name should I put the booking under?" in texts(held)
    # the pressed query is answered, and the message shows the pick instead of its buttons
    assert fake.of("answerCallbackQuery")
    edited = fake.of("editMessageText")[-1]
    assert plain(edited.params["text"]) == f"Free times for Consultation:\n\n\u2192 {first_slot}"
    assert "reply_markup" not in edited.params
    (contact,) = await ada.say("Ada Lovelace")
    assert contact.markup == {  # the contact button, offered when the bot asks for a contact
        "keyboard": [[{"text": "\N{MOBILE PHONE} Share my phone number", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    summary = await ada.say("ada@example.com")
    assert "Name: Ada Lovelace, contact: ada@example.com" in texts(summary)
    booked = await ada.press("Confirm")
    assert texts(booked).startswith("Booked! Consultation with Dr. Novak")
    document = booked[-1]
    assert document.method == "sendDocument"
    (ics,) = document.files.values()
    assert b"BEGIN:VCALENDAR" in ics

    await ada.say("haircut on Wednesday afternoon")
    await ada.press_first("o:slot:")
    assert texts(await ada.press("Confirm")).startswith("Booked! Haircut with Ana")
    listed = await ada.say("/bookings")
    assert texts(listed).startswith("Your upcoming bookings:")
    assert texts(await ada.say("/cancel")) == "Which booking should I cancel?"
    await ada.press_first("o:bk:")
    assert texts(await ada.press("Yes, cancel it")).startswith("Cancelled: Consultation")
    asked = texts(await ada.say("move my booking"))  # one booking left: no "which one?"
    assert "Which booking" not in asked
    await ada.say("Thursday afternoon")
    await ada.press_first("o:slot:")
    assert texts(await ada.press("Yes, move it")).startswith("Moved! Haircut with Ana")
    await ada.say("haircut on Sunday")
    assert "waitlist" in texts(await ada.say("waitlist"))
    assert "staff to reply" in texts(await ada.say("talk to a person"))
    await ada.say("qwzx vbnm")  # at the start, taken for a greeting
    assert texts(await ada.say("qwzx vbnm")).startswith("Sorry, I didn't understand")
    assert "español" in texts(await ada.say("español"))

    bookings = sorted(
        (b.service.slug, str(b.status.value), b.start.weekday(), b.source_channel)
        for b in await m.Booking.all().prefetch_related("service")
    )
    assert bookings == [
        ("consult", "cancelled", 1, "telegram"),  # Tuesday's, cancelled
        ("haircut", "confirmed", 3, "telegram"),  # Wednesday's, moved to Thursday
    ]
    assert await m.WaitlistEntry.all().count() == 1
    assert await m.Outbox.filter(kind="staff_handover").count() == 1
    identity = await m.ChannelIdentity.get(channel="telegram", external_id="4242")
    assert (await m.Customer.get(id=identity.customer_id)).email == "ada@example.com"


async def test_the_language_code_is_the_locale(app: Quart, fake: FakeTelegram) -> None:
    eva = Person(app.test_client(), fake, user_id=77, lang="es")
    assert "¡Hola! Soy el asistente de reservas de Slotwise Demo." in texts(await eva.say("hola"))


async def test_commands_are_the_dialogs_choices_in_any_language(
    app: Quart, fake: FakeTelegram
) -> None:
    eva = Person(app.test_client(), fake, user_id=77, lang="de")
    await eva.say("/start")
    helped = await eva.say("/help@slotwise_bot")
    assert "Ich kann Termine buchen" in texts(helped)  # German help, not a switch to English
    assert texts(await eva.say("/bookings")) != ""


async def test_a_shared_contact_links_the_customer_at_once(app: Quart, fake: FakeTelegram) -> None:
    known = await m.Customer.create(name="Ada", phone="+491701234567", email=None)
    ada = Person(app.test_client(), fake)
    await ada.say("haircut on Tuesday afternoon")
    await ada.press_first("o:slot:")
    await ada.say("Ada Lovelace")
    shared = {"phone_number": "491701234567", "first_name": "Ada", "user_id": 4242}
    summary = await ada.deliver(ada.message(contact=shared))
    assert "contact: +491701234567" in texts(summary)
    identity = await m.ChannelIdentity.get(channel="telegram", external_id="4242")
    assert identity.customer_id == known.id  # before any booking


async def test_someone_elses_contact_card_links_no_one(app: Quart, fake: FakeTelegram) -> None:
    await m.Customer.create(name="Bob", phone="+491701234567", email=None)
    ada = Person(app.test_client(), fake)
    card = {"phone_number": "+491701234567", "first_name": "Bob", "user_id": 999}
    await ada.deliver(ada.message(contact=card))
    assert not await m.ChannelIdentity.filter(channel="telegram").exists()


async def test_the_date_picker_shows_a_month_and_sends_the_day(
    app: Quart, fake: FakeTelegram
) -> None:
    ada = Person(app.test_client(), fake)
    await ada.say("haircut")
    assert await ada.press("\N{CALENDAR} Pick a date") == []  # the keyboard changes in place
    shown = fake.of("editMessageReplyMarkup")[-1]
    grid = json.loads(shown.params["reply_markup"])["inline_keyboard"]
    assert len(grid) >= 6  # title, weekdays, the weeks
    assert [b["text"] for b in grid[1]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    days = [b for row in grid[2:] for b in row if b["callback_data"].startswith("d:")]
    tuesday = next(b for b in days if date.fromisoformat(b["callback_data"][2:]).weekday() == 1)
    sent = fake.sent[-1]
    sent.params["reply_markup"] = shown.params["reply_markup"]  # as the person now sees it
    offered = await ada.deliver(ada.callback(tuesday["callback_data"], sent))
    assert texts(offered).startswith("Free times for Haircut")


async def test_an_old_button_pressed_again_does_nothing_twice(
    app: Quart, fake: FakeTelegram
) -> None:
    ada = Person(app.test_client(), fake)
    await ada.say("haircut on Tuesday afternoon")
    sent = next(c for c in reversed(fake.sent) if c.markup)
    data = sent.markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    await ada.deliver(ada.callback(data, sent))
    again = await ada.deliver(ada.callback(data, sent))  # a second tap before the edit showed
    assert "no longer available" in texts(again)
    assert await m.Booking.all().count() == 0


# --- forged and replayed -------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "ü" * 5])
async def test_a_forged_update_is_refused_and_leaves_the_genuine_one_its_id(
    app: Quart, fake: FakeTelegram, secret: str | None
) -> None:
    ada = Person(app.test_client(), fake)
    update = ada.message(text="haircut")
    forged = await ada.post(update, secret=secret)
    assert forged.status_code == 401
    assert fake.calls == []
    genuine = await ada.deliver(update)  # the same update_id, with the secret
    assert texts(genuine) == "When would you like to come for Haircut?"


async def test_a_replayed_update_is_answered_each_time_with_one_effect(
    app: Quart, fake: FakeTelegram
) -> None:
    ada = Person(app.test_client(), fake)
    update = ada.message(text="haircut")
    codes = [(await ada.post(update)).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    assert len(fake.sent) == 1


async def test_an_update_that_is_not_one_is_refused(app: Quart, fake: FakeTelegram) -> None:
    ada = Person(app.test_client(), fake)
    for body in ([1, 2], {"message": {}}, {"update_id": "x"}):
        assert (await ada.post(body)).status_code == 400  # type: ignore[arg-type]
    assert (await ada.post({"update_id": 5, "message": {"text": 1}})).status_code == 400
    assert fake.calls == []


async def test_a_reply_that_failed_to_send_is_not_repeated_by_a_resend(
    app: Quart, fake: FakeTelegram
) -> None:
    ada = Person(app.test_client(), fake)
    update = ada.callback("c:2026-13")  # no message: a press the bot cannot place
    update["callback_query"]["message"] = {"message_id": 1, "date": 1, "chat": {"id": 1}}
    assert (await ada.post(update)).status_code == 400  # not an update Telegram would send
    fake.fail("sendMessage", 500, "Internal Server Error")
    message = ada.message(text="haircut")
    assert (await ada.post(message)).status_code == 200  # the turn happened; the send failed
    assert (await ada.post(message)).status_code == 200
    assert len(fake.of("sendMessage")) == 1  # not sent twice: the resend was dropped


async def test_without_a_token_the_route_is_off(empty_db_url: str) -> None:
    application = create_app(Settings(database_url=empty_db_url))
    async with application.test_app():
        response = await application.test_client().post(
            "/telegram/webhook",
            json={"update_id": 1},
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert response.status_code == 404


# --- sending -------------------------------------------------------------------------------


async def test_a_blocked_bot_marks_the_customer_unreachable(app: Quart, fake: FakeTelegram) -> None:
    customer = await m.Customer.create(name="Ada", phone=None, email=None)
    await m.ChannelIdentity.create(customer=customer, channel="telegram", external_id="4242")
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    from bot.replies import Reply

    with pytest.raises(SendFailed) as failed:
        await telegram_of(app).channel.send("4242", [Reply("Your reminder")])
    assert failed.value.permanent
    identity = await m.ChannelIdentity.get(channel="telegram", external_id="4242")
    assert identity.unreachable_at is not None


async def test_a_rate_limit_waits_retry_after_and_retries_once(
    app: Quart, fake: FakeTelegram
) -> None:
    from bot.replies import Reply

    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the wait is recorded, not slept
        waits.append(seconds)

    channel = TelegramChannel(telegram_of(app).channel.bot, sleep=sleep)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    await channel.send("4242", [Reply("Your reminder")])
    assert waits == [7]
    assert [c.params["text"] for c in fake.of("sendMessage")] == ["Your reminder"] * 2
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 600", retry_after=600)
    await channel.send("4242", [Reply("Later")])
    assert waits == [7, MAX_RETRY_WAIT]  # a long flood wait is not sat out in a webhook
    fake.fail("sendMessage", 429, "Too Many Requests", retry_after=1)
    fake.fail("sendMessage", 429, "Too Many Requests", retry_after=1)
    with pytest.raises(SendFailed) as failed:
        await channel.send("4242", [Reply("Again")])
    assert not failed.value.permanent  # the worker tries again later
    assert waits == [7, MAX_RETRY_WAIT, 1]


# --- callback data -------------------------------------------------------------------------


def test_a_long_value_travels_as_a_hash_found_again_among_the_options() -> None:
    long = "bk:" + "x" * 80
    data = callback_of(long)
    assert len(data.encode()) <= CALLBACK_BYTES
    pressed = parse_callback(data)
    assert pressed.kind == "hashed"
    assert resolve(pressed.value, ["svc:haircut", long]) == long
    assert resolve(pressed.value, ["svc:haircut"]) is None
    assert parse_callback(callback_of("svc:haircut")).value == "svc:haircut"
    assert len(callback_of("é" * 31).encode()) <= CALLBACK_BYTES  # bytes, not characters
