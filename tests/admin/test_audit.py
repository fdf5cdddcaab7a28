"""The audit log: filters (kind, who, channel, action, subject, days) and cursor pages
that neither repeat nor skip an entry, even with ties and with changes written meanwhile."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from quart import Quart

from core import models as m
from core.audit import AuditFilter, Cursor, audit_page
from core.bookings import Actor
from core.errors import InvalidRequest
from core.rules import add_block
from tests.admin.conftest import Clock, signed_in
from tests.admin.test_pages import BERLIN, two_bookings

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLDER = re.compile(r'<a href="([^"]+)" rel="next">')


def rows(page: str) -> list[str]:
    """The table's rows, as text."""
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return [re.sub(r"\s+", " ", html.unescape(r)) for r in body.split("<tr>")[1:]]


async def changes_at(at: datetime, count: int) -> None:
    """``count`` changes of each kind, all at the instant ``at``."""
    business = await m.Business.all().first()
    booking = await m.Booking.all().first()
    assert business is not None
    assert booking is not None
    for n in range(count):
        await m.BookingHistory.create(
            booking=booking, at=at, actor=f"system:t{n}", channel="api", action="booked"
        )
        await m.RuleHistory.create(
            business=business,
            at=at,
            actor=f"admin:t{n}",
            channel="admin",
            action="x",
            subject="ana",
        )
        await m.UserHistory.create(
            at=at, actor=f"cli:t{n}", channel="cli", action="user_enabled", subject="u@x.org"
        )


async def test_pages_follow_one_order_through_ties_and_never_repeat(app: Quart) -> None:
    await two_bookings(app)
    await changes_at(T, 3)
    await changes_at(T - timedelta(minutes=1), 2)
    await changes_at(T + timedelta(microseconds=1), 1)
    where = AuditFilter(start=T - timedelta(hours=1), end=T + timedelta(hours=1))
    everything = (await audit_page(where, limit=1000)).entries
    assert len(everything) == 3 * (3 + 2 + 1)
    keys = [(e.at, e.kind, e.id) for e in everything]
    rank = {"booking": 0, "rule": 1, "user": 2}
    assert keys == sorted(keys, key=lambda k: (k[0], rank[k[1]], k[2]), reverse=True)
    for size in (1, 2, 4, 7):
        walked, cursor = [], None
        while True:
            found = await audit_page(where, before=cursor, limit=size)
            walked += found.entries
            assert len(found.entries) <= size
            if found.older is None:
                break
            cursor = Cursor.parse(found.older.text())  # as the link carries it
        assert walked == everything, size


async def test_a_page_stays_the_same_while_changes_are_written(app: Quart) -> None:
    await two_bookings(app)
    await changes_at(T, 4)
    first = await audit_page(limit=5)
    assert first.older is not None
    second = await audit_page(before=first.older, limit=5)
    await changes_at(datetime.now(UTC), 3)
    await changes_at(T + timedelta(seconds=1), 2)  # newer than the cursor, too
    assert await audit_page(before=first.older, limit=5) == second


