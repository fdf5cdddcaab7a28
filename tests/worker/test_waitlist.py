"""The worker runs the waitlist cascade: freed time offered, the offer sent, lapses passed on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels.email import EMAIL
from core import models as m
from core.bookings import Actor, BookingService
from core.bookings.cascade import Cascade, OfferHolds
from core.customers import CustomerInput
from core.holds import MemoryHoldStore
from slotwise.worker import Moment, Worker
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW, TUESDAY, at, load_clinic
from tests.worker.test_worker import PUBLIC, Recorder, recording

TEN = at(TUESDAY, 10)
STAFF = Actor("staff", "Ana", "slack")


class Setup:
    def __init__(self) -> None:
        self.moment = Moment(lambda: NOW)
        self.bookings = BookingService(OfferHolds(MemoryHoldStore()), clock=self.moment)
        self.recorder = Recorder()
        self.worker = Worker(
            recording(self.recorder),
            public_url=PUBLIC,
            name="w1",
            clock=lambda: NOW,
            cascade=Cascade(self.bookings),
            moment=self.moment,
        )


@pytest.fixture
async def setup(db: TestDatabase) -> Setup:
    await load_clinic()
    return Setup()


async def test_a_cancellation_reaches_the_waitlist_through_the_worker(setup: Setup) -> None:
    taken = await setup.bookings.book("solo", TEN, CustomerInput("Xavier", phone="+4911"))
    for name in ("Amy", "Bea"):
        await setup.bookings.join_waitlist(
            "solo", TEN, TEN + timedelta(minutes=30), CustomerInput(name, email=f"{name}@x.org")
        )
    await setup.bookings.cancel(taken.manage_token, actor=STAFF)
    results = await setup.worker.drain(NOW)
    lines = [r.line() for r in results]
    assert any("capacity_freed" in line and "offered entry #1" in line for line in lines), lines
    offers = [(a, o) for a, o in setup.recorder.sent if o.kind == "waitlist_offer"]
    assert [a for a, _ in offers] == ["Amy@x.org"]
    (_, offer) = offers[0]
    token = (await m.WaitlistOffer.get()).token
    assert f"{PUBLIC}/w/{token}" in offer.text
    assert "reply 1" in offer.text
    assert "Solo" in offer.subject
    assert [action.value for action in offer.actions] == [
        f"waitlist:accept:{token}",
        f"waitlist:decline:{token}",
    ]  # buttons where the channel shows them (Telegram, Slack), numbers on SMS
    # The hold lapses at the worker's now + 15 min; the next round passes it on to Bea.
    assert await setup.worker.drain(NOW + timedelta(minutes=14)) == []
    later = await setup.worker.drain(NOW + timedelta(minutes=15))
    assert any("offered entry #2" in r.line() for r in later), [r.line() for r in later]
    offers = [a for a, o in setup.recorder.sent if o.kind == "waitlist_offer"]
    assert offers == ["Amy@x.org", "Bea@x.org"]


async def test_an_offer_ended_before_its_message_went_out_is_dropped(setup: Setup) -> None:
    taken = await setup.bookings.book("solo", TEN, CustomerInput("Xavier", phone="+4911"))
    await setup.bookings.join_waitlist(
        "solo", TEN, TEN + timedelta(minutes=30), CustomerInput("Amy", email="amy@x.org")
    )
    await setup.bookings.cancel(taken.manage_token, actor=STAFF)
    cascade = setup.worker.cascade
    assert cascade is not None
    await cascade.freed(TEN, TEN + timedelta(hours=1), NOW)  # offered, message not sent yet
    await cascade.decline((await m.WaitlistOffer.get()).token, NOW)
    results = await setup.worker.drain(NOW)
    dropped = [r for r in results if r.kind == "waitlist_offer"]
    assert [r.outcome for r in dropped] == ["dropped"]
    assert not [o for _, o in setup.recorder.sent if o.kind == "waitlist_offer"]
    assert EMAIL in setup.worker.senders
