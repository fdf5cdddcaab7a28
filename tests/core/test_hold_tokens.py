"""Hold tokens prove only what the server issued: forged, altered or borrowed tokens book
nothing, and even a genuinely signed token is checked against the rules again.

Regression tests for the outside probe that booked a consultation on two doctors and no
room, one on two rooms and no doctor, and yoga with 0 and -5 seats, with hand-made
``u1.`` tokens; and for a start at 06:00:00.5 that passed the grid check.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from core.bookings import BookingService, HoldSigner
from core.errors import HoldExpired, InvalidRequest, NotASlot
from core.holds import Hold
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, NOW, TUESDAY, Clock, at, count, load_clinic

SECRET = b"a test secret of enough bytes"


@pytest.fixture
async def service(db: TestDatabase) -> BookingService:
    """Holds off (no store), so every hold is an unstored, signed token."""
    await load_clinic()
    return BookingService(None, clock=Clock(), signer=HoldSigner(SECRET))


def signed(hold: Hold) -> str:
    """A token signed with the server's own secret: what a leaked secret or a bug would give."""
    return HoldSigner(SECRET).token(hold)


def a_hold(**changes: object) -> Hold:
    start = at(TUESDAY, 10)
    hold = Hold(
        token="",
        owner="client-1",
        service_id="massage",
        start=start,
        resources=("ana", "room"),
        occupied_start=start,
        occupied_end=start + timedelta(minutes=60),
        seats=1,
        expires_at=NOW + timedelta(minutes=5),
    )
    return replace(hold, **changes)  # type: ignore[arg-type]


def u1_token(**claim: object) -> str:
    """The unsigned token format the probe forged."""
    data = {
        "o": "client-1",
        "s": "massage",
        "t": at(TUESDAY, 10).isoformat(),
        "r": ["ana", "ben"],
        "a": at(TUESDAY, 10).isoformat(),
        "b": at(TUESDAY, 11).isoformat(),
        "n": 1,
        "x": (NOW + timedelta(minutes=5)).isoformat(),
        "k": "x",
        **claim,
    }
    body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return "u1." + body


async def test_a_hand_made_unsigned_token_books_nothing(service: BookingService) -> None:
    with pytest.raises(HoldExpired):
        await service.confirm(u1_token(), ALICE, owner="client-1")
    assert await count("booking") == 0


async def test_an_altered_token_books_nothing(service: BookingService) -> None:
    hold = await service.hold("yoga", at(TUESDAY, 10), owner="client-1")
    body, mac = hold.token[3:].split(".")
    claim = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claim[5] = 0  # seats
    forged = base64.urlsafe_b64encode(json.dumps(claim).encode()).decode().rstrip("=")
    with pytest.raises(HoldExpired):
        await service.confirm(f"u2.{forged}.{mac}", ALICE, owner="client-1")
    assert await count("booking") == 0


async def test_a_token_is_good_only_for_its_owner_and_with_its_secret(
    service: BookingService,
) -> None:
    hold = await service.hold("yoga", at(TUESDAY, 10), owner="client-1")
    other_server = BookingService(None, clock=Clock(), signer=HoldSigner(b"another secret, 16+"))
    with pytest.raises(HoldExpired):
        await other_server.confirm(hold.token, ALICE, owner="client-1")
    with pytest.raises(HoldExpired):
        await service.confirm(hold.token, ALICE, owner="client-2")
    info = await service.confirm(hold.token, ALICE, owner="client-1")
    assert (info.service_id, info.resources, info.seats) == ("yoga", ("studio",), 1)


async def test_unstored_tokens_fit_the_booking_request(service: BookingService) -> None:
    """The probe's unstored token was longer than ``POST /bookings`` accepts (200)."""
    hold = await service.hold("massage", at(TUESDAY, 10), owner="addr:" + "9" * 39)
    assert len(hold.token) <= 120


@pytest.mark.parametrize(
    "resources",
    [("ana", "ben"), ("room", "room"), ("room", "ana"), ("ana",), ("ana", "room", "ben")],
    ids=["two-staff-no-room", "one-room-twice", "pools-swapped", "too-few", "too-many"],
)
async def test_a_signed_token_with_resources_the_service_does_not_allow_books_nothing(
    service: BookingService, resources: tuple[str, ...]
) -> None:
    with pytest.raises(HoldExpired, match="changed"):
        await service.confirm(signed(a_hold(resources=resources)), ALICE, owner="client-1")
    assert await count("booking") == 0


@pytest.mark.parametrize("seats", [0, -5])
async def test_a_signed_token_with_no_seats_books_nothing(
    service: BookingService, seats: int
) -> None:
    token = signed(a_hold(service_id="yoga", resources=("studio",), seats=seats))
    with pytest.raises(InvalidRequest) as refused:
        await service.confirm(token, ALICE, owner="client-1")
    assert refused.value.field == "seats"
    assert await count("booking") == 0


async def test_a_signed_token_for_more_seats_than_there_are_books_nothing(
    service: BookingService,
) -> None:
    token = signed(a_hold(service_id="yoga", resources=("studio",), seats=6))  # capacity 5
    with pytest.raises(NotASlot):
        await service.confirm(token, ALICE, owner="client-1")
    assert await count("booking") == 0


async def test_a_start_a_fraction_of_a_second_off_the_grid_is_not_a_slot(
    service: BookingService,
) -> None:
    start = at(TUESDAY, 10) + timedelta(milliseconds=500)
    with pytest.raises(NotASlot) as refused:
        await service.book("yoga", start, ALICE)
    assert "off_grid" in [reason.code for reason in refused.value.explanation.reasons]
    with pytest.raises(NotASlot):
        await service.hold("yoga", start, owner="client-1")
    assert await count("booking") == 0
