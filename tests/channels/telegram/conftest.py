"""The app with Telegram configured against the local fake, and a person who writes to it."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings
from tests.channels.telegram.fake import Call, FakeTelegram

TOKEN = "123456:TEST-token"
SECRET = "the-webhook_secret-42"
PUBLIC = "https://book.example"
HEADER = "X-Telegram-Bot-Api-Secret-Token"

_update_ids = itertools.count(1000)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def settings_for(url: str, fake: FakeTelegram, **more: Any) -> Settings:
    return Settings(
        database_url=url,
        public_url=PUBLIC,
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base=fake.url,
        **more,
    )


@pytest.fixture
async def app(empty_db_url: str, fake: FakeTelegram) -> AsyncIterator[Quart]:
    application = create_app(settings_for(empty_db_url, fake))
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


def plain(text: str) -> str:
    """Babel's narrow no-break spaces ("2:00\u202fPM") as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def texts(calls: list[Call]) -> str:
    return plain(" ".join(str(c.params.get("text", "")) for c in calls))


def buttons(calls: list[Call]) -> list[str]:
    return [
        plain(b["text"])
        for c in calls
        if c.markup and "inline_keyboard" in c.markup
        for row in c.markup["inline_keyboard"]
        for b in row
    ]


class Person:
    """Someone writing to the bot in a private chat: each step returns what the bot sent."""

    def __init__(self, client: Client, fake: FakeTelegram, user_id: int = 4242, lang: str = "en"):
        self.client = client
        self.fake = fake
        self.user = {"id": user_id, "is_bot": False, "first_name": "Ada", "language_code": lang}
        self.chat = {"id": user_id, "type": "private"}

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> Any:
        headers = {HEADER: secret} if secret is not None else {}
        return await self.client.post("/telegram/webhook", json=update, headers=headers)

    async def deliver(self, update: dict[str, Any]) -> list[Call]:
        mark = len(self.fake.sent)
        response = await self.post(update)
        assert response.status_code == 200, await response.get_data(as_text=True)
        return self.fake.sent[mark:]

    def message(self, **content: Any) -> dict[str, Any]:
        return {
            "update_id": next(_update_ids),
            "message": {
                "message_id": next(_update_ids),
                "date": 1_800_000_000,
                "chat": self.chat,
                "from": self.user,
                **content,
            },
        }

    async def say(self, text: str) -> list[Call]:
        return await self.deliver(self.message(text=text))

    def callback(self, data: str, sent: Call | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {
            "id": str(next(_update_ids)),
            "from": self.user,
            "chat_instance": "ci-1",
            "data": data,
        }
        if sent is not None:
            query["message"] = {
                "message_id": sent.params["message_id"],
                "date": 1_800_000_000,
                "chat": self.chat,
                "text": sent.params.get("text", ""),
                "reply_markup": sent.markup,
            }
        return {"update_id": next(_update_ids), "callback_query": query}

    def button(self, label: str) -> tuple[Call, str]:
        """The last message with a button labelled ``label``, and the button's data."""
        for call in reversed(self.fake.sent):
            for row in (call.markup or {}).get("inline_keyboard", []):
                for b in row:
                    if plain(b["text"]) == label:
                        return call, b["callback_data"]
        raise AssertionError(f"no button {label!r} in {buttons(self.fake.sent[-3:])}")

    async def press(self, label: str) -> list[Call]:
        sent, data = self.button(label)
        return await self.deliver(self.callback(data, sent))

    async def press_first(self, prefix: str) -> list[Call]:
        """The first button whose data starts with ``prefix`` (``o:slot:``) in the last keyboard."""
        sent = next(c for c in reversed(self.fake.sent) if c.markup)
        data = next(
            b["callback_data"]
            for row in sent.markup["inline_keyboard"]  # type: ignore[index]
            for b in row
            if b["callback_data"].startswith(prefix)
        )
        return await self.deliver(self.callback(data, sent))


def update_json(update: dict[str, Any]) -> str:
    return json.dumps(update)
