"""Customers recognised across channels (core.customers), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import models as m
from core.bookings import CustomerInput, Identity, Recurrence
from core.bookings.customers import upcoming_bookings
from core.customers import (
    Route,
    e164,
    find_or_create,
    mark_unreachable,
    normalized,
    opt_in,
    opt_out,
    phone_or_as_is,
    reachable_channels,
)
from core.db import connection
from core.errors import InvalidRequest
from tests.conftest import TestDatabase
from tests.core.test_booking import NOW, TUESDAY, Setup, at, count, make_setup

TELEGRAM = Identity("telegram", "4242")
ADA = CustomerInput("Ada", phone="+49 30 1234567", email="Ada@Example.org", locale="de")


@pytest.fixture
async def setup(db: TestDatabase) -> Setup:
    return await make_setup()


@pytest.mark.parametrize(
    ("written", "region", "stored"),
    [
        ("+49 30 1234567", None, "+49301234567"),
        ("030 1234567", "DE", "+49301234567"),
        ("(030) 123-4567", "DE", "+49301234567"),
        ("0049 30 1234567", "DE", "+49301234567"),
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+7 912 345-67-89", "DE", "+79123456789"),
    ],
)
def test_phones_are_stored_in_e164_in_any_region_and_form(
    written: str, region: str | None, stored: str
) -> None:
    assert e164(written, region) == stored


def test_a_phone_that_does_not_parse_is_kept_as_written() -> None:
    assert phone_or_as_is("+4912345", None) == "+4912345"
    assert phone_or_as_is("call me", "DE") == "call me"
    with pytest.raises(ValueError, match="country code"):
        e164("030 1234567", None)


async def test_a_local_number_is_read_in_the_business_region(setup: Setup) -> None:
    assert (await normalized(CustomerInput("A", phone="030 1234567"))).phone == "030 1234567"
    await m.Business.all().update(timezone="Europe/Berlin")  # the clinic was on UTC: no country
    assert (await normalized(CustomerInput("A", phone="030 1234567"))).phone == "+49301234567"
    await m.Business.all().update(locale="de-AT")  # a locale's region comes first
    assert (await normalized(CustomerInput("A", phone="01 5123456"))).phone == "+4315123456"


async def test_find_or_create_by_identity_phone_and_email(db: TestDatabase) -> None:
    first = await find_or_create(ADA, TELEGRAM)
    assert await find_or_create(CustomerInput("Someone else"), TELEGRAM) == first
    assert await find_or_create(CustomerInput("Ada L.", phone="+49301234567")) == first
    assert await find_or_create(CustomerInput("A", email="ADA@example.ORG")) == first
    other = await find_or_create(CustomerInput("Bob", email="bob@example.org"))
    assert other != first
    assert await m.Customer.all().count() == 2
    assert await m.ChannelIdentity.all().count() == 1
    row = await m.Customer.get(id=first)
    # The identity is the person: what they said last is kept; a phone or an e-mail
    # alone (anyone may type one) only fills what is missing.
    assert (row.name, row.phone, row.email) == ("Someone else", "+49301234567", ADA.email)


async def test_a_phone_shared_by_two_customers_matches_neither(db: TestDatabase) -> None:
    a = await m.Customer.create(name="A", phone="+49301234567")
    b = await m.Customer.create(name="B", phone="+49301234567")
    made = await find_or_create(CustomerInput("C", phone="+49301234567"))
    assert made not in (a.id, b.id)


async def test_a_new_identity_is_tied_to_the_customer_its_vouched_phone_finds(
    db: TestDatabase,
) -> None:
    """Telegram's shared contact (or an SMS sender's own number) is the person's: tie it."""
    known = await find_or_create(ADA)
    vouched = Identity("telegram", "4242", verified_phone=ADA.phone)
    assert await find_or_create(CustomerInput("Ada", phone=ADA.phone), vouched) == known
    tied = await m.ChannelIdentity.get(channel="telegram", external_id="4242")
    assert tied.customer_id == known
    assert await find_or_create(
        CustomerInput("", phone=ADA.phone), Identity("sms", ADA.phone or "")
    )
    sms = await m.ChannelIdentity.get(channel="sms")
    assert sms.customer_id == known


