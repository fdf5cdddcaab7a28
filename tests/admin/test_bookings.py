"""Bookings in the panel: filters, one booking with its history, cancel, move and no-show
through the booking service, and the CSV export; staff only ever reach their own."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta

from quart import Quart
from quart.typing import TestClientProtocol as Client

from admin.pages import csv_cell
from channels.services import services_of
from core import models as m
from core.bookings import BookingInfo, BookingService, CustomerInput
from tests.admin.conftest import Clock, csrf, signed_in
from tests.admin.test_pages import ADA, BERLIN, DAY, START

BOB = CustomerInput("Bob Stone", phone="+4930999888", email="bob@example.org")
EVE = CustomerInput('=HYPERLINK("http://x")', phone="+4930555000", email="@eve@example.org")


async def book_two(app: Quart) -> tuple[BookingInfo, BookingInfo]:
    """Ada with Ana at 14:15 by Telegram, Bob with Ben at 15:15 by the API; both confirmed."""
    service = services_of(app).bookings
    ada = await service.book("haircut", START, ADA, provider="ana", channel="telegram")
    bob = await service.book("haircut", START + timedelta(hours=1), BOB, provider="ben")
    return ada, bob


async def form_post(client: Client, path: str, page: str, **fields: str) -> tuple[int, str]:
    response = await client.post(path, form={"csrf_token": await csrf(client, page), **fields})
    return response.status_code, await response.get_data(as_text=True)


async def test_the_list_filters_by_range_service_channel_and_customer(
    app: Quart, clock: Clock
) -> None:
    await book_two(app)
    admin = await signed_in(app, clock, "admin")

    async def names(query: str) -> list[str]:
        data = await (await admin.get(f"/admin/api/bookings?{query}")).get_json()
        return [b["customer"]["name"] for b in data["bookings"]]

    week_before = (START - timedelta(days=7)).astimezone(BERLIN).date().isoformat()
    assert await names(f"from={week_before}&to={DAY}") == ["Ada Lovelace", "Bob Stone"]
    assert await names(f"from={week_before}&to={week_before}") == []
    assert await names(f"date={DAY}&channel=telegram") == ["Ada Lovelace"]
    assert await names(f"date={DAY}&service=colour") == []
    assert await names(f"date={DAY}&customer=LOVEL") == ["Ada Lovelace"]
    assert await names(f"date={DAY}&customer=999+888") == ["Bob Stone"]
    assert await names(f"date={DAY}&customer=bob@EXAMPLE") == ["Bob Stone"]
    page = await (await admin.get(f"/admin/bookings?date={DAY}&customer=stone")).get_data(
        as_text=True
    )
    assert "Bob Stone" in page
    assert "Ada Lovelace" not in page
    backwards = await admin.get(f"/admin/bookings?from={DAY}&to={week_before}")
    assert backwards.status_code == 400
    assert "swap them" in await backwards.get_data(as_text=True)


async def test_staff_find_only_their_own_customers(app: Quart, clock: Clock) -> None:
    _, bob = await book_two(app)
    ana = await signed_in(app, clock, "staff", "ana")
    data = await (await ana.get(f"/admin/api/bookings?date={DAY}&customer=bob")).get_json()
    assert data["bookings"] == []
    assert (await ana.get(f"/admin/bookings/{bob.id}")).status_code == 404
    exported = await (await ana.get(f"/admin/api/bookings.csv?date={DAY}")).get_data(as_text=True)
    assert "Ada Lovelace" in exported
    assert "Bob Stone" not in exported
    status, _ = await form_post(
        ana, f"/admin/bookings/{bob.id}/cancel", "/admin/bookings", reason="not mine"
    )
    assert status == 404
    assert (await m.Booking.get(id=bob.id)).status == "confirmed"


async def test_a_booking_shows_its_whole_history(app: Quart, clock: Clock) -> None:
    ada, _ = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get(f"/admin/bookings/{ada.id}")).get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "+4930123456" in page
    assert "customer:Ada Lovelace" in page  # who booked, and through which channel
    assert "telegram" in page
    assert "booked" in page
    assert (await admin.get("/admin/bookings/999999")).status_code == 404
    assert (await admin.get("/admin/bookings/x")).status_code == 404


async def test_cancel_needs_a_reason_and_records_it(app: Quart, clock: Clock) -> None:
    ada, _ = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    path, page = f"/admin/bookings/{ada.id}/cancel", f"/admin/bookings/{ada.id}"
    status, html = await form_post(admin, path, page, reason="  ")
    assert status == 400
    assert "Write the reason for the cancellation." in html
    assert (await m.Booking.get(id=ada.id)).status == "confirmed"
    status, _ = await form_post(admin, path, page, reason="Ana is ill")
    assert status == 303
    assert (await m.Booking.get(id=ada.id)).status == "cancelled"
    html = await (await admin.get(f"/admin/bookings/{ada.id}?done=cancelled")).get_data(
        as_text=True
    )
    assert "The booking is cancelled." in html
    assert "Reason: Ana is ill" in html
    assert "admin:admin-x@example.org" in html


async def test_a_form_without_its_csrf_token_changes_nothing(app: Quart, clock: Clock) -> None:
    ada, _ = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    response = await admin.post(f"/admin/bookings/{ada.id}/cancel", form={"reason": "forged"})
    assert response.status_code == 403
    response = await admin.post(
        f"/admin/bookings/{ada.id}/cancel", form={"reason": "forged", "csrf_token": "guess"}
    )
    assert response.status_code == 403
    assert (await m.Booking.get(id=ada.id)).status == "confirmed"


async def test_a_move_is_checked_by_the_engine_and_says_why_not(app: Quart, clock: Clock) -> None:
    ada, _ = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    path, page = f"/admin/bookings/{ada.id}/move", f"/admin/bookings/{ada.id}"
    status, html = await form_post(
        admin, path, page, date=DAY, time="13:15", reason="customer asked", resource="ana"
    )
    assert status == 409
    assert "Ana is not open then." in html  # her lunch break, in the explain words
    assert 'id="alternatives"' in html
    assert (await m.Booking.get(id=ada.id)).start == START
    status, html = await form_post(admin, path, page, date=DAY, time="16:00", reason="")
    assert status == 400
    assert "Write the reason for the move." in html
    status, _ = await form_post(admin, path, page, date=DAY, time="16:00", reason="later bus")
    assert status == 303
    moved = await m.Booking.get(id=ada.id)
    assert moved.start == datetime.combine(START.astimezone(BERLIN).date(), time(16), BERLIN)
    html = await (await admin.get(page)).get_data(as_text=True)
    assert '<span title="rescheduled">Moved the booking</span>' in html
    assert "Reason: later bus" in html
    assert re.search(r"from [^<]*2:15\W*PM to [^<]*4:00\W*PM", html)  # before and after


async def test_the_override_passes_the_window_but_never_another_booking(
    app: Quart, clock: Clock
) -> None:
    ada, bob = await book_two(app)
    admin = await signed_in(app, clock, "admin")
    path, page = f"/admin/bookings/{ada.id}/move", f"/admin/bookings/{ada.id}"
    far = (START + timedelta(days=70)).astimezone(BERLIN).date().isoformat()  # a Tuesday
    status, html = await form_post(admin, path, page, date=far, time="14:15", reason="abroad")
    assert status == 409
    assert "further ahead than the service can be booked" in html
    bob_time = (START + timedelta(hours=1)).astimezone(BERLIN).strftime("%H:%M")
    status, html = await form_post(
        admin, path, page, date=DAY, time=bob_time, resource="ben", reason="x", override="on"
    )
    assert status == 409
    assert (await m.Booking.get(id=ada.id)).start == START
    ana = await signed_in(app, clock, "staff", "ana")
    status, _ = await form_post(ana, path, page, date=far, time="14:15", reason="me", override="on")
    assert status == 409  # staff cannot override
    status, _ = await form_post(
        admin, path, page, date=far, time="14:15", reason="abroad", override="on"
    )
    assert status == 303
    history = await m.BookingHistory.filter(booking_id=ada.id).order_by("-id").first()
    assert history is not None
    assert history.data["override"] is True
    assert history.data["reason"] == "abroad"
    assert history.actor == "admin:admin-x@example.org"
    assert history.channel == "admin"
    assert (await m.Booking.get(id=bob.id)).status == "confirmed"


async def test_no_show_only_after_the_start(app: Quart, clock: Clock) -> None:
    ada, _ = await book_two(app)
    last_week = START - timedelta(days=14)  # a Tuesday one to seven days ago
    earlier = BookingService(clock=lambda: last_week - timedelta(days=1))
    past = await earlier.book("haircut", last_week, ADA, provider="ana")
    ana = await signed_in(app, clock, "staff", "ana")
    status, html = await form_post(
        ana, f"/admin/bookings/{ada.id}/no-show", f"/admin/bookings/{ada.id}"
    )
    assert status == 409
    assert "only after it has started" in html
    status, _ = await form_post(
        ana, f"/admin/bookings/{past.id}/no-show", f"/admin/bookings/{past.id}"
    )
    assert status == 303
    assert (await m.Booking.get(id=past.id)).status == "no_show"
    history = await m.BookingHistory.filter(booking_id=past.id, action="no_show").first()
    assert history is not None
    assert history.actor == "staff:staff-ana@example.org"


async def test_the_csv_export_keeps_the_filters_and_defuses_formulas(
    app: Quart, clock: Clock
) -> None:
    await book_two(app)
    await services_of(app).bookings.book(
        "haircut", START + timedelta(hours=2), EVE, provider="ana", channel="web"
    )
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get(f"/admin/bookings?date={DAY}&resource=ana")).get_data(
        as_text=True
    )
    assert f"/admin/api/bookings.csv?from={DAY}&amp;to={DAY}&amp;resource=ana" in page
    response = await admin.get(f"/admin/api/bookings.csv?from={DAY}&to={DAY}&resource=ana")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows[0][:3] == ["id", "start", "end"]
    assert [r[8] for r in rows[1:]] == ["Ada Lovelace", '\'=HYPERLINK("http://x")']
    assert rows[2][9] == "'+4930555000"
    assert rows[2][10] == "'@eve@example.org"
    assert datetime.fromisoformat(rows[1][1]).astimezone(UTC) == START
    assert (await admin.get(f"/admin/api/bookings.csv?date={DAY}&status=lost")).status_code == 400


def test_csv_cells_that_start_a_formula_are_prefixed() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("Ada") == "Ada"
    assert csv_cell(None) == ""
    assert csv_cell(12) == "12"
