"""Customers for the panel: search, merge (everything moves, audited) and erasure (nothing
personal left anywhere, statistics kept); the waitlist's entries and their removal."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from core import models as m
from core.bookings import Actor, BookingService, CustomerInput, Identity
from core.bookings.customers import ask_for_person
from core.customer_records import erase, merge, profile, search
from core.errors import InvalidRequest, NotFound
from core.outbox import MessageKind
from core.waitlist_admin import REMOVED, remove_entry, waitlist
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW, TUESDAY, Clock, at, load_clinic

ALICE = CustomerInput("Alice Example", phone="+4930123456", email="alice@example.org")
TELEGRAM = Identity("telegram", "777000111")
PERSONAL = ("Alice Example", "+4930123456", "alice@example.org", "777000111")


def service() -> BookingService:
    return BookingService(None, clock=Clock())


async def everything() -> str:
    """Every row of the tables that could hold a customer's data, as one text."""
    rows: list[Any] = []
    for model in (
        m.Customer,
        m.ChannelIdentity,
        m.Booking,
        m.BookingHistory,
        m.Outbox,
        m.RuleHistory,
        m.WaitlistEntry,
        m.WaitlistOffer,
        m.BookingSeries,
    ):
        rows.extend(await model.all().values())
    return json.dumps(rows, default=str)


async def test_search_finds_by_name_phone_and_email_and_staff_only_their_own(
    db: TestDatabase,
) -> None:
    await load_clinic()
    booking = service()
    await booking.book("solo", at(TUESDAY, 10), ALICE)
    await booking.book("cut", at(TUESDAY, 11), CustomerInput("Bob Stone"), provider="ben")
    assert [c.name for c in await search("alice")] == ["Alice Example"]
    assert [c.name for c in await search("0123")] == ["Alice Example"]
    assert [c.name for c in await search("ALICE@EXAMPLE")] == ["Alice Example"]
    assert {c.name for c in await search("")} == {"Alice Example", "Bob Stone"}
    assert [c.name for c in await search("", resource="ana")] == ["Alice Example"]
    assert [c.name for c in await search("bob", resource="ana")] == []
    bob = (await search("bob"))[0]
    with pytest.raises(NotFound):
        await profile(bob.id, resource="ana")
    assert (await profile(bob.id, resource="ben")).name == "Bob Stone"


async def test_merge_moves_bookings_channels_and_waitlist_and_is_audited(
    db: TestDatabase,
) -> None:
    await load_clinic()
    booking = service()
    first = await booking.book("solo", at(TUESDAY, 10), CustomerInput("Alice Example"))
    second = await booking.book("solo", at(TUESDAY, 12), ALICE, identity=TELEGRAM)
    await booking.join_waitlist("solo", at(TUESDAY, 9), at(TUESDAY, 17), ALICE, identity=TELEGRAM)
    keep = await m.Booking.get(id=first.id).values_list("customer_id", flat=True)
    drop = await m.Booking.get(id=second.id).values_list("customer_id", flat=True)
    assert keep != drop
    merged = await merge(int(keep), int(drop), actor="admin:zoe@example.org")  # type: ignore[call-overload]
    assert {b.id for b in merged.bookings} == {first.id, second.id}
    assert [(c.channel, c.external_id) for c in merged.channels] == [("telegram", "777000111")]
    assert merged.phone == "+4930123456"
    assert merged.email == "alice@example.org"
    assert merged.waiting == 1
    assert not await m.Customer.filter(id=drop).exists()
    audit = await m.RuleHistory.get(action="customer_merged")
    assert audit.actor == "admin:zoe@example.org"
    assert audit.subject == f"customer {keep}"
    assert await m.BookingHistory.filter(action="customer_merged").count() == 1
    with pytest.raises(InvalidRequest):
        await merge(int(keep), int(keep), actor="admin:zoe")  # type: ignore[call-overload]
    with pytest.raises(NotFound):
        await merge(int(keep), 999_999, actor="admin:zoe")  # type: ignore[call-overload]