async def test_a_typed_phone_or_email_never_ties_a_chat_to_someone_elses_bookings(
    db: TestDatabase,
) -> None:
    """Anyone can type a number: tied, the typist's chat would list and cancel that
    person's bookings. A typed contact makes a customer of its own."""
    known = await find_or_create(ADA)
    assert await find_or_create(CustomerInput("Ada", phone=ADA.phone)) == known  # no chat: fine
    typed = CustomerInput("Mallory", phone=ADA.phone, email=ADA.email)
    for identity in (TELEGRAM, Identity("web", "session-1"), Identity("slack", "U9")):
        assert await find_or_create(typed, identity) != known
    assert not await m.ChannelIdentity.filter(customer_id=known).exists()


async def test_two_bookings_by_the_same_phone_are_one_customer(setup: Setup) -> None:
    one = await setup.service.book("cut", at(TUESDAY, 10), CustomerInput("Ada", phone=ADA.phone))
    two = await setup.service.book(
        "cut", at(TUESDAY, 11), CustomerInput("Ada", phone="+49301234567")
    )
    ids = await m.Booking.filter(id__in=[one.id, two.id]).values_list("customer_id", flat=True)
    assert len(set(ids)) == 1
    assert await m.Customer.all().count() == 1


async def test_a_booking_ties_its_identity_in_its_own_transaction(setup: Setup) -> None:
    first = await setup.service.book("cut", at(TUESDAY, 10), ADA, identity=TELEGRAM)
    second = await setup.service.book(
        "cut", at(TUESDAY, 11), CustomerInput("Ada", email="other@example.org"), identity=TELEGRAM
    )
    mine = await upcoming_bookings("telegram", "4242", NOW)
    assert [b.id for b in mine] == [first.id, second.id]
    assert await m.Customer.all().count() == 1
    hold = await setup.service.hold("cut", at(TUESDAY, 12), owner="o")
    third = await setup.service.confirm(hold.token, ADA, owner="o", identity=TELEGRAM)
    series = await setup.service.book_series(
        "cut",
        at(TUESDAY, 14),
        ADA,
        recurrence=Recurrence("weekly", count=2),
        identity=TELEGRAM,
    )
    ids = {third.id, *(b.id for b in series.bookings)}
    assert ids <= {b.id for b in await upcoming_bookings("telegram", "4242", NOW)}
    assert await m.Customer.all().count() == 1
    assert await m.BookingSeries.filter(customer_id__isnull=True).count() == 0


async def _fail_history_inserts(db: TestDatabase) -> None:
    """A fault after the booking row is written: the history insert raises."""
    conn = connection()
    if db.is_postgres:
        await conn.execute_script(
            "CREATE FUNCTION injected_fault() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql; "
            'CREATE TRIGGER injected_fault BEFORE INSERT ON "booking_history" '
            "FOR EACH ROW EXECUTE FUNCTION injected_fault();"
        )
    else:
        await conn.execute_script(
            'CREATE TRIGGER injected_fault BEFORE INSERT ON "booking_history" '
            "BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
        )


async def _heal(db: TestDatabase) -> None:
    conn = connection()
    if db.is_postgres:
        await conn.execute_script(
            'DROP TRIGGER injected_fault ON "booking_history"; DROP FUNCTION injected_fault();'
        )
    else:
        await conn.execute_script("DROP TRIGGER injected_fault;")