@pytest.mark.parametrize(
    "text",
    ["", "x", "1.booking", "1.cats.2", "a.booking.1", "9" * 40 + ".rule.1", "1.rule.-1",
     "1.rule.2147483648", "1.booking." + "9" * 50],
)  # fmt: skip
def test_a_damaged_cursor_is_refused_naming_the_link(text: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        Cursor.parse(text)
    assert refused.value.field == "before"


def test_a_cursor_keeps_the_microsecond() -> None:
    cursor = Cursor(T + timedelta(microseconds=7), "rule", 12)
    assert Cursor.parse(cursor.text()) == cursor


async def test_the_panel_filters_by_kind_who_channel_action_and_subject(
    app: Quart, clock: Clock
) -> None:
    await two_bookings(app)  # Ada with Ana (telegram), Bob with Ben, cancelled by admin:Zoe
    await add_block(
        "ana",
        {"start": "2026-12-30T09:00", "end": "2026-12-30T10:00", "reason": "Dentist"},
        actor=Actor("admin", "Zoe", "admin"),
    )
    ada, bob = await m.Booking.all().order_by("id").values_list("id", flat=True)
    admin = await signed_in(app, clock, "admin")

    async def shown(query: str) -> list[str]:
        response = await admin.get(f"/admin/audit?{query}")
        assert response.status_code == 200, query
        return rows(await response.get_data(as_text=True))

    everything = await shown("")
    assert len(everything) == 4  # booked, booked, cancelled, the block
    bookings = await shown("kind=booking")
    assert len(bookings) == 3
    assert all("booking " in r for r in bookings)
    [rule] = await shown("kind=rule")
    assert "resource.block" in rule
    assert await shown("kind=user") == []
    by_zoe = await shown("actor=zoe")
    assert len(by_zoe) == 2
    assert all("admin:Zoe" in r for r in by_zoe)
    [telegram] = await shown("channel=telegram")
    assert f"booking {ada}" in telegram
    [cancelled] = await shown("action=cancelled")
    assert f"booking {bob}" in cancelled
    assert all(f"booking {bob}" in r for r in await shown(f"subject={bob}"))
    assert len(await shown(f"subject={bob}")) == 2
    of_ana = await shown("subject=ana")  # Ada's booking with Ana, and Ana's block
    assert len(of_ana) == 2
    assert any("resource.block" in r for r in of_ana)
    assert any(f"booking {ada}" in r for r in of_ana)
    assert len(await shown("subject=haircut")) == 3  # every change of a haircut booking
    assert len(await shown("kind=booking&actor=zoe&action=cancelled")) == 1
    today = datetime.now(UTC).astimezone(BERLIN).date()
    assert len(await shown(f"from={today}&to={today + timedelta(days=1)}")) == 4
    long_ago = await admin.get("/admin/audit?from=2020-01-01&to=2020-01-31")
    assert rows(await long_ago.get_data(as_text=True)) == []
    assert "No change matches these filters." in await long_ago.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("from=tuesday", "From: write the day as YYYY-MM-DD"),
        ("to=2026-13-01", "To: write the day as YYYY-MM-DD"),
        ("from=2026-12-02&to=2026-12-01", "To: the last day comes before the first"),
        ("kind=cats", "Changes of: choose bookings, rules, users or all."),
        ("before=garbage", "link is damaged; start again from the newest"),
        ("before=1.user.99999999999", "link is damaged; start again from the newest"),
        ("to=9999-12-31", "To: write the day as YYYY-MM-DD"),
        ("from=0001-01-01", "From: write the day as YYYY-MM-DD"),
    ],
)
async def test_a_bad_filter_names_the_field_and_the_fix(
    app: Quart, clock: Clock, query: str, problem: str
) -> None:
    admin = await signed_in(app, clock, "admin")
    response = await admin.get(f"/admin/audit?{query}")
    assert response.status_code == 400
    assert problem in html.unescape(await response.get_data(as_text=True))


async def test_the_older_link_keeps_the_filters_and_walks_every_change(
    app: Quart, clock: Clock
) -> None:
    for n in range(120):
        await m.UserHistory.create(
            at=T + timedelta(seconds=n), actor="cli:t", channel="cli", action="user_enabled",
            subject=f"u{n:03}@x.org",
        )  # fmt: skip
    await m.UserHistory.create(at=T, actor="cli:t", channel="admin", action="x", subject="other")
    admin = await signed_in(app, clock, "admin")
    seen: list[str] = []
    path: str | None = "/admin/audit?kind=user&channel=cli"
    pages = 0
    while path is not None:
        page = await (await admin.get(html.unescape(path))).get_data(as_text=True)
        seen += [re.search(r"u\d{3}@x\.org", r).group() for r in rows(page)]  # type: ignore[union-attr]
        found = OLDER.search(page)
        path = found.group(1) if found else None
        if path is not None:
            assert "kind=user" in path
            assert "channel=cli" in path
        pages += 1
        if pages > 1:
            assert "Newest" in page
    assert pages == 3
    assert seen == [f"u{n:03}@x.org" for n in reversed(range(120))]


async def test_a_number_no_row_can_have_finds_nothing_instead_of_failing(
    app: Quart, clock: Clock
) -> None:
    admin = await signed_in(app, clock, "sysadmin")
    response = await admin.get("/admin/audit?subject=99999999999")
    assert response.status_code == 200
    assert "No change matches these filters." in await response.get_data(as_text=True)
    assert (await admin.get("/admin/users/99999999999")).status_code == 404
    assert (await admin.get("/admin/customers/2147483648")).status_code == 404
