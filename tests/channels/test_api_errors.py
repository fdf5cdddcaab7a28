"""Errors of the core as problems: one table (``channels.api.PROBLEMS``), no 500 for an answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from quart import Quart

from channels.api import PROBLEMS, problem_of
from core import errors
from core.businessfile import parse_business
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings
from tests.channels.test_api import CUSTOMER, FREE, spa_next_january
from tests.conftest import POSTGRES_URL


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    settings = Settings(database_url=empty_db_url, lock_timeout_ms=300)
    application = create_app(settings)
    async with application.test_app():
        await replace_business(parse_business(json.dumps(spa_next_january())))
        yield application


async def body(response: Any) -> Any:
    return json.loads(await response.get_data(as_text=True))


def test_every_error_of_the_core_has_a_status() -> None:
    tree = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.SlotwiseError)
    ]
    assert errors.ConcurrentChange in tree
    for cls in tree:
        assert any(base in PROBLEMS for base in cls.__mro__), cls
    assert problem_of(errors.ConcurrentChange("busy")) == (409, "concurrent_change")
    assert problem_of(errors.HoldStoreUnavailable("down")) == (503, "hold_store_unavailable")
    assert problem_of(errors.UnknownService("x", [])) == (404, "unknown_service")


async def test_a_booking_changed_elsewhere_right_now_is_a_409_problem_not_a_500(
    app: Quart, empty_db_url: str
) -> None:
    if not empty_db_url.startswith("postgres"):
        pytest.skip("SQLite waits for its one writer (busy_timeout); no row locks to hold")
    client = app.test_client()
    request = {"service": "massage", "start": FREE, "customer": CUSTOMER}
    booking = await body(await client.post("/api/v1/bookings", json=request))
    token = booking["manage_token"]
    other = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        transaction = other.transaction()
        await transaction.start()
        await other.execute(f"SELECT id FROM booking WHERE id = {booking['id']} FOR UPDATE")
        response = await client.post(f"/api/v1/bookings/{token}/cancel", json={})
        await transaction.rollback()
    finally:
        await other.close()
    assert response.status_code == 409, await response.get_data(as_text=True)
    problem = await body(response)
    assert problem["code"] == "concurrent_change"
    assert "try again" in problem["detail"]
    assert response.content_type == "application/problem+json"
    again = await client.post(f"/api/v1/bookings/{token}/cancel", json={})
    assert again.status_code == 200