async def test_a_booking_and_its_customer_tie_commit_together(
    setup: Setup, db: TestDatabase
) -> None:
    """Before, the chat tied the customer in a second transaction after the booking's: a
    crash in between left a booking that "my bookings" did not list."""
    await _fail_history_inserts(db)
    try:
        with pytest.raises(Exception, match="injected fault"):
            await setup.service.book("cut", at(TUESDAY, 10), ADA, identity=TELEGRAM)
        assert await count("booking") == 0
        assert await count("customer") == 0
        assert await count("channel_identity") == 0
    finally:
        await _heal(db)
    booked = await setup.service.book("cut", at(TUESDAY, 10), ADA, identity=TELEGRAM)
    assert [b.id for b in await upcoming_bookings("telegram", "4242", NOW)] == [booked.id]


async def test_an_identity_is_checked_like_any_field(setup: Setup) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await setup.service.book(
            "cut", at(TUESDAY, 10), ADA, identity=Identity("telegram", "x\x00")
        )
    assert caught.value.field == "identity.external_id"


async def test_opt_out_opt_in_unreachable_and_the_order_of_channels(setup: Setup) -> None:
    booked = await setup.service.book(
        "cut", at(TUESDAY, 10), ADA, channel="telegram", identity=TELEGRAM
    )
    customer_id = await m.Booking.get(id=booked.id).values_list("customer_id", flat=True)
    assert isinstance(customer_id, int)
    slack = Identity("slack", "U1", verified_phone=ADA.phone)  # as if Slack vouched for it
    await find_or_create(CustomerInput("Ada", phone=ADA.phone), slack)
    assert await reachable_channels(customer_id) == [
        Route("telegram", "4242"),
        Route("slack", "U1"),
        Route("sms", "+49301234567"),
        Route("email", ADA.email or ""),
    ]
    # STOP from the number as Twilio writes it; START brings it back.
    assert await opt_out("sms", "+49 30 1234567") == customer_id
    assert Route("sms", "+49301234567") not in await reachable_channels(customer_id)
    assert await mark_unreachable("telegram", "4242")
    assert await reachable_channels(customer_id) == [
        Route("slack", "U1"),
        Route("email", ADA.email or ""),
    ]
    assert await opt_in("sms", "+49301234567")
    assert await opt_in("telegram", "4242")
    assert [r.channel for r in await reachable_channels(customer_id)] == [
        "telegram",
        "slack",
        "sms",
        "email",
    ]
    assert not await mark_unreachable("telegram", "nobody")


async def test_stop_from_an_unknown_number_is_kept_for_later(setup: Setup) -> None:
    """A number that opted out before it ever booked stays opted out when it books."""
    await opt_out("sms", "+14155552671", NOW - timedelta(days=1))
    booked = await setup.service.book(
        "cut", at(TUESDAY, 10), CustomerInput("Zoe", phone="+1 415 555 2671")
    )
    customer_id = await m.Booking.get(id=booked.id).values_list("customer_id", flat=True)
    assert isinstance(customer_id, int)
    assert await reachable_channels(customer_id) == []
    assert await m.Customer.all().count() == 1
    assert await reachable_channels(customer_id + 100) == []


def test_the_zone_of_a_phone_number_when_it_has_one() -> None:
    from core.customers import zone_of_number

    assert zone_of_number("+493012345678") == "Europe/Berlin"
    assert zone_of_number("+81312345678") == "Asia/Tokyo"
    assert zone_of_number("+79161234567") is None  # a Russian mobile: many zones
    assert zone_of_number("not a number") is None


def test_a_customers_own_zone_and_language_are_checked() -> None:
    import pytest

    from core.customers import preferences
    from core.errors import InvalidPreference

    assert preferences("Asia/Tokyo", "fr_CA") == ("Asia/Tokyo", "fr-CA")
    assert preferences(None, None) == (None, None)
    with pytest.raises(InvalidPreference) as zone:
        preferences("Mars/Olympus", None)
    assert zone.value.field == "customer.timezone"
    with pytest.raises(InvalidPreference) as language:
        preferences(None, "pt-BR")
    assert language.value.field == "customer.locale"
