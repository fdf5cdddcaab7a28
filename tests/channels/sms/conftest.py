"""The app with Twilio configured against a local fake, and a phone that texts it (signed).

The server keeps the real clock, so conversations ask for weekdays ("Tuesday" is
always ahead), never "tomorrow", as the web chat's tests do.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from quart import Quart
from twilio.request_validator import RequestValidator

from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings
from tests.channels.sms.fake import FakeTwilio

ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "twilio-test-token"
PUBLIC = "https://book.example"
SMS_FROM = "+14155550100"
WHATSAPP_FROM = "whatsapp:+14155238886"
CUSTOMER = "+4915112345678"


def settings(db_url: str, api_base: str = "http://127.0.0.1:9", **more: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "public_url": PUBLIC,
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": SecretStr(TOKEN),
        "twilio_sms_from": SMS_FROM,
        "twilio_whatsapp_from": WHATSAPP_FROM,
        "twilio_api_base": api_base,
        **more,
    }
    return Settings(**values)


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeTwilio:
    return FakeTwilio(httpserver, ACCOUNT, TOKEN)


@pytest.fixture
async def app(empty_db_url: str, fake: FakeTwilio) -> AsyncIterator[Quart]:
    application = create_app(settings(empty_db_url, fake.base))
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


_sids = itertools.count(1)


def sign(path: str, form: dict[str, str], token: str = TOKEN, base: str = PUBLIC) -> str:
    return RequestValidator(token).compute_signature(base + path, form)


def messages(twiml: str) -> list[str]:
    """The bodies of the ``<Message>`` elements of a TwiML answer."""
    root = ET.fromstring(twiml)
    assert root.tag == "Response", twiml
    return [m.text or "" for m in root.iter("Message")]


@dataclass
class Phone:
    """A customer's phone texting the app as Twilio would deliver it, signed."""

    app: Quart
    number: str = CUSTOMER
    kind: str = "sms"
    last: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    def form(self, text: str, sid: str | None = None) -> dict[str, str]:
        sender = f"whatsapp:{self.number}" if self.kind == "whatsapp" else self.number
        to = WHATSAPP_FROM if self.kind == "whatsapp" else SMS_FROM
        return {
            "MessageSid": sid or f"SM{next(_sids):032x}",
            "AccountSid": ACCOUNT,
            "From": sender,
            "To": to,
            "Body": text,
            "NumMedia": "0",
        }

    async def post(self, form: dict[str, str], signature: str | None = None) -> Any:
        path = f"/twilio/{self.kind}"
        headers = {"X-Twilio-Signature": signature or sign(path, form)}
        return await self.app.test_client().post(path, form=form, headers=headers)

    async def text(self, text: str, sid: str | None = None) -> str:
        """Send ``text``; the reply's messages joined (empty when the app answered nothing)."""
        response = await self.post(self.form(text, sid))
        assert response.status_code == 200, await response.get_data(as_text=True)
        assert response.headers["Content-Type"].startswith("application/xml")
        self.last = messages(await response.get_data(as_text=True))
        self.transcript += [f"> {text}", *(f"< {m}" for m in self.last)]
        return plain("\n".join(self.last))

    def number_of(self, label_part: str) -> str:
        """The number to type for the option whose label holds ``label_part``."""
        for line in plain("\n".join(self.last)).splitlines():
            number, dot, label = line.partition(". ")
            if dot and number.isdigit() and label_part.lower() in label.lower():
                return number
        raise AssertionError(f"no option {label_part!r} in {self.last}")


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")
