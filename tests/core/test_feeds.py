"""Calendar feeds: signed addresses that can be revoked, and bodies that change only with
their content (so a polling calendar gets 304s), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar

from core.bookings import Actor, CustomerInput
from core.errors import NotFound
from core.feeds import Feed, FeedService, FeedSigner
from core.rules import add_block, put_override
from tests.core.test_booking import ALICE, TUESDAY, Setup, at, make_setup

SECRET = b"0123456789abcdef0123456789abcdef"
PUBLIC = "https://book.example"
ADMIN = Actor("admin", "Ada", "admin")


@pytest.fixture
async def setup(db: object) -> Setup:
    return await make_setup()


@pytest.fixture
def feeds(setup: Setup) -> FeedService:
    return FeedService(FeedSigner(SECRET), PUBLIC, setup.clock)


def token_of(link: str) -> str:
    assert link.startswith(f"{PUBLIC}/feeds/")
    assert link.endswith(".ics")
    return link.removeprefix(f"{PUBLIC}/feeds/").removesuffix(".ics")


async def read(feeds: FeedService, link: str) -> Feed:
    found = await feeds.render(token_of(link))
    assert found is not None
    return found


def events(feed: Feed) -> dict[str, dict[str, str]]:
    """The feed's events by UID: their properties as iCalendar text."""
    calendar = Calendar.from_ical(feed.body)
    return {
        str(e["UID"]): {str(k): v.to_ical().decode() for k, v in e.items()}
        for e in calendar.walk("VEVENT")
    }


def test_a_token_verifies_only_as_signed() -> None:
    signer = FeedSigner(SECRET)
    token = signer.sign("resource", "ana", 3)
    assert signer.read(token) == ("resource", "ana", 3)
    assert FeedSigner(b"another secret of 32 bytes......").read(token) is None
    head, _, mac = token.rpartition(".")
    assert signer.read(head.replace("r3", "r4", 1) + "." + mac) is None  # an older/newer version
    assert signer.read(head.replace("r3", "c3", 1) + "." + mac) is None  # another kind
    other = signer.sign("resource", "ben", 3)
    assert signer.read(head + "." + other.rpartition(".")[2]) is None
    for junk in ("", ".", "r1..", "x1.YW5h.AAAA", "r.YW5h.AAAA", "r1.YW5h.!!!", "r1.%%%.AAAA"):
        assert signer.read(junk) is None


async def test_a_staff_feed_holds_bookings_blocks_and_days_off(
    setup: Setup, feeds: FeedService
) -> None:
    one = await setup.service.book("solo", at(TUESDAY, 10), ALICE)
    for n in range(2):
        await setup.service.book("yoga", at(TUESDAY, 12), CustomerInput(f"Guest {n}"))
    await add_block(
        "ana",
        {"start": "2026-12-07T13:00", "rrule": "FREQ=WEEKLY;BYDAY=MO", "duration_min": 60,
         "reason": "team meeting"},
        actor=ADMIN,
    )  # fmt: skip
    await put_override("ana", date(2026, 12, 24), [], actor=ADMIN)
    await put_override("ana", date(2026, 12, 23), [["10:00", "14:00"]], actor=ADMIN)

    found = events(await read(feeds, await feeds.resource_link("ana")))
    booking = found[f"booking-{one.id}@book.example"]
    assert booking["SUMMARY"] == "Solo · Alice"
    assert booking["DTSTART"] == "20261201T100000Z"
    block = next(e for uid, e in found.items() if uid.startswith("block-"))
    assert block["SUMMARY"] == "Blocked: team meeting"
    assert block["RRULE"] == "FREQ=WEEKLY;BYDAY=MO"
    off = found["day-ana-20261224@book.example"]
    assert off["SUMMARY"] == "Day off"
    assert off["DTSTART"] == "20261224"
    assert "10:00" in found["day-ana-20261223@book.example"]["SUMMARY"]
    assert not any("Yoga" in e["SUMMARY"] for e in found.values())  # the studio's, not Ana's

    studio = events(await read(feeds, await feeds.resource_link("studio")))
    (yoga,) = studio.values()
    assert yoga["SUMMARY"] == "Yoga · 2 booked"  # a class is one event, not one per guest


async def test_the_body_is_stable_until_something_in_it_changes(
    setup: Setup, feeds: FeedService
) -> None:
    booking = await setup.service.book("solo", at(TUESDAY, 10), ALICE)
    link = await feeds.resource_link("ana")
    first = await read(feeds, link)
    setup.clock.advance(minutes=30)
    again = await read(feeds, link)
    assert again.body == first.body
    assert again.etag == first.etag

    await setup.service.reschedule(booking.manage_token, at(TUESDAY, 11), actor=ADMIN)
    moved = await read(feeds, link)
    assert moved.etag != first.etag
    (event,) = events(moved).values()
    assert event["DTSTART"] == "20261201T110000Z"
    assert event["SEQUENCE"] == "1"

    await setup.service.cancel(booking.manage_token, actor=ADMIN)
    assert events(await read(feeds, link)) == {}


async def test_revoking_stops_every_earlier_address(setup: Setup, feeds: FeedService) -> None:
    old = await feeds.resource_link("ana")
    assert await feeds.resource_link("ana") == old  # the same until revoked
    new = await feeds.revoke_resource("ana")
    assert new != old
    assert await feeds.render(token_of(old)) is None
    assert await feeds.render(token_of(new)) is not None
    newer = await feeds.revoke_resource("ana")
    assert await feeds.render(token_of(new)) is None
    assert await feeds.resource_link("ana") == newer


async def test_links_of_many_resources_are_each_ones_link(setup: Setup, feeds: FeedService) -> None:
    """The calendars page asks for a hundred at once: the same addresses, revoked or not;
    a resource that does not exist has none."""
    await feeds.revoke_resource("ana")
    links = await feeds.resource_links(["ana", "nobody", "studio"])
    assert links == {
        "ana": await feeds.resource_link("ana"),
        "studio": await feeds.resource_link("studio"),
    }
    assert token_of(links["ana"]).startswith("r2.")


async def test_an_unknown_resource_is_named(feeds: FeedService) -> None:
    with pytest.raises(NotFound, match="nobody"):
        await feeds.resource_link("nobody")


async def test_a_customer_feed_holds_only_their_bookings_with_their_links(
    setup: Setup, feeds: FeedService
) -> None:
    mine = await setup.service.book("solo", at(TUESDAY, 10), ALICE)
    later = await setup.service.book("cut", at(TUESDAY, 15), ALICE)
    other = await setup.service.book("cut", at(TUESDAY, 11), CustomerInput("Bob"))
    await setup.service.cancel(later.manage_token, actor=ADMIN)
    link = await feeds.customer_link(mine.manage_token)
    assert link is not None
    assert await feeds.customer_link(other.manage_token) != link
    found = events(await read(feeds, link))
    assert list(found) == [f"booking-{mine.id}@book.example"]  # not Bob's, not the cancelled
    event = found[f"booking-{mine.id}@book.example"]
    assert event["SUMMARY"] == "Solo · Test clinic"
    assert event["URL"] == f"{PUBLIC}/b/{mine.manage_token}"

    assert await feeds.revoke_customer(mine.manage_token) not in (None, link)
    assert await feeds.render(token_of(link)) is None


async def test_old_bookings_leave_the_feed(setup: Setup, feeds: FeedService) -> None:
    await setup.service.book("solo", at(TUESDAY, 10), ALICE)
    link = await feeds.resource_link("ana")
    assert events(await read(feeds, link))
    setup.clock.advance(days=92)
    assert events(await read(feeds, link)) == {}
