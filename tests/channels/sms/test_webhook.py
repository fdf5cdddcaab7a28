"""The webhooks' guards: signatures, resends, opt-out and opt-in, and a channel left off."""

from __future__ import annotations

import pytest
from quart import Quart

from bot.conversations import ConversationStore
from channels.services import SERVICES
from core import customers
from core import models as m
from slotwise.app import create_app
from slotwise.settings import Settings
from tests.channels.sms.conftest import CUSTOMER, TOKEN, Phone, settings, sign


async def conversation(app: Quart, kind: str = "sms", number: str = CUSTOMER) -> object:
    store: ConversationStore = app.extensions[SERVICES].conversations
    return await store.get(kind, number)


@pytest.mark.parametrize("kind", ["sms", "whatsapp"])
async def test_a_forged_signature_is_refused_and_changes_nothing(app: Quart, kind: str) -> None:
    phone = Phone(app, kind=kind)
    form = phone.form("hi", sid="SMforged")
    response = await phone.post(form, signature=sign(f"/twilio/{kind}", form, token="wrong"))
    assert response.status_code == 403
    assert await conversation(app, kind) is None
    assert not await m.ChannelIdentity.exists()
    # the genuine delivery with the same sid is handled after the forgery
    assert "booking assistant" in await phone.text("hi", sid="SMforged")


async def test_a_signature_over_another_url_or_other_fields_is_refused(app: Quart) -> None:
    phone = Phone(app)
    form = phone.form("hi")
    other_host = sign("/twilio/sms", form, base="https://attacker.example")
    assert (await phone.post(form, signature=other_host)).status_code == 403
    signed = sign("/twilio/sms", form)
    assert (await phone.post({**form, "Body": "STOP"}, signature=signed)).status_code == 403
    response = await app.test_client().post("/twilio/sms", form=form)  # no signature at all
    assert response.status_code == 403
    assert not await customers.opted_out("sms", CUSTOMER)


@pytest.mark.parametrize("kind", ["sms", "whatsapp"])
async def test_a_resend_has_one_effect_and_an_empty_answer(app: Quart, kind: str) -> None:
    phone = Phone(app, kind=kind)
    assert "booking assistant" in await phone.text("hi", sid="SMonce")
    assert await phone.text("hi", sid="SMonce") == ""
    assert await phone.text("hi", sid="SMonce") == ""
    assert await phone.text("hi") != ""  # a new message is answered


async def test_stop_opts_out_silently_and_start_opts_back_in(app: Quart) -> None:
    phone = Phone(app)
    await phone.text("hi")
    assert await phone.text("STOP") == ""  # the carrier confirms
    assert await customers.opted_out("sms", CUSTOMER)
    assert await phone.text("haircut on Tuesday") == ""  # honoured: nothing more
    assert await phone.text("Start") == ""  # the carrier confirms this too
    assert not await customers.opted_out("sms", CUSTOMER)
    assert "Haircut" in await phone.text("haircut on Tuesday")


@pytest.mark.parametrize("word", ["cancel", "Unsubscribe", "QUIT", "end", "stopall"])
async def test_every_carrier_opt_out_word_opts_out(app: Quart, word: str) -> None:
    assert await Phone(app).text(word) == ""
    assert await customers.opted_out("sms", CUSTOMER)


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("Please stop texting me", "we will not write to you here any more"),
        ("Keine SMS mehr!", "wir schreiben Ihnen hier nicht mehr"),
        ("No me escribas más", "no le escribiremos más por aquí"),
        ("Arrêtez de m'écrire", "nous ne vous écrirons plus ici"),
        ("Не пишите мне больше", "мы больше не будем писать вам здесь"),
    ],
)
async def test_stop_written_out_opts_out_with_one_answer_in_its_language(
    app: Quart, words: str, answer: str
) -> None:
    phone = Phone(app)
    assert answer in await phone.text(words)
    assert await customers.opted_out("sms", CUSTOMER)
    assert await phone.text("hello?") == ""


async def test_yes_from_a_number_that_is_not_opted_out_reaches_the_bot(app: Quart) -> None:
    assert await Phone(app).text("yes") != ""


async def test_on_whatsapp_writing_again_opts_back_in(app: Quart) -> None:
    phone = Phone(app, kind="whatsapp")
    assert "not write to you" in await phone.text("STOP")  # no carrier confirms on WhatsApp
    assert await customers.opted_out("whatsapp", CUSTOMER)
    assert "booking assistant" in await phone.text("hi")
    assert not await customers.opted_out("whatsapp", CUSTOMER)


async def test_without_twilio_settings_the_webhooks_are_not_there(empty_db_url: str) -> None:
    app = create_app(Settings(database_url=empty_db_url))
    async with app.test_app():
        for kind in ("sms", "whatsapp"):
            form = Phone(app, kind=kind).form("hi")
            response = await app.test_client().post(
                f"/twilio/{kind}", form=form, headers={"X-Twilio-Signature": "x"}
            )
            assert response.status_code == 404


async def test_a_kind_without_its_sender_is_off(empty_db_url: str) -> None:
    app = create_app(settings(empty_db_url, twilio_whatsapp_from=None))
    async with app.test_app():
        phone = Phone(app, kind="whatsapp")
        response = await phone.post(phone.form("hi"))
        assert response.status_code == 404
    assert TOKEN  # the SMS side of the same app stays on (see the other tests)
