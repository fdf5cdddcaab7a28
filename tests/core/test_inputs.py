"""Checks of what callers hand the booking service: control characters never reach a row."""

from __future__ import annotations

import pytest

from core.bookings import CustomerInput
from core.bookings.inputs import check_characters, check_customer, check_text
from core.errors import InvalidRequest
from core.text import first_control, strip_controls
from tests.conftest import TestDatabase
from tests.core.test_booking import TUESDAY, at, count, make_setup

BAD = ["\x00", "\x01", "\x1b", "\x7f", "\ud800", "\n", "\t"]


@pytest.mark.parametrize("char", BAD)
@pytest.mark.parametrize(
    ("customer", "field"),
    [
        (lambda c: CustomerInput(f"Ana{c}"), "customer.name"),
        (lambda c: CustomerInput("Ana", phone=f"+4930{c}1234567"), "customer.phone"),
        (lambda c: CustomerInput("Ana", email=f"ana{c}@example.org"), "customer.email"),
    ],
)
def test_control_characters_in_a_customer_are_refused(
    char: str, customer: object, field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_customer(customer(char))  # type: ignore[operator]
    assert refused.value.field == field
    assert f"U+{ord(char):04X}" in refused.value.message


def test_control_characters_in_an_owner_or_key_are_refused() -> None:
    with pytest.raises(InvalidRequest) as owner:
        check_text("client:a\x00b", "owner")
    assert owner.value.field == "owner"
    with pytest.raises(InvalidRequest) as service:
        check_text("cut\x00", "service", limit=100)
    assert service.value.field == "service"


def test_free_text_may_hold_lines_and_tabs_but_no_nul() -> None:
    check_characters("late\n\tsorry\r\n", "reason", lines=True)
    with pytest.raises(InvalidRequest):
        check_characters("late\x00", "reason", lines=True)
    assert first_control("plain text, ünïcode ✓") is None
    assert strip_controls("a\x00b\x1b[31mc\nd\te\x7f\ud800") == "ab[31mc\nd\te"


async def test_a_nul_in_a_name_is_a_clear_error_not_a_database_error(db: TestDatabase) -> None:
    """On PostgreSQL a NUL in a customer's name used to end in a driver error (a 500)."""
    setup = await make_setup()
    with pytest.raises(InvalidRequest) as refused:
        await setup.service.book(
            "cut", at(TUESDAY, 10), CustomerInput("Ana\x00", phone="+491234567")
        )
    assert refused.value.field == "customer.name"
    assert await count("booking") == 0
    assert await count("customer") == 0


async def test_the_service_refuses_control_characters_in_names_and_tokens(
    db: TestDatabase,
) -> None:
    """Every caller passes through the booking service: a NUL there never reaches a query."""
    from core.bookings import Actor
    from core.errors import HoldExpired, NotFound

    setup = await make_setup()
    service = setup.service
    for call, field in (
        (service.hold("solo\x00", at(TUESDAY, 10), owner="o"), "service"),
        (service.hold("solo", at(TUESDAY, 10), owner="o", provider="ana\x00"), "provider"),
        (service.book("solo\x00", at(TUESDAY, 10), CustomerInput("Ana")), "service"),
        (service.offer("solo\x00", TUESDAY, TUESDAY), "service"),
    ):
        with pytest.raises(InvalidRequest) as refused:
            await call
        assert refused.value.field == field
    with pytest.raises(NotFound):
        await service.get("abc\x00def")
    with pytest.raises(HoldExpired):
        await service.confirm("tok\x00en", CustomerInput("Ana"), owner="o")
    booking = await service.book("solo", at(TUESDAY, 10), CustomerInput("Ana"))
    with pytest.raises(InvalidRequest) as refused:
        await service.cancel(booking.manage_token, actor=Actor("customer", "Ana"), reason="ill\x00")
    assert refused.value.field == "reason"
    assert await count("booking", "status = 'confirmed'") == 1
