"""A real app with the demo business, an injected clock for the panel, and signed-in users.

Users are made the way ``slotwise user create`` makes them (a link, then the enrolment
form through the app), and sign in through the form with a TOTP code of the clock's time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher, profiles
from quart import Quart, Response
from quart.typing import TestClientProtocol as Client

from admin.access import CONFIG
from core.businessfile import load_business_file
from core.store import replace_business
from core.users import enrolment, invite, passwords
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    now: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(empty_db_url: str, clock: Clock) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url))
    application.extensions[CONFIG] = replace(application.extensions[CONFIG], clock=clock)
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


async def csrf(client: Client, path: str = "/admin/login") -> str:
    """The CSRF token of the form at ``path`` (and the cookie that goes with it)."""
    page = await (await client.get(path)).get_data(as_text=True)
    found = TOKEN.search(page)
    assert found, page
    return found.group(1)


@dataclass
class Person:
    email: str
    secret: str | None
    codes: list[str]


async def make_user(
    client: Client, clock: Clock, email: str, role: str, resource: str | None = None
) -> Person:
    """Invite and enrol through the link's page, with a TOTP code unless staff."""
    _, token = await invite(email, role, resource, now=clock())
    shown = await enrolment(token, now=clock())
    secret = shown.secret if role != "staff" else None
    code = pyotp.TOTP(shown.secret).at(clock()) if secret else ""
    form = {
        "csrf_token": await csrf(client, f"/admin/enrol/{token}"),
        "password": PASSWORD,
        "password_again": PASSWORD,
        "code": code,
    }
    response = await client.post(f"/admin/enrol/{token}", form=form)
    page = await response.get_data(as_text=True)
    assert response.status_code == 200, page
    return Person(email, secret, re.findall(r"<code>([A-Z0-9-]{19})</code>", page))


async def post_sign_in(client: Client, clock: Clock, person: Person, **extra: str) -> Response:
    """The sign-in form sent with the right password and a fresh code: the answer."""
    clock.advance(seconds=31)  # a fresh TOTP step: a code is never accepted twice
    code = pyotp.TOTP(person.secret).at(clock()) if person.secret else ""
    form = {
        "csrf_token": await csrf(client),
        "email": person.email,
        "password": PASSWORD,
        "code": code,
        **extra,
    }
    return await client.post("/admin/login", form=form)


async def sign_in(client: Client, clock: Clock, person: Person, **extra: str) -> None:
    response = await post_sign_in(client, clock, person, **extra)
    assert response.status_code == 303, await response.get_data(as_text=True)


async def signed_in(app: Quart, clock: Clock, role: str, resource: str | None = None) -> Client:
    client = app.test_client()
    person = await make_user(client, clock, f"{role}-{resource or 'x'}@example.org", role, resource)
    await sign_in(client, clock, person)
    return client
