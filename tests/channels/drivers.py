"""How a person uses each chat channel, for scripts that must not know which one they run on.

A :class:`Driver` types text and picks an option by its label (a button pressed, or its
number typed on SMS) or by its place, and returns what the person sees next. Each runs
the app with its channel configured, through the real SDK against the channel's local
fake (tests/channels/<name>/fake.py), with the demo business. The app's clock is the real
one moved on by :meth:`Clock.advance` (a hold's lease passes without sleeping), so
scripts ask for weekdays, never "tomorrow".
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from quart import Quart

from core.businessfile import load_business_file
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings

CHANNELS = ["web", "telegram", "sms", "whatsapp", "slack"]
PUBLIC = "https://book.example"


@dataclass
class Clock:
    """The app's "now" (``create_app(clock=...)``): the real time plus what the script
    moved it on by."""

    ahead: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, **delta: float) -> None:
        self.ahead += timedelta(**delta)


@dataclass
class Screen:
    """What the person sees after a step: the texts, and the options in order."""

    text: str
    options: list[str] = field(default_factory=list)


class Driver(Protocol):
    channel: str
    app: Quart
    clock: Clock

    async def say(self, text: str) -> Screen: ...

    async def pick(self, label: str) -> Screen:
        """The option whose label starts with ``label``."""
        ...

    async def pick_nth(self, n: int) -> Screen:
        """The ``n``-th option (from 1) of the last message with options."""
        ...

    def pushed(self) -> Screen:
        """The last message the platform received from the app on its own (the worker's:
        a reminder), now the one on screen."""
        ...


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


# --- web chat ------------------------------------------------------------------------------


@dataclass
class WebChat:
    app: Quart
    channel: str = "web"
    clock: Clock = field(default_factory=Clock)
    session: str = "s" * 24
    last: list[dict[str, Any]] = field(default_factory=list)

    async def _send(self, **message: str) -> Screen:
        response = await self.app.test_client().post(
            "/chat/messages", json={"session": self.session, **message}
        )
        assert response.status_code == 200, await response.get_data(as_text=True)
        self.last = (await response.get_json())["replies"]
        options = [plain(o["label"]) for r in self.last for o in r["options"]]
        return Screen(plain("\n".join(r["text"] for r in self.last)), options)

    def _options(self) -> list[dict[str, str]]:
        with_options = [r for r in self.last if r["options"]]
        return with_options[-1]["options"] if with_options else []

    async def say(self, text: str) -> Screen:
        return await self._send(text=text)

    async def pick(self, label: str) -> Screen:
        value = next(o["value"] for o in self._options() if plain(o["label"]).startswith(label))
        return await self._send(choice=value)

    async def pick_nth(self, n: int) -> Screen:
        return await self._send(choice=self._options()[n - 1]["value"])

    def pushed(self) -> Screen:
        raise NotImplementedError("the web chat is not written to unasked")


# --- Telegram ------------------------------------------------------------------------------


@dataclass
class TelegramChat:
    app: Quart
    person: Any
    fake: Any
    channel: str = "telegram"
    clock: Clock = field(default_factory=Clock)

    def _screen(self, calls: list[Any]) -> Screen:
        from tests.channels.telegram.conftest import buttons, texts

        return Screen(texts(calls), buttons(calls))

    def _keyboard(self) -> tuple[Any, list[dict[str, str]]]:
        for call in reversed(self.fake.sent):
            rows = (call.markup or {}).get("inline_keyboard")
            if rows:
                return call, [b for row in rows for b in row]
        raise AssertionError("no message with buttons")

    async def say(self, text: str) -> Screen:
        return self._screen(await self.person.say(text))

    async def pick(self, label: str) -> Screen:
        call, found = self._keyboard()
        data = next(b["callback_data"] for b in found if plain(b["text"]).startswith(label))
        return self._screen(await self.person.deliver(self.person.callback(data, call)))

    async def pick_nth(self, n: int) -> Screen:
        call, found = self._keyboard()
        data = found[n - 1]["callback_data"]
        return self._screen(await self.person.deliver(self.person.callback(data, call)))

    def pushed(self) -> Screen:
        return self._screen(self.fake.of("sendMessage")[-1:])


# --- SMS -----------------------------------------------------------------------------------


@dataclass
class SmsChat:
    app: Quart
    phone: Any
    channel: str = "sms"
    fake: Any = None
    clock: Clock = field(default_factory=Clock)

    async def _send(self, text: str) -> Screen:
        from tests.channels.sms.test_conversation import fits

        answer = await self.phone.text(text)
        fits(self.phone)  # every answer: short enough, and no carrier word asked for
        options = re.findall(r"^\d+\. (.+)$", answer, flags=re.MULTILINE)
        return Screen(answer, options)

    async def say(self, text: str) -> Screen:
        return await self._send(text)

    async def pick(self, label: str) -> Screen:
        return await self._send(self.phone.number_of(label))

    async def pick_nth(self, n: int) -> Screen:
        return await self._send(str(n))

    def pushed(self) -> Screen:
        body = plain(self.fake.sent[-1].body)
        self.phone.last = [body]
        return Screen(body, re.findall(r"^\d+\. (.+)$", body, flags=re.MULTILINE))


# --- Slack ---------------------------------------------------------------------------------


_events = itertools.count(1)


@dataclass
class SlackChat:
    app: Quart
    fake: Any
    channel: str = "slack"
    clock: Clock = field(default_factory=Clock)
    last: list[dict[str, Any]] = field(default_factory=list)

    async def _after(self, send: Any) -> Screen:
        from tests.channels.slack.test_slack import _replies, buttons, texts

        before = len(self.fake.posted("chat.postMessage"))
        response = await send()
        assert response.status_code == 200
        self.last = await _replies(self.fake, before)
        options = [plain(b["text"]["text"]) for r in self.last for b in buttons(r)]
        return Screen(plain("\n".join(texts(r) for r in self.last)), options)

    def _buttons(self) -> list[dict[str, Any]]:
        from tests.channels.slack.test_slack import buttons

        with_buttons = [r for r in self.last if buttons(r)]
        assert with_buttons, "no message with buttons"
        return buttons(with_buttons[-1])

    async def say(self, text: str) -> Screen:
        from tests.channels.slack.test_slack import send_dm

        client = self.app.test_client()
        return await self._after(lambda: send_dm(client, text, f"Ev{next(_events):06d}"))

    async def _press(self, element: dict[str, Any]) -> Screen:
        from tests.channels.slack.test_slack import CUSTOMER, FORM, post, press

        body = press(self.fake, CUSTOMER, element["action_id"], element["value"])
        return await self._after(lambda: post(self.app.test_client(), body, FORM))

    async def pick(self, label: str) -> Screen:
        found = self._buttons()
        return await self._press(
            next(b for b in found if plain(b["text"]["text"]).startswith(label))
        )

    async def pick_nth(self, n: int) -> Screen:
        return await self._press(self._buttons()[n - 1])

    def pushed(self) -> Screen:
        from tests.channels.slack.test_slack import buttons, texts

        self.last = self.fake.posted("chat.postMessage")[-1:]
        options = [plain(b["text"]["text"]) for r in self.last for b in buttons(r)]
        return Screen(plain("\n".join(texts(r) for r in self.last)), options)


# --- the apps ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _demo(settings: Settings, clock: Clock) -> AsyncIterator[Quart]:
    application = create_app(settings, clock=clock)
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


@contextlib.asynccontextmanager
async def open_driver(channel: str, empty_db_url: str, httpserver: Any) -> AsyncIterator[Driver]:
    """The app with ``channel`` on, and a person using it (``httpserver``: pytest-httpserver's,
    for Twilio's fake)."""
    clock = Clock()
    if channel == "web":
        async with _demo(Settings(database_url=empty_db_url, public_url=PUBLIC), clock) as app:
            yield WebChat(app, clock=clock)
    elif channel == "telegram":
        from tests.channels.telegram.conftest import Person, settings_for
        from tests.channels.telegram.fake import FakeTelegram

        telegram = FakeTelegram()
        await telegram.start()
        try:
            async with _demo(settings_for(empty_db_url, telegram), clock) as app:
                yield TelegramChat(app, Person(app.test_client(), telegram), telegram, clock=clock)
        finally:
            await telegram.close()
    elif channel in ("sms", "whatsapp"):
        from tests.channels.sms.conftest import ACCOUNT, TOKEN, Phone
        from tests.channels.sms.conftest import settings as sms_settings
        from tests.channels.sms.fake import FakeTwilio

        twilio = FakeTwilio(httpserver, ACCOUNT, TOKEN)
        async with _demo(sms_settings(empty_db_url, twilio.base), clock) as app:
            yield SmsChat(app, Phone(app, kind=channel), channel, twilio, clock=clock)
    else:
        from tests.channels.slack.fake import start_fake
        from tests.channels.slack.test_slack import settings as slack_settings

        slack = await start_fake()
        try:
            async with _demo(slack_settings(empty_db_url, slack), clock) as app:
                yield SlackChat(app, slack, clock=clock)
        finally:
            await slack.server.close()
