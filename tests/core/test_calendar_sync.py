"""Two-way sync with a staff member's calendar, against a calendar kept in memory (the
round trip with a real CalDAV server is in tests/core/test_calendar_radicale.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import TracebackType

import pytest
from cryptography.fernet import Fernet

from core import models as m
from core.availability import explain_start
from core.bookings import Actor, CustomerInput
from core.calendars import Calendars, Credentials
from core.calendars.remote import Changes
from core.errors import CalendarRefused, CalendarUnreachable, InvalidRequest, NotFound
from core.store import EXTERNAL, load_snapshot
from tests.core.test_booking import ALICE, TUESDAY, Setup, at, make_setup

BASE = "https://dav.example/calendars/ana/work/"
PUBLIC = "https://book.example"
ADMIN = Actor("admin", "Ada", "admin")


class FakeCalendar:
    """A CalDAV collection: objects by href, and a change log the sync token points into."""

    def __init__(self) -> None:
        self.objects: dict[str, str] = {}
        self.log: list[str] = []
        self.fail: Exception | None = None
        self.opened_with: tuple[str, str, str] | None = None

    def event(self, name: str, start: str, end: str, extra: str = "") -> None:
        body = f"UID:{name}@elsewhere\nDTSTART:{start}\nDTEND:{end}\n{extra}".strip()
        self._write(
            BASE + name,
            f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\n{body}\nEND:VEVENT\n"
            "END:VCALENDAR\n",
        )

    def remove(self, name: str) -> None:
        self.objects.pop(BASE + name)
        self.log.append(BASE + name)

    def _write(self, href: str, ics: str) -> None:
        self.objects[href] = ics
        self.log.append(href)

    async def changes(self, token: str | None) -> Changes:
        self._check()
        if token is None:
            found = list(self.objects.items())
        else:
            since = dict.fromkeys(self.log[int(token) :])
            found = [(href, self.objects.get(href)) for href in since]
        return Changes(found, str(len(self.log)))

    async def put(self, name: str, ics: str) -> str:
        self._check()
        self._write(BASE + name, ics)
        return BASE + name

    async def delete(self, href: str) -> None:
        self._check()
        self.objects.pop(href, None)
        self.log.append(href)

    def _check(self) -> None:
        if self.fail is not None:
            raise self.fail

    async def __aenter__(self) -> FakeCalendar:
        self._check()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def ours(self) -> dict[str, str]:
        return {h: ics for h, ics in self.objects.items() if "slotwise-booking-" in h}


@pytest.fixture
async def setup(db: object) -> Setup:
    return await make_setup()


@pytest.fixture
def remote() -> FakeCalendar:
    return FakeCalendar()


@pytest.fixture
def calendars(setup: Setup, remote: FakeCalendar) -> Calendars:
    def opener(url: str, user: str, password: str) -> FakeCalendar:
        remote.opened_with = (url, user, password)
        return remote

    key = Fernet.generate_key().decode()
    return Calendars(Credentials(key), PUBLIC, setup.clock, opener=opener)


async def free(setup: Setup, hour: int) -> bool:
    day = await setup.service.offer("solo", TUESDAY, TUESDAY, provider="ana")
    return any(slot.start == at(TUESDAY, hour) for slot in day)


async def test_an_event_there_takes_the_slots_here_and_its_removal_gives_them_back(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    assert await free(setup, 10)
    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    shown = await calendars.connect("ana", BASE, "ana", "app-password")
    assert (shown.state, shown.busy, shown.last_error) == ("ok", 1, "")
    assert remote.opened_with == (BASE, "ana", "app-password")
    assert not await free(setup, 10)
    assert await free(setup, 12)
    explanation, _ = await explain_start("solo", at(TUESDAY, 10), setup.clock.now, "ana")
    assert [r.ref for r in explanation.reasons] == [EXTERNAL]  # no title kept

    remote.event("dentist.ics", "20261201T120000Z", "20261201T130000Z")  # moved there
    await calendars.sync("ana")
    assert await free(setup, 10)
    assert not await free(setup, 12)
    remote.remove("dentist.ics")
    await calendars.sync("ana")
    assert await free(setup, 12)
    assert await m.ExternalBusy.all().count() == 0


async def test_the_password_is_kept_encrypted(calendars: Calendars, remote: FakeCalendar) -> None:
    await calendars.connect("ana", BASE, "ana", "app-password")
    (row,) = await m.CalendarConnection.all()
    assert "app-password" not in row.secret


async def test_bookings_go_there_follow_moves_and_leave_on_cancellation(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    await calendars.connect("ana", BASE, "ana", "pw")
    booking = await setup.service.book("solo", at(TUESDAY, 10), ALICE, provider="ana")
    await setup.service.book("cut", at(TUESDAY, 14), CustomerInput("Bo"), provider="ben")
    await calendars.sync("ana")
    (written,) = remote.ours().values()  # Ana's only, not Ben's
    assert f"UID:booking-{booking.id}@book.example" in written
    assert "SUMMARY:Solo · Alice" in written
    assert "DTSTART:20261201T100000Z" in written
    assert "METHOD" not in written  # RFC 4791: not in stored objects
    assert await free(setup, 12)
    assert await m.ExternalBusy.all().count() == 0  # our own event is not read back as busy

    before = len(remote.log)
    await calendars.sync("ana")
    assert remote.ours() == dict.fromkeys(remote.ours(), written)
    assert len(remote.log) == before  # nothing changed, nothing written

    setup.clock.advance(minutes=1)
    await setup.service.reschedule(booking.manage_token, at(TUESDAY, 15), actor=ADMIN)
    await calendars.sync("ana")
    (moved,) = remote.ours().values()
    assert "DTSTART:20261201T150000Z" in moved
    assert "SEQUENCE:1" in moved
    assert await free(setup, 10)  # its own old event does not block the old time

    await setup.service.cancel(booking.manage_token, actor=ADMIN)
    await calendars.sync("ana")
    assert remote.ours() == {}


async def test_a_refused_connection_keeps_its_busy_time_and_waits_to_be_fixed(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    await calendars.connect("ana", BASE, "ana", "pw")
    remote.fail = CalendarRefused("the calendar server refused the user name or password")
    shown = await calendars.sync("ana")
    assert shown.state == "refused"
    assert "password" in shown.last_error
    assert shown.busy == 1
    assert not await free(setup, 10)  # still counts
    setup.clock.advance(hours=1)
    assert await calendars.sync_due() == []  # not retried by itself

    remote.fail = None
    await calendars.connect("ana", BASE, "ana", "new-pw")
    assert (await calendars.connections())[0].state == "ok"


async def test_an_unreachable_calendar_is_tried_again_at_the_next_round(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    await calendars.connect("ana", BASE, "ana", "pw")
    remote.fail = CalendarUnreachable("the calendar server could not be reached: timed out")
    setup.clock.advance(minutes=5)
    (shown,) = await calendars.sync_due()
    assert shown.state == "failing"
    assert await calendars.sync_due() == []  # not due again at once
    remote.fail = None
    remote.event("late.ics", "20261201T100000Z", "20261201T110000Z")
    setup.clock.advance(minutes=5)
    (shown,) = await calendars.sync_due()
    assert (shown.state, shown.busy) == ("ok", 1)


async def test_a_weekly_event_is_read_again_as_the_window_moves_on(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    remote.event("weekly.ics", "20261201T100000Z", "20261201T110000Z", "RRULE:FREQ=WEEKLY")
    await calendars.connect("ana", BASE, "ana", "pw")
    first = await m.ExternalBusy.all().order_by("-start").first()
    assert first is not None
    setup.clock.advance(days=8)
    await calendars.sync_due()
    last = await m.ExternalBusy.all().order_by("-start").first()
    assert last is not None
    assert last.start - first.start == timedelta(days=7)


async def test_connecting_checks_what_it_is_given(calendars: Calendars, setup: Setup) -> None:
    with pytest.raises(InvalidRequest, match="http"):
        await calendars.connect("ana", "ftp://dav.example/", "ana", "pw")
    with pytest.raises(NotFound, match="nobody"):
        await calendars.connect("nobody", BASE, "ana", "pw")
    with pytest.raises(InvalidRequest, match="SLOTWISE_CREDENTIALS_KEY"):
        await Calendars(Credentials(None), PUBLIC, setup.clock).connect("ana", BASE, "ana", "pw")
    with pytest.raises(InvalidRequest, match="Fernet"):
        Credentials("not a key")
    with pytest.raises(NotFound):
        await calendars.disconnect("ana")


PRIVATE = [
    "http://127.0.0.1:5232/ana/work/",
    "http://10.0.0.7/ana/work/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/ana/work/",
    "http://localhost:5232/ana/work/",
]


@pytest.mark.parametrize("url", PRIVATE)
async def test_a_private_calendar_address_is_refused_unless_the_operator_allows_it(
    setup: Setup, calendars: Calendars, remote: FakeCalendar, url: str
) -> None:
    with pytest.raises(InvalidRequest, match="SLOTWISE_CALENDARS_ALLOW_PRIVATE=true") as no:
        await calendars.connect("ana", url, "ana", "pw")
    assert no.value.field == "url"
    assert remote.opened_with is None  # nothing was asked of it
    assert not await m.CalendarConnection.exists()

    allowed = Calendars(
        Credentials(Fernet.generate_key().decode()),
        PUBLIC,
        setup.clock,
        allow_private=True,
        opener=lambda *_: remote,
    )
    shown = await allowed.connect("ana", url, "ana", "pw")
    assert (shown.state, shown.url) == ("ok", url)


async def test_a_stored_connection_that_now_points_inward_is_refused_at_sync_time(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    assert (await calendars.connect("ana", BASE, "ana", "pw")).state == "ok"
    # Stored when private addresses were allowed, or written to the database by hand.
    await m.CalendarConnection.filter(resource__slug="ana").update(
        url="http://169.254.169.254/latest/"
    )
    remote.opened_with = None
    remote.event("lunch.ics", "20261201T120000Z", "20261201T130000Z")

    shown = await calendars.sync("ana")
    assert shown.state == "refused"
    assert "SLOTWISE_CALENDARS_ALLOW_PRIVATE=true" in shown.last_error
    assert remote.opened_with is None  # nothing fetched, nothing written
    assert shown.busy == 1  # what was read before still counts; lunch was never read
    assert await free(setup, 12)
    setup.clock.advance(days=1)
    assert await calendars.sync_due() == []  # refused: left alone until connected again


async def test_disconnecting_forgets_the_busy_time(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    await calendars.connect("ana", BASE, "ana", "pw")
    await calendars.disconnect("ana")
    assert await free(setup, 10)
    assert await calendars.connections() == []


async def test_overlapping_events_are_one_stretch_of_busy_time(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    remote.event("a.ics", "20261201T100000Z", "20261201T110000Z")
    remote.event("b.ics", "20261201T103000Z", "20261201T120000Z")
    remote.event("c.ics", "20261201T120000Z", "20261201T123000Z")  # touches b
    remote.event("d.ics", "20261201T140000Z", "20261201T150000Z")
    await calendars.connect("ana", BASE, "ana", "pw")
    snapshot = await load_snapshot(at(TUESDAY, 0), at(TUESDAY, 23))
    away = snapshot.resources["ana"].away
    assert away is not None
    assert away.spans == (
        (int(at(TUESDAY, 10).timestamp()), int(at(TUESDAY, 12, 30).timestamp())),
        (int(at(TUESDAY, 14).timestamp()), int(at(TUESDAY, 15).timestamp())),
    )
    assert snapshot.busy == ()  # not booking busy time: subtracted from the open time
    assert not await free(setup, 11)
    assert await free(setup, 13)


async def test_an_event_on_a_booking_is_told_to_the_staff_member_once(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    from core.notify import render_staff
    from core.notify.messages import Facts
    from core.outbox import MessageKind
    from core.text.i18n import Speaker

    booking = await setup.service.book("solo", at(TUESDAY, 10), ALICE, provider="ana")
    await calendars.connect("ana", BASE, "ana", "pw")
    clashes = m.Outbox.filter(kind=MessageKind.STAFF_CALENDAR_CONFLICT)
    assert await clashes.count() == 0
    remote.event("dentist.ics", "20261201T103000Z", "20261201T113000Z")
    remote.event("lunch.ics", "20261201T120000Z", "20261201T130000Z")  # clashes with nothing
    await calendars.sync("ana")
    (told,) = await clashes
    assert told.booking_id == booking.id
    assert told.payload["resources"] == ["ana"]
    await calendars.sync("ana")
    setup.clock.advance(days=2)  # a full read again: the same event is not told twice
    await calendars.sync("ana")
    assert await clashes.count() == 1
    assert await m.Booking.filter(id=booking.id, status="confirmed").exists()  # kept

    facts = Facts(
        business="Clinic",
        service="Solo",
        customer="Alice",
        start=at(TUESDAY, 10),
        end=at(TUESDAY, 11),
        manage_url="",
        calendar_url="",
    )
    text = render_staff(MessageKind.STAFF_CALENDAR_CONFLICT, facts, Speaker("en", "UTC", "UTC"))
    assert "An event in your own calendar overlaps your booking Solo" in text.text
    assert "for Alice" in text.text


async def test_busy_time_is_read_again_exactly_when_a_sync_changed_it(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    await calendars.connect("ana", BASE, "ana", "pw")
    version = (await m.CalendarConnection.get()).busy_version
    first = await load_snapshot(at(TUESDAY, 0), at(TUESDAY, 23))
    await calendars.sync("ana")  # nothing changed there
    assert (await m.CalendarConnection.get()).busy_version == version
    again = await load_snapshot(at(TUESDAY, 0), at(TUESDAY, 23))
    assert again.resources["ana"].away is first.resources["ana"].away  # kept, not read again

    remote.event("lunch.ics", "20261201T120000Z", "20261201T130000Z")
    await calendars.sync("ana")
    assert (await m.CalendarConnection.get()).busy_version != version
    assert not await free(setup, 12)  # the very next query sees it
    later = await load_snapshot(at(TUESDAY, 0), at(TUESDAY, 23))
    away = later.resources["ana"].away
    assert away is not None
    assert len(away.spans) == 2
    assert later.resources["ben"].away is None  # no calendar connected


async def test_a_rule_edit_does_not_count_an_event_there_as_a_misfit(
    setup: Setup, calendars: Calendars, remote: FakeCalendar
) -> None:
    from core.importing import _misfits

    await setup.service.book("solo", at(TUESDAY, 10), ALICE, provider="ana")
    remote.event("dentist.ics", "20261201T100000Z", "20261201T110000Z")
    await calendars.connect("ana", BASE, "ana", "pw")
    assert await _misfits(setup.clock.now) == ()


class Gauge:
    """How many calendars are open at once, and the most there were."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.closed = 0
        self.all_others_closed = asyncio.Event()


