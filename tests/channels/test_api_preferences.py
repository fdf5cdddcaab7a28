"""The customer's own time zone and language in POST /api/v1/bookings and /waitlist:
checked (422 naming the field), stored on the customer, and used for their messages."""

from __future__ import annotations

from typing import Any

from quart.typing import TestClientProtocol as Client

from core import models as m
from tests.channels.test_api import CUSTOMER, FREE, app, body, client

__all__ = ["app", "client"]  # the fixtures, used by name


async def book(client: Client, customer: dict[str, Any]) -> Any:
    request = {"service": "massage", "start": FREE, "customer": customer}
    return await client.post("/api/v1/bookings", json=request)


async def test_a_customers_zone_and_language_are_stored(client: Client) -> None:
    response = await book(
        client,
        {**CUSTOMER, "email": "ada@example.org", "timezone": "Asia/Tokyo", "locale": "de_AT"},
    )
    assert response.status_code == 201, await response.get_data(as_text=True)
    customer = await m.Customer.get(email="ada@example.org")
    assert (customer.timezone, customer.locale) == ("Asia/Tokyo", "de-AT")
    row = await m.Outbox.filter(kind="customer_confirmation").first()
    assert row is not None
    assert row.payload["customer"]["timezone"] == "Asia/Tokyo"


async def test_an_unknown_zone_or_language_is_422_naming_the_field(client: Client) -> None:
    zone = await book(client, {**CUSTOMER, "timezone": "Mars/Olympus"})
    assert zone.status_code == 422
    problem = await body(zone)
    assert (problem["code"], problem["field"]) == ("invalid_preference", "customer.timezone")
    assert "Europe/Berlin" in problem["detail"]
    language = await book(client, {**CUSTOMER, "locale": "pt-BR"})
    assert language.status_code == 422
    problem = await body(language)
    assert (problem["code"], problem["field"]) == ("invalid_preference", "customer.locale")
    waitlist = await client.post(
        "/api/v1/waitlist",
        json={
            "service": "massage",
            "window_start": FREE,
            "window_end": "2027-01-04T15:00:00Z",
            "customer": {**CUSTOMER, "locale": "klingon"},
        },
    )
    assert waitlist.status_code == 422
    assert (await body(waitlist))["field"] == "customer.locale"
    assert await m.Booking.filter(source_channel="api").count() == 0


async def test_the_waitlist_keeps_the_customers_zone(client: Client) -> None:
    response = await client.post(
        "/api/v1/waitlist",
        json={
            "service": "massage",
            "window_start": FREE,
            "window_end": "2027-01-04T15:00:00Z",
            "customer": {**CUSTOMER, "email": "w@example.org", "timezone": "America/Chicago"},
        },
    )
    assert response.status_code == 201, await response.get_data(as_text=True)
    customer = await m.Customer.get(email="w@example.org")
    assert customer.timezone == "America/Chicago"