async def test_erasure_leaves_nothing_personal_and_keeps_the_statistics(
    db: TestDatabase,
) -> None:
    await load_clinic()
    booking = service()
    customer_actor = Actor("customer", "Alice Example", "telegram")
    one = await booking.book("solo", at(TUESDAY, 10), ALICE, identity=TELEGRAM, channel="telegram")
    two = await booking.book("solo", at(TUESDAY, 12), ALICE, identity=TELEGRAM, channel="telegram")
    await booking.cancel(
        two.manage_token, actor=customer_actor, reason="Alice Example is ill, call +4930123456"
    )
    await booking.join_waitlist("solo", at(TUESDAY, 9), at(TUESDAY, 17), ALICE, identity=TELEGRAM)
    customer_id = int(await m.Booking.get(id=one.id).values_list("customer_id", flat=True))  # type: ignore[call-overload]
    other = await booking.book("solo", at(TUESDAY, 14), CustomerInput("Alice Twin"))
    await merge(
        customer_id,
        int(await m.Booking.get(id=other.id).values_list("customer_id", flat=True)),
        actor="admin:zoe",
    )  # type: ignore[call-overload]
    await ask_for_person("telegram", TELEGRAM.external_id, ALICE, "Alice here, call me", NOW)
    await ask_for_person("telegram", "555", CustomerInput("Zed"), "someone else", NOW)
    before = await everything()
    assert all(p in before for p in PERSONAL)  # the check can fail

    await erase(customer_id, actor="admin:zoe@example.org")

    after = await everything()
    for value in PERSONAL:
        assert value not in after, value
    assert "Alice" not in after
    shown = await profile(customer_id)
    assert (shown.name, shown.phone, shown.email, shown.channels) == ("", None, None, ())
    assert len(shown.bookings) == 3  # the bookings stay, anonymous
    assert await m.Booking.filter(customer_id=customer_id, status="cancelled").count() == 1
    assert "someone else" in after  # another person's notice is left alone
    audit = await m.RuleHistory.get(action="customer_erased")
    assert audit.before == {"bookings": 3, "channels": 1}
    assert audit.actor == "admin:zoe@example.org"


async def test_the_waitlist_lists_entries_and_removal_frees_the_offer_and_is_audited(
    db: TestDatabase,
) -> None:
    await load_clinic()
    booking = service()
    entry = await booking.join_waitlist(
        "solo", at(TUESDAY, 9), at(TUESDAY, 17), ALICE, provider="ana"
    )
    other = await booking.join_waitlist(
        "cut", at(TUESDAY, 9), at(TUESDAY, 17), ALICE, provider="ben"
    )
    offer = await m.WaitlistOffer.create(
        entry_id=entry.id,
        hold_token="hold-1",
        start=at(TUESDAY, 10),
        resources=["ana"],
        occupied_start=at(TUESDAY, 10),
        occupied_end=at(TUESDAY, 11),
        offered_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
    )
    lines = await waitlist()
    assert [line.id for line in lines] == [entry.id, other.id]
    assert [o.status for o in lines[0].offers] == ["open"]
    assert [line.id for line in await waitlist(resource="ana")] == [entry.id]
    with pytest.raises(NotFound):
        await remove_entry(other.id, actor="admin:ana", now=NOW, resource="ana")
    await remove_entry(entry.id, actor="admin:zoe@example.org", now=NOW)
    assert (await m.WaitlistEntry.get(id=entry.id)).status == REMOVED
    assert (await m.WaitlistOffer.get(id=offer.id)).status == "void"
    freed = await m.Outbox.get(dedup_key=f"waitlist:{offer.id}:freed:removed")
    assert freed.kind == MessageKind.CAPACITY_FREED
    audit = await m.RuleHistory.get(action="waitlist_removed")
    assert audit.subject == f"waitlist {entry.id}"
    assert audit.after == {"status": REMOVED}