class CountedCalendar(FakeCalendar):
    def __init__(self, gauge: Gauge, others: int) -> None:
        super().__init__()
        self.gauge = gauge
        self.others = others
        self.slow = False

    async def __aenter__(self) -> FakeCalendar:
        self.gauge.now += 1
        self.gauge.most = max(self.gauge.most, self.gauge.now)
        return await super().__aenter__()

    async def changes(self, token: str | None) -> Changes:
        if self.slow:  # answers only once every other calendar has been synced
            await asyncio.wait_for(self.gauge.all_others_closed.wait(), timeout=30)
        return await super().changes(token)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.gauge.now -= 1
        if not self.slow:
            self.gauge.closed += 1
            if self.gauge.closed == self.others:
                self.gauge.all_others_closed.set()


def counted(setup: Setup, parallel: int) -> tuple[Calendars, dict[str, CountedCalendar], Gauge]:
    gauge = Gauge()
    names = ("ana", "ben", "room", "studio")
    remotes = {name: CountedCalendar(gauge, len(names) - 1) for name in names}
    key = Fernet.generate_key().decode()
    calendars = Calendars(
        Credentials(key),
        PUBLIC,
        setup.clock,
        parallel=parallel,
        opener=lambda url, user, password: remotes[user],
    )
    return calendars, remotes, gauge


