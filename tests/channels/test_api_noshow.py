"""``POST /api/v1/bookings/{token}/no-show``: staff keys only, after the start, audited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core import models as m
from core.apikeys import create_api_key
from core.businessfile import parse_business
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings
from tests.channels.test_api import body, spa_next_january

PAST = "past-booking-token-0001"
FUTURE = "future-booking-token-01"


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url))
    document: dict[str, Any] = spa_next_january()
    document["bookings"] = [
        {
            "service": "massage",
            "start": "2026-01-05T10:00:00Z",
            "resources": ["tom", "room-1"],
            "token": PAST,
            "customer": {"name": "Ada", "phone": "+442079460000"},
        },
        {**document["bookings"][0], "token": FUTURE},
    ]
    async with application.test_app():
        await replace_business(parse_business(json.dumps(document)))
        yield application


async def key(role: str) -> dict[str, str]:
    _, made = await create_api_key(f"desk-{role}", role)
    return {"Authorization": f"Bearer {made}"}


async def test_a_staff_key_marks_a_past_booking_a_no_show(app: Quart) -> None:
    client: Client = app.test_client()
    staff = await key("staff")
    done = await client.post(f"/api/v1/bookings/{PAST}/no-show", headers=staff)
    assert done.status_code == 200, await done.get_data(as_text=True)
    assert (await body(done))["status"] == "no_show"
    history = await m.BookingHistory.filter(booking__manage_token=PAST, action="no_show")
    assert [(h.actor, h.channel) for h in history] == [("staff:desk-staff", "api")]
    early = await client.post(f"/api/v1/bookings/{FUTURE}/no-show", headers=staff)
    assert early.status_code == 409
    problem = await body(early)
    assert (problem["code"], problem["field"]) == ("policy_violation", "status")
    assert "only after its start" in problem["detail"]
    missing = await client.post("/api/v1/bookings/nosuchtoken123/no-show", headers=staff)
    assert missing.status_code == 404


async def test_other_keys_and_anonymous_callers_are_refused(app: Quart) -> None:
    client: Client = app.test_client()
    for headers in ({}, await key("client")):
        refused = await client.post(f"/api/v1/bookings/{PAST}/no-show", headers=headers)
        assert refused.status_code == 403
        assert (await body(refused))["code"] == "staff_only"
    assert await m.Booking.filter(manage_token=PAST, status="no_show").count() == 0


POLICY_FILE = {"no_shows": {"after": 1, "then": "confirm"}}


async def test_after_a_no_show_the_api_asks_for_the_customers_confirmation(app: Quart) -> None:
    client: Client = app.test_client()
    document: dict[str, Any] = spa_next_january()
    document["services"][0].update(POLICY_FILE)
    document["bookings"] = [
        {
            "service": "massage",
            "start": "2026-01-05T10:00:00Z",
            "resources": ["tom", "room-1"],
            "token": PAST,
            "customer": {"name": "Ada", "phone": "+442079460000"},
        }
    ]
    await replace_business(parse_business(json.dumps(document)))
    done = await client.post(f"/api/v1/bookings/{PAST}/no-show", headers=await key("staff"))
    assert done.status_code == 200
    request = {
        "service": "massage",
        "start": "2027-01-04T11:00:00Z",
        "customer": {"name": "Ada", "phone": "+44 20 7946 0000"},
    }
    refused = await client.post("/api/v1/bookings", json=request)
    assert refused.status_code == 409
    problem = await body(refused)
    assert (problem["code"], problem["field"]) == ("no_show_limit", "customer_confirmed")
    booked = await client.post("/api/v1/bookings", json={**request, "customer_confirmed": True})
    assert booked.status_code == 201, await booked.get_data(as_text=True)
    other = {**request, "customer": {"name": "Bo", "email": "bo@example.org"}}
    other["start"] = "2027-01-04T13:00:00Z"
    assert (await client.post("/api/v1/bookings", json=other)).status_code == 201
    joined = await client.post(
        "/api/v1/waitlist",
        json={
            "service": "massage",
            "customer": {"name": "Cy", "email": "cy@example.org"},
            "window_start": "2027-01-04T11:00:00Z",
            "window_end": "2027-01-04T12:00:00Z",
        },
    )
    assert joined.status_code == 201
    assert len((await body(joined))["token"]) > 16
