"""What the REST API accepts, found by an outside probe: every refusal is a 4xx problem
naming the field the caller sent, on each database; nothing reaches a row."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from core import models as m
from tests.channels.test_api import CUSTOMER, FREE, app, body, client

__all__ = ["app", "client"]  # the fixtures, shared with test_api

BOOKED = 1  # the spa's own booking, from its business file
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\ud800"]


async def assert_problem(response: Any, status: int, field: str | None) -> dict[str, Any]:
    text = await response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = json.loads(text)
    assert problem.get("field") == field, problem
    return problem


def booking(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"service": "massage", "start": FREE, "customer": dict(CUSTOMER)}
    for key, value in changes.items():
        if key.startswith("customer_"):
            request["customer"][key.removeprefix("customer_")] = value
        else:
            request[key] = value
    return request


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_name": "Ada{}"}, "customer.name"),
        ({"customer_email": "ada{}@example.org"}, "customer.email"),
        ({"customer_phone": "+44 20 7946{} 0000"}, "customer.phone"),
        ({"service": "massage{}"}, "service"),
        ({"provider": "tom{}"}, "provider"),
        ({"hold": "h{}"}, "hold"),
    ],
)
async def test_control_characters_in_a_booking_are_refused_by_field(
    client: Client, char: str, change: dict[str, str], field: str
) -> None:
    """A NUL in any of these used to be a 500 on PostgreSQL."""
    request = booking(**{k: v.format(char) for k, v in change.items()})
    response = await client.post("/api/v1/bookings", json=request)
    problem = await assert_problem(response, 400, field)
    assert problem["code"] == "invalid_request"
    assert await m.Booking.all().count() == BOOKED
    assert await m.Customer.all().count() == 0


@pytest.mark.parametrize("char", CONTROLS)
async def test_control_characters_in_other_requests_are_refused(client: Client, char: str) -> None:
    hold = await client.post("/api/v1/holds", json={"service": f"massage{char}", "start": FREE})
    await assert_problem(hold, 400, "service")
    waitlist = {
        "service": "massage",
        "customer": {"name": f"Ada{char}", "phone": "+44 20 7946 0000"},
        "window_start": FREE,
        "window_end": "2027-01-04T18:00:00Z",
    }
    await assert_problem(await client.post("/api/v1/waitlist", json=waitlist), 400, "customer.name")
    if char == "\ud800":
        return  # no URL can carry a lone surrogate
    slots = await client.get(
        "/api/v1/slots",
        query_string={"service": f"massage{char}", "from": "2027-01-04", "to": "2027-01-04"},
    )
    await assert_problem(slots, 400, "service")


async def test_a_nul_in_a_token_or_reason_is_refused(client: Client) -> None:
    booked = await client.post("/api/v1/bookings", json=booking())
    token = (await body(booked))["manage_token"]
    for path in ("/api/v1/bookings/ab%00cdefgh", "/api/v1/bookings/ab%00cdefgh/cancel"):
        response = await (client.get(path) if path.endswith("h") else client.post(path, json={}))
        await assert_problem(response, 400, "manage_token")
    await assert_problem(await client.delete("/api/v1/holds/ab%00cd"), 400, "token")
    reason = await client.post(f"/api/v1/bookings/{token}/cancel", json={"reason": "ill\x00"})
    await assert_problem(reason, 400, "reason")
    assert (await body(await client.get(f"/api/v1/bookings/{token}")))["status"] == "confirmed"
    lines = await client.post(f"/api/v1/bookings/{token}/cancel", json={"reason": "ill,\n\tsorry"})
    assert (await body(lines))["status"] == "cancelled"


@pytest.mark.parametrize("email", ["not an email", "ada@", "@example.org", "ada@@example.org"])
async def test_an_email_that_is_not_one_is_refused(client: Client, email: str) -> None:
    request = booking(customer_email=email)
    del request["customer"]["phone"]
    response = await client.post("/api/v1/bookings", json=request)
    await assert_problem(response, 400, "customer.email")


@pytest.mark.parametrize("phone", ["12345", "call me", "+1 000", "+44 20 7946 000000000"])
async def test_a_phone_that_is_not_one_is_refused(client: Client, phone: str) -> None:
    response = await client.post("/api/v1/bookings", json=booking(customer_phone=phone))
    await assert_problem(response, 400, "customer.phone")
    assert await m.Booking.all().count() == BOOKED


async def test_phones_are_read_in_the_business_region_and_kept_in_e164(client: Client) -> None:
    """The spa is in Europe/London: a number without a country code is a British one."""
    response = await client.post("/api/v1/bookings", json=booking(customer_phone="020 7946 0000"))
    assert response.status_code == 201, await response.get_data(as_text=True)
    (customer,) = await m.Customer.all()  # noqa: RUF100
    assert customer.phone == "+442079460000"


@pytest.mark.parametrize("start", [1798794000, 1798794000.0, "1798794000", "2027-01-04T11:00:00"])
async def test_a_start_must_be_iso_text_with_an_offset(client: Client, start: Any) -> None:
    """An epoch number as ``start`` used to be booked."""
    response = await client.post("/api/v1/bookings", json=booking(start=start))
    await assert_problem(response, 400, "start")
    hold = await client.post("/api/v1/holds", json={"service": "massage", "start": start})
    await assert_problem(hold, 400, "start")
    assert await m.Booking.all().count() == BOOKED


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("0001-01-01", "0001-01-02", "from"),
        ("1798794000", "2027-01-04", "from"),
        ("2027-01-04", "9999-12-31", "to"),
        ("2027-02-30", "2027-03-01", "from"),
    ],
)
async def test_slot_errors_name_the_parameter_sent(
    client: Client, first: str, last: str, field: str
) -> None:
    """``first`` and ``from_`` are our names, not the caller's."""
    response = await client.get(
        "/api/v1/slots", query_string={"service": "massage", "from": first, "to": last}
    )
    problem = await assert_problem(response, 400, field)
    assert "first" not in problem["detail"]
    assert "from_" not in problem["detail"]


@pytest.mark.parametrize("path", ["/api/v1/bookings", "/api/v1/holds", "/api/v1/waitlist"])
async def test_json_nested_deeply_is_a_bad_request(client: Client, path: str) -> None:
    """20,000 nested arrays used to end in a RecursionError: a 500 HTML page."""
    deep = "[" * 20_000 + "]" * 20_000
    response = await client.post(path, data=deep, headers={"Content-Type": "application/json"})
    await assert_problem(response, 400, None)
    nested = '{"service": ' + "[" * 40 + "]" * 40 + "}"
    response = await client.post(path, data=nested, headers={"Content-Type": "application/json"})
    await assert_problem(response, 400, None)


async def test_a_body_that_is_not_utf8_text_is_a_bad_request(app: Quart, client: Client) -> None:
    for data in (b"\xff\xfe", b"\xff\xfe{\x00}\x00"):
        response = await client.post(
            "/api/v1/bookings", data=data, headers={"Content-Type": "application/json"}
        )
        await assert_problem(response, 400, None)
