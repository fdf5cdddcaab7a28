"""A waitlist offer answered by SMS: "1" takes it, "2" lets it go; without an offer the
digit is the dialog's as always."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart import Quart

from channels.services import services_of
from core import models as m
from core.bookings import Actor
from core.customers import CustomerInput
from tests.channels.sms.conftest import CUSTOMER, Phone


async def offer_to_the_phone(app: Quart) -> datetime:
    found = services_of(app)
    bookings, cascade = found.bookings, found.cascade
    assert cascade is not None
    day = (datetime.now(UTC) + timedelta(days=7)).date()
    slot = (await bookings.offer("haircut", day, day + timedelta(days=6), "ana"))[0]
    taken = await bookings.book("haircut", slot.start, CustomerInput("Xavier", phone="+4930111"))
    ada = CustomerInput("Ada", phone=CUSTOMER)
    await bookings.join_waitlist(
        "haircut", slot.start, slot.start + timedelta(minutes=1), ada, channel="sms"
    )
    await bookings.cancel(taken.manage_token, actor=Actor("staff", "Ana", "slack"))
    steps = await cascade.freed(slot.start, slot.end, datetime.now(UTC))
    assert [s.action for s in steps] == ["offered"]
    return slot.start


async def test_one_takes_the_offer(app: Quart) -> None:
    start = await offer_to_the_phone(app)
    answer = await Phone(app).text("1")
    assert answer.startswith("It's yours: Haircut")
    assert "https://book.example/b/" in answer
    (booking,) = await m.Booking.filter(status="confirmed", start=start)
    assert booking.source_channel == "sms"
    assert (await m.WaitlistOffer.get()).status == "accepted"
    again = await Phone(app).text("1")  # no offer open any more: the dialog answers
    assert not again.startswith("It's yours")


async def test_two_lets_it_go(app: Quart) -> None:
    await offer_to_the_phone(app)
    answer = await Phone(app).text("2")
    assert "offered it to the next person" in answer
    assert (await m.WaitlistOffer.get()).status == "declined"
    assert await m.Outbox.filter(kind="capacity_freed", dedup_key__contains="declined").count()