async def test_one_slow_server_does_not_hold_up_the_others(setup: Setup) -> None:
    calendars, remotes, gauge = counted(setup, parallel=4)
    for name, remote in remotes.items():
        remote.event(f"{name}.ics", "20261201T100000Z", "20261201T110000Z")
        await calendars.connect(name, f"https://dav.example/{name}/", name, "pw")
    remotes["ana"].slow = True  # first in line: synced one after another, it would hang
    gauge.closed = 0
    setup.clock.advance(minutes=5)
    done = await calendars.sync_due()
    assert [(c.resource, c.state) for c in done] == [
        ("ana", "ok"),
        ("ben", "ok"),
        ("room", "ok"),
        ("studio", "ok"),
    ]
    gauge.closed = 0
    gauge.all_others_closed.clear()
    assert [c.state for c in await calendars.sync_all()] == ["ok"] * 4  # the command's way


async def test_no_more_calendars_are_synced_at_once_than_allowed(setup: Setup) -> None:
    calendars, remotes, gauge = counted(setup, parallel=2)
    for name in remotes:
        await calendars.connect(name, f"https://dav.example/{name}/", name, "pw")
    gauge.most = 0
    assert len(await calendars.sync_all()) == 4
    assert gauge.most == 2


async def test_an_unexpected_failure_of_one_calendar_leaves_the_others_synced(
    setup: Setup,
) -> None:
    calendars, remotes, _ = counted(setup, parallel=4)
    for name in remotes:
        await calendars.connect(name, f"https://dav.example/{name}/", name, "pw")
    remotes["ben"].fail = RuntimeError("a bug")
    states = {c.resource: (c.state, c.last_error) for c in await calendars.sync_all()}
    assert states["ben"][0] == "failing"
    assert "unexpectedly" in states["ben"][1]
    assert [states[n][0] for n in ("ana", "room", "studio")] == ["ok"] * 3
