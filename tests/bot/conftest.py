"""A chat with the demo business on a real database, at a fixed time, for dialog tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.conversations import MemoryConversations
from bot.inbound import Inbound
from bot.replies import Reply
from bot.runner import Chat
from bot.traits import DEFAULT_TRAITS, ChannelTraits
from core.bookings import BookingService
from core.businessfile import load_business_file
from core.holds.memory import MemoryHoldStore
from core.store import replace_business
from slotwise.cli import DEMO_FILE
from tests.conftest import TestDatabase

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
"""Monday 30 November 2026, 09:00 in Berlin (the demo business's zone)."""


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Talk:
    """One customer's side of a conversation: say something, press a button, read the replies."""

    chat: Chat
    user: str = "alice"
    channel: str = "test"
    locale: str | None = "en"
    timezone: str | None = None
    origin: str | None = None
    traits: ChannelTraits = DEFAULT_TRAITS
    last: list[Reply] = field(default_factory=list)

    async def open(self) -> list[Reply]:
        return await self._send(
            Inbound(
                self.channel, self.user, locale=self.locale, origin=self.origin, traits=self.traits
            )
        )

    async def say(self, text: str) -> list[Reply]:
        return await self._send(
            Inbound(
                self.channel,
                self.user,
                text=text,
                locale=self.locale,
                timezone=self.timezone,
                origin=self.origin,
                traits=self.traits,
            )
        )

    async def press(self, label_part: str) -> list[Reply]:
        """Press the first button of the last replies whose label contains ``label_part``."""
        for reply in reversed(self.last):
            for option in reply.options:
                if label_part.lower() in option.label.lower():
                    return await self._send(
                        Inbound(
                            self.channel,
                            self.user,
                            choice=option.value,
                            locale=self.locale,
                            origin=self.origin,
                            traits=self.traits,
                        )
                    )
        raise AssertionError(f"no button with {label_part!r} in {self.labels()}")

    async def press_first_slot(self) -> list[Reply]:
        for reply in reversed(self.last):
            for option in reply.options:
                if option.value.startswith("slot:"):
                    return await self._send(
                        Inbound(
                            self.channel,
                            self.user,
                            choice=option.value,
                            locale=self.locale,
                            origin=self.origin,
                            traits=self.traits,
                        )
                    )
        raise AssertionError(f"no slot button in {self.labels()}")

    def labels(self) -> list[str]:
        return [_plain(o.label) for r in self.last for o in r.options]

    def text(self) -> str:
        """The replies' text, with Babel's narrow no-break spaces ("2:00\u202fPM") as spaces."""
        return _plain("\n".join(r.text for r in self.last))

    async def _send(self, inbound: Inbound) -> list[Reply]:
        self.last = await self.chat.handle(inbound)
        assert self.last, "every message gets a reply"
        return self.last


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def demo(db: TestDatabase) -> TestDatabase:
    await replace_business(load_business_file(DEMO_FILE))
    return db


@pytest.fixture
async def chat(demo: TestDatabase, clock: Clock) -> AsyncIterator[Chat]:
    holds = MemoryHoldStore()
    bookings = BookingService(holds, hold_ttl=timedelta(minutes=5), clock=clock)
    yield Chat(bookings, MemoryConversations(), public_url="https://book.example", clock=clock)
    await holds.close()


@pytest.fixture
def talk(chat: Chat) -> Talk:
    return Talk(chat)
