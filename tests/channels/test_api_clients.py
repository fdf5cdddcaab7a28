"""Who is asking the API, and how much each may ask: regression tests for the probe's
hoarding (rotating X-Client-Id values held a whole day), the leaked booking behind a
reused Idempotency-Key, and bookings that did not match their hold."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core.apikeys import create_api_key, revoke_api_key
from core.businessfile import parse_business
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings

STUDIO = """
business: {name: Studio, timezone: UTC}
resources:
  - {id: hall, name: Hall, kind: room, capacity: 50, weekly_hours: &every_day {
      mon: [["08:00", "20:00"]], tue: [["08:00", "20:00"]], wed: [["08:00", "20:00"]],
      thu: [["08:00", "20:00"]], fri: [["08:00", "20:00"]], sat: [["08:00", "20:00"]],
      sun: [["08:00", "20:00"]]}}
  - {id: mia, name: Mia, weekly_hours: *every_day}
  - {id: leo, name: Leo, weekly_hours: *every_day}
services:
  - {id: yoga, name: Yoga, duration_min: 60, requires: [[hall]]}
  - {id: pilates, name: Pilates, duration_min: 60, requires: [[mia, leo], [hall]]}
"""
DAY = "2027-01-04"
CUSTOMER = {"name": "Ada Lovelace", "email": "ada@example.org"}


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    settings = Settings(database_url=empty_db_url, holds_per_minute=1000, bookings_per_minute=1000)
    application = create_app(settings)
    async with application.test_app():
        await replace_business(parse_business(STUDIO))
        yield application


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


async def body(response: Any) -> Any:
    return json.loads(await response.get_data(as_text=True))


async def bearer(name: str) -> dict[str, str]:
    _, key = await create_api_key(name)
    return {"Authorization": f"Bearer {key}"}


def at(hour: int, day: str = DAY) -> str:
    return f"{day}T{hour:02d}:00:00Z"


async def hold(client: Client, hour: int, headers: dict[str, str] | None = None) -> Any:
    return await client.post(
        "/api/v1/holds", json={"service": "yoga", "start": at(hour)}, headers=headers or {}
    )


async def test_rotating_client_ids_do_not_escape_the_live_hold_cap(client: Client) -> None:
    """Six rotating X-Client-Id values held a whole day of haircuts: the id is not believed."""
    codes = [
        (await hold(client, hour, {"X-Client-Id": f"rotating-{hour}"})).status_code
        for hour in (10, 11, 12, 13, 14, 15)
    ]
    assert codes[:5] == [201] * 5  # the per-address cap (default 5)...
    assert codes[5] == 429  # ...is the same whatever id the client claims
    refused = await hold(client, 16, {"X-Client-Id": "yet-another"})
    assert (await body(refused))["code"] == "too_many_holds"


async def test_a_released_hold_frees_its_place_under_the_cap(client: Client) -> None:
    tokens = [(await body(await hold(client, hour)))["token"] for hour in (10, 11, 12, 13, 14)]
    assert (await hold(client, 17)).status_code == 429
    assert (await client.delete(f"/api/v1/holds/{tokens[0]}")).status_code == 204
    assert (await hold(client, 17)).status_code == 201


async def test_an_api_key_is_a_client_of_its_own(client: Client) -> None:
    for hour in (10, 11, 12, 13, 14):
        assert (await hold(client, hour)).status_code == 201
    assert (await hold(client, 17, await bearer("partner"))).status_code == 201


async def test_an_unknown_or_revoked_api_key_is_refused(client: Client) -> None:
    wrong = await hold(client, 11, {"Authorization": "Bearer sw_0000_nothing"})
    assert wrong.status_code == 401
    assert (await body(wrong))["code"] == "invalid_api_key"
    headers = await bearer("former-partner")
    await revoke_api_key("former-partner")
    assert (await hold(client, 11, headers)).status_code == 401


async def test_a_reused_idempotency_key_with_another_body_is_refused(client: Client) -> None:
    """The probe sent a partner's X-Client-Id and key and got that partner's customer's
    booking, manage token included."""
    partner = await bearer("partner")
    first = await client.post(
        "/api/v1/bookings",
        json={"service": "yoga", "start": at(10), "customer": CUSTOMER},
        headers={**partner, "Idempotency-Key": "order-7"},
    )
    assert first.status_code == 201
    token = (await body(first))["manage_token"]
    replay = await client.post(
        "/api/v1/bookings",
        json={"service": "yoga", "start": at(10), "customer": CUSTOMER},
        headers={**partner, "Idempotency-Key": "order-7"},
    )
    assert (await body(replay))["manage_token"] == token
    other_body = await client.post(
        "/api/v1/bookings",
        json={"service": "yoga", "start": at(10), "customer": {"name": "Eve", "email": "e@x.org"}},
        headers={**partner, "Idempotency-Key": "order-7"},
    )
    assert other_body.status_code == 422
    assert (await body(other_body))["code"] == "idempotency_key_reused"
    assert token not in await other_body.get_data(as_text=True)
    for stranger in ({"X-Client-Id": "partner"}, await bearer("someone-else")):
        response = await client.post(
            "/api/v1/bookings",
            json={"service": "yoga", "start": at(10), "customer": CUSTOMER},
            headers={**stranger, "Idempotency-Key": "order-7"},
        )
        assert response.status_code == 201  # their own request, their own booking
        assert token not in await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "pilates"}, "service"),
        ({"start": at(13)}, "start"),
        ({"provider": "mia"}, "provider"),
        ({"seats": 2}, "seats"),
    ],
)
async def test_a_booking_must_match_its_hold(
    client: Client, change: dict[str, Any], field: str
) -> None:
    held = await body(await hold(client, 10))
    request = {"service": "yoga", "start": at(10), "customer": CUSTOMER, "hold": held["token"]}
    response = await client.post("/api/v1/bookings", json={**request, **change})
    assert response.status_code == 422
    problem = await body(response)
    assert (problem["code"], problem["field"]) == ("hold_mismatch", field)
    assert (await client.post("/api/v1/bookings", json=request)).status_code == 201


async def test_bookings_are_limited_per_contact(client: Client) -> None:
    codes = []
    for hour in range(8, 20):
        response = await client.post(
            "/api/v1/bookings", json={"service": "yoga", "start": at(hour), "customer": CUSTOMER}
        )
        codes.append(response.status_code)
    assert codes == [201] * 10 + [429] * 2  # SLOTWISE_BOOKINGS_PER_CONTACT_PER_HOUR: 10
    other = {"name": "Bob", "phone": "+44 20 7946 0001"}
    response = await client.post(
        "/api/v1/bookings", json={"service": "yoga", "start": at(19), "customer": other}
    )
    assert response.status_code == 201


async def test_bookings_are_limited_per_address(empty_db_url: str) -> None:
    application = create_app(Settings(database_url=empty_db_url, bookings_per_minute=3))
    async with application.test_app():
        await replace_business(parse_business(STUDIO))
        client = application.test_client()
        codes = [
            (
                await client.post(
                    "/api/v1/bookings",
                    json={
                        "service": "yoga",
                        "start": at(hour),
                        "customer": {"name": f"C{hour}", "email": f"c{hour}@example.org"},
                    },
                    headers={"X-Client-Id": f"rotating-{hour}"},
                )
            ).status_code
            for hour in range(8, 13)
        ]
    assert codes == [201, 201, 201, 429, 429]
