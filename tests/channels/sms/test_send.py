"""``TwilioChannel.send`` through the real twilio client to the local fake, and the code SMS."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.replies import Attachment, Option, Reply
from channels.base import Channel, SendFailed
from channels.sms import TwilioChannel, TwilioConfig, check, send_code
from core import customers
from core.verification import issue
from tests.channels.sms.conftest import CUSTOMER, SMS_FROM, WHATSAPP_FROM, settings
from tests.channels.sms.fake import FakeTwilio, Sent
from tests.conftest import TestDatabase

REPLY = Reply(
    "Your haircut is tomorrow at 10:00.",
    (Option("Keep it", "keep"), Option("Move it", "move")),
    attachments=(Attachment("booking.ics", "text/calendar", b"", url="https://book.example/c"),),
)


def channel(kind: str, fake: FakeTwilio) -> TwilioChannel:
    config = TwilioConfig.of(settings("sqlite://:memory:", fake.base))
    assert config is not None
    return TwilioChannel(kind, config)  # type: ignore[arg-type]


async def test_an_sms_goes_out_as_numbered_text_with_the_link(
    db: TestDatabase, fake: FakeTwilio
) -> None:
    sms = channel("sms", fake)
    assert isinstance(sms, Channel)
    await sms.send(CUSTOMER, [REPLY])
    body = "Your haircut is tomorrow at 10:00.\n1. Keep it\n2. Move it\nhttps://book.example/c"
    assert fake.sent == [Sent(CUSTOMER, SMS_FROM, body)]


async def test_a_whatsapp_message_goes_to_the_prefixed_address(
    db: TestDatabase, fake: FakeTwilio
) -> None:
    await channel("whatsapp", fake).send(CUSTOMER, [Reply("one"), Reply("two")])
    assert [(s.to, s.from_, s.body) for s in fake.sent] == [
        (f"whatsapp:{CUSTOMER}", WHATSAPP_FROM, "one"),
        (f"whatsapp:{CUSTOMER}", WHATSAPP_FROM, "two"),
    ]


async def test_error_21610_marks_the_opt_out_and_nothing_more_is_tried(
    db: TestDatabase, fake: FakeTwilio
) -> None:
    fake.failures[CUSTOMER] = (400, 21610)
    sms = channel("sms", fake)
    with pytest.raises(SendFailed) as failed:
        await sms.send(CUSTOMER, [Reply("hello")])
    assert failed.value.permanent
    assert await customers.opted_out("sms", CUSTOMER)
    del fake.failures[CUSTOMER]
    with pytest.raises(SendFailed):
        await sms.send(CUSTOMER, [Reply("hello")])
    assert fake.sent == []


@pytest.mark.parametrize(
    ("status", "code", "permanent"), [(400, 21211, True), (429, 20429, False), (503, 20500, False)]
)
async def test_twilio_errors_become_send_failed(
    db: TestDatabase, fake: FakeTwilio, status: int, code: int, permanent: bool
) -> None:
    fake.failures[CUSTOMER] = (status, code)
    with pytest.raises(SendFailed) as failed:
        await channel("sms", fake).send(CUSTOMER, [Reply("hello")])
    assert failed.value.permanent is permanent
    assert not await customers.opted_out("sms", CUSTOMER)


async def test_an_unreachable_twilio_is_worth_a_retry(db: TestDatabase) -> None:
    config = TwilioConfig.of(settings("sqlite://:memory:", "http://127.0.0.1:9"))
    assert config is not None
    with pytest.raises(SendFailed) as failed:
        await TwilioChannel("sms", config).send(CUSTOMER, [Reply("hello")])
    assert not failed.value.permanent


async def test_a_verification_code_goes_out_by_sms_in_the_customers_language(
    db: TestDatabase, fake: FakeTwilio
) -> None:
    from datetime import UTC, datetime

    code, _ = issue(CUSTOMER, b"k", datetime(2026, 1, 1, tzinfo=UTC), randbelow=lambda _: 42)
    await send_code(channel("sms", fake), CUSTOMER, code, "Slotwise Demo", "de")
    assert fake.sent == [
        Sent(CUSTOMER, SMS_FROM, "000042 ist Ihr Code für Slotwise Demo. Er gilt 10 Minuten.")
    ]


async def test_check_asks_twilio_whether_the_credentials_work(fake: FakeTwilio) -> None:
    assert "off" in await check(settings("sqlite://:memory:", twilio_account_sid=None))
    assert "AC" in await check(settings("sqlite://:memory:", fake.base, twilio_account_sid="xx"))
    line = await check(settings("sqlite://:memory:", fake.base))
    assert line.startswith("sms/whatsapp: works: sms and whatsapp on")
    assert "https://book.example/twilio/sms" in line
    wrong = await check(
        settings("sqlite://:memory:", fake.base, twilio_auth_token=SecretStr("nope"))
    )
    assert wrong == "sms/whatsapp: FAILED: Twilio refused the account SID or auth token (401)"
    away = await check(settings("sqlite://:memory:", "http://127.0.0.1:9"))
    assert away.startswith("sms/whatsapp: FAILED: Twilio is unreachable at http://127.0.0.1:9")
    assert fake.sent == []
