"""The REST API through Quart's test client, on each database: shapes, codes, problems."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core.apikeys import create_api_key
from core.businessfile import parse_business
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings

GOLDEN = Path(__file__).parents[1] / "golden"
SPA = json.loads((GOLDEN / "03-staff-and-room.json").read_text())["business"]
FREE = "2027-01-04T11:00:00Z"  # a Monday: Tom and Room 1 are free at 11:00 London time
CUSTOMER = {"name": "Ada Lovelace", "phone": "+44 20 7946 0000"}


def spa_next_january() -> dict[str, Any]:
    """The golden spa, with its hours and one booking moved to a Monday in the future."""
    document = json.loads(json.dumps(SPA))
    document["resources"][2]["blocks"] = [{"start": "2027-01-04T12:00", "end": "2027-01-04T13:00"}]
    document["bookings"] = [
        {"service": "massage", "start": "2027-01-04T10:00:00Z", "resources": ["tom", "room-1"]}
    ]
    return document


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url, holds_per_minute=5))
    async with application.test_app():
        await replace_business(parse_business(json.dumps(spa_next_january())))
        yield application


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


async def body(response: Any) -> Any:
    return json.loads(await response.get_data(as_text=True))


async def test_services_and_providers(client: Client) -> None:
    services = await body(await client.get("/api/v1/services"))
    assert [s["id"] for s in services["services"]] == ["massage"]
    providers = await body(await client.get("/api/v1/providers"))
    assert {p["id"] for p in providers["providers"]} == {"tom", "eve", "room-1"}


async def test_slots_match_the_engine(client: Client) -> None:
    response = await client.get("/api/v1/slots?service=massage&from=2027-01-04&to=2027-01-04")
    assert response.status_code == 200
    starts = [s["start"] for s in (await body(response))["slots"]]
    assert starts[:2] == ["2027-01-04T11:00:00Z", "2027-01-04T13:00:00Z"]


async def test_book_then_get_cancel(client: Client) -> None:
    request = {"service": "massage", "start": FREE, "customer": CUSTOMER}
    response = await client.post("/api/v1/bookings", json=request)
    assert response.status_code == 201, await response.get_data(as_text=True)
    booking = await body(response)
    assert booking["resources"] == ["tom", "room-1"]
    assert booking["status"] == "confirmed"
    token = booking["manage_token"]
    fetched = await body(await client.get(f"/api/v1/bookings/{token}"))
    assert fetched["id"] == booking["id"]
    again = await client.post("/api/v1/bookings", json=request)
    assert again.status_code == 409
    problem = await body(again)
    assert problem["code"] == "slot_taken"
    assert again.headers["Content-Type"] == "application/problem+json"
    assert problem["alternatives"]
    cancelled = await client.post(f"/api/v1/bookings/{token}/cancel", json={"reason": "ill"})
    assert (await body(cancelled))["status"] == "cancelled"


async def test_idempotency_key_gives_back_the_same_booking(client: Client) -> None:
    request = {"service": "massage", "start": FREE, "customer": CUSTOMER}
    headers = {"Idempotency-Key": "order-1"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/bookings", json=request, headers=headers) for _ in range(3))
    )
    ids = {(await body(r))["id"] for r in responses}
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len(ids) == 1


async def bearer(name: str) -> dict[str, str]:
    _, key = await create_api_key(name)
    return {"Authorization": f"Bearer {key}"}


async def test_hold_then_confirm_and_strangers_cannot_touch_it(client: Client) -> None:
    a, b = await bearer("partner-a"), await bearer("partner-b")
    response = await client.post(
        "/api/v1/holds", json={"service": "massage", "start": FREE}, headers=a
    )
    assert response.status_code == 201
    hold = await body(response)
    stranger = await client.delete(f"/api/v1/holds/{hold['token']}", headers=b)
    assert stranger.status_code == 403
    anonymous = await client.delete(f"/api/v1/holds/{hold['token']}")
    assert anonymous.status_code == 403
    slots = await body(
        await client.get("/api/v1/slots?service=massage&from=2027-01-04&to=2027-01-04")
    )
    assert FREE not in [s["start"] for s in slots["slots"]]
    booked = await client.post(
        "/api/v1/bookings",
        json={"service": "massage", "start": FREE, "customer": CUSTOMER, "hold": hold["token"]},
        headers=a,
    )
    assert booked.status_code == 201


async def test_holds_are_rate_limited(client: Client) -> None:
    codes = []
    for hour in range(11, 18):
        start = f"2027-01-04T{hour:02d}:00:00Z"
        response = await client.post(
            "/api/v1/holds",
            json={"service": "massage", "start": start},
            headers={"X-Client-Id": "greedy"},
        )
        codes.append(response.status_code)
    assert 429 in codes
    assert codes.index(429) <= 5


@pytest.mark.parametrize(
    ("path", "payload", "status", "code", "field"),
    [
        ("/api/v1/bookings", {"service": "massage"}, 400, "invalid_request", "start"),
        (
            "/api/v1/bookings",
            {"service": "massage", "start": FREE, "customer": CUSTOMER, "colour": "red"},
            400,
            "invalid_request",
            "colour",
        ),
        (
            "/api/v1/bookings",
            {"service": "massage", "start": "2027-01-04T11:00:00", "customer": CUSTOMER},
            400,
            "invalid_request",
            "start",
        ),
        (
            "/api/v1/bookings",
            {"service": "massage", "start": FREE, "seats": "2", "customer": CUSTOMER},
            400,
            "invalid_request",
            "seats",
        ),
        (
            "/api/v1/bookings",
            {"service": "massage", "start": "2027-01-04T11:10:00Z", "customer": CUSTOMER},
            422,
            "not_a_slot",
            "start",
        ),
        (
            "/api/v1/bookings",
            {"service": "massage", "start": "2020-01-06T11:00:00Z", "customer": CUSTOMER},
            422,
            "not_a_slot",
            "start",
        ),
        (
            "/api/v1/bookings",
            {"service": "nope", "start": FREE, "customer": CUSTOMER},
            404,
            "unknown_service",
            "service",
        ),
        (
            "/api/v1/bookings",
            {"service": "massage", "start": FREE, "customer": {"name": "X"}},
            400,
            "invalid_request",
            "customer.phone",
        ),
    ],
)
async def test_bad_requests_get_clear_problems(
    client: Client, path: str, payload: Any, status: int, code: str, field: str
) -> None:
    response = await client.post(path, json=payload)
    problem = await body(response)
    assert response.status_code == status, problem
    assert problem["code"] == code
    assert problem["field"] == field
    assert problem["detail"]


async def test_unknown_address_and_garbage_body(client: Client) -> None:
    missing = await client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert (await body(missing))["code"] == "not_found"
    garbage = await client.post(
        "/api/v1/bookings", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400
    assert (await body(garbage))["code"] == "invalid_request"
    unknown = await client.get("/api/v1/bookings/not-a-token")
    assert unknown.status_code == 404


async def test_openapi_document(client: Client) -> None:
    document = await body(await client.get("/api/v1/openapi.json"))
    assert "/api/v1/bookings" in document["paths"]
    assert "/api/v1/slots" in document["paths"]


async def test_body_that_is_not_utf8_is_a_bad_request(client: Client) -> None:
    """Found by schemathesis: a non-UTF-8 JSON body used to end in a 500."""
    response = await client.post(
        "/api/v1/holds", data=b"\xff\x02\xc3", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await body(response))["code"] == "invalid_request"
