"""The app's services: opened and closed in one place, read through one typed accessor."""

from __future__ import annotations

import pytest

from bot.runner import Chat
from channels.services import SERVICES, services_of
from core import directory
from core.db import connection
from core.errors import NoBusiness
from slotwise.app import create_app
from slotwise.container import Services
from slotwise.settings import Settings


async def test_services_open_the_database_and_close_it_again(empty_db_url: str) -> None:
    async with Services.open(Settings(database_url=empty_db_url, redis_url=None)) as services:
        assert isinstance(services.chat, Chat)
        assert services.limits.live_holds_per_address == services.settings.live_holds_per_address
        with pytest.raises(NoBusiness):  # the database is open (and empty)
            await directory.business_info()
    with pytest.raises(Exception):  # noqa: B017, PT011 - closed: Tortoise has no connection
        await connection().execute_query("SELECT 1")


async def test_the_app_keeps_its_services_under_one_key_while_it_serves(empty_db_url: str) -> None:
    app = create_app(Settings(database_url=empty_db_url, redis_url=None))
    with pytest.raises(LookupError, match="starts serving"):
        services_of(app)
    async with app.test_app():
        services = services_of(app)
        assert services is app.extensions[SERVICES]
        assert isinstance(services, Services)
    assert SERVICES not in app.extensions
