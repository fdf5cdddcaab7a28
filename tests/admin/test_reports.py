"""The reports page, its data endpoints and CSVs, on the hand-made business of
``tests/core/test_reports.py`` (numbers worked out there), signed in as each role."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from quart import Quart

from admin.reports import REPORTS, csv_value
from core import models as m
from tests.admin.conftest import Clock, signed_in
from tests.core.test_reports import load_report_business

PERIOD = "from=2026-11-30&to=2026-12-04"


@pytest.fixture
async def business(app: Quart, clock: Clock) -> None:
    await load_report_business()
    clock.now = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # Wednesday noon in Berlin


async def test_staff_get_403_and_anonymous_are_sent_to_sign_in(app: Quart, clock: Clock) -> None:
    anonymous = app.test_client()
    response = await anonymous.get("/admin/reports")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/reports"
    assert (await anonymous.get("/admin/api/reports/peak")).status_code == 401
    assert (await anonymous.get("/admin/reports/peak.csv")).status_code == 302
    staff = await signed_in(app, clock, "staff", "ana")
    assert (await staff.get("/admin/reports")).status_code == 403
    assert (await staff.get("/admin/api/reports/providers")).status_code == 403
    assert (await staff.get("/admin/reports/providers.csv")).status_code == 403
    assert "/admin/reports" not in await (await staff.get("/admin/bookings")).get_data(as_text=True)


async def test_the_page_shows_every_report_as_a_table(
    app: Quart, clock: Clock, business: None
) -> None:
    admin = await signed_in(app, clock, "admin")
    response = await admin.get(f"/admin/reports?{PERIOD}")
    assert response.status_code == 200
    html = await response.get_data(as_text=True)
    for name in REPORTS:
        assert f'id="report-{name}"' in html
        assert f"/admin/reports/{name}.csv?{PERIOD.replace('&', '&amp;')}" in html
        assert f'data-src="/admin/api/reports/{name}?{PERIOD.replace("&", "&amp;")}"' in html
    assert "Mon, Nov 30, 2026 to Fri, Dec 4, 2026" in html
    providers = _table(html, "providers")
    assert providers[1:] == [["Ana", "39", "3", "7.7%"], ["Bo", "8", "1", "12.5%"]]
    assert _table(html, "rooms")[1:] == [["Room", "20", "1.5", "3.8%"]]
    peak = _table(html, "peak")
    assert peak[0][:3] == ["Weekday", "9:00\u202fAM", "10:00\u202fAM"]
    assert peak[1][:3] == ["Mon", "3", "2"]  # b01, b06, b07; b02, b03
    assert _table(html, "channels")[1:] == [
        ["Telegram", "3", "3", "0", "0"],
        ["web", "3", "2", "0", "1"],
        ["imported from a file", "1", "1", "0", "0"],
        ["SMS", "1", "0", "1", "0"],
    ]
    assert _table(html, "services")[1] == ["Haircut", "5", "3", "1", "1"]
    lead = {row[0]: row[1] for row in _table(html, "lead")[1:]}
    assert lead["2 to 7 days"] == "2"
    assert lead["60 days or more"] == "1"
    assert _table(html, "outcomes")[1:3] == [
        ["Mon, Nov 30, 2026", "5", "0", "1"],
        ["Tue, Dec 1, 2026", "1", "1", "0"],
    ]
    # Until Wednesday noon: Ana 17 of 19 open hours empty, the emptiest first.
    assert _table(html, "empty")[1] == ["Ana", "19", "17", "89.5%"]
    assert 'class="number heat-5">3<' in html  # Wednesday 11:00: all three empty


async def test_the_page_is_in_the_users_language(app: Quart, clock: Clock, business: None) -> None:
    admin = await signed_in(app, clock, "admin")
    await m.User.filter(email="admin-x@example.org").update(locale="de")
    html = await (await admin.get(f"/admin/reports?{PERIOD}")).get_data(as_text=True)
    assert _table(html, "providers")[1] == ["Ana", "39", "3", "7,7\u00a0%"]
    assert "Mo., 30. Nov. 2026" in html


async def test_a_wrong_period_names_the_field(app: Quart, clock: Clock, business: None) -> None:
    admin = await signed_in(app, clock, "admin")
    response = await admin.get("/admin/reports?from=2026-13-01&to=2026-12-04")
    assert response.status_code == 400
    html = await response.get_data(as_text=True)
    assert "From: write the day as YYYY-MM-DD" in html
    assert 'id="report-' not in html
    response = await admin.get("/admin/reports?from=2026-12-04&to=2026-12-01")
    assert "To: choose a day on or after the first day." in await response.get_data(as_text=True)
    response = await admin.get("/admin/api/reports/peak?from=2026-01-01&to=2027-06-01")
    assert response.status_code == 400
    assert "at most 366 days" in (await response.get_json())["detail"]


async def test_the_default_period_is_the_past_and_coming_30_days(
    app: Quart, clock: Clock, business: None
) -> None:
    admin = await signed_in(app, clock, "admin")
    found = await (await admin.get("/admin/api/reports/outcomes")).get_json()
    assert (found["from"], found["to"]) == ("2026-11-02", "2026-12-31")
    assert len(found["rows"]) == 60


async def test_data_endpoints_give_the_table_and_the_chart(
    app: Quart, clock: Clock, business: None
) -> None:
    admin = await signed_in(app, clock, "admin")
    for name in REPORTS:
        response = await admin.get(f"/admin/api/reports/{name}?{PERIOD}")
        assert response.status_code == 200, name
        found = await response.get_json()
        assert found["report"] == name
        assert found["chart"]["type"] in ("bar", "line", "heatmap")
    providers = await (await admin.get(f"/admin/api/reports/providers?{PERIOD}")).get_json()
    assert providers["chart"]["labels"] == ["Ana", "Bo"]
    assert providers["chart"]["datasets"][0]["data"] == [7.7, 12.5]
    assert providers["rows"][1] == ["Bo", 8.0, 1.0, 0.125]
    peak = await (await admin.get(f"/admin/api/reports/peak?{PERIOD}")).get_json()
    assert peak["chart"]["values"][0][:2] == [3, 2]
    assert peak["chart"]["rows"][0] == "Mon"
    outcomes = await (await admin.get(f"/admin/api/reports/outcomes?{PERIOD}")).get_json()
    assert outcomes["rows"][0] == ["2026-11-30", 5, 0, 1]
    assert outcomes["chart"]["datasets"][2]["data"] == [1, 0, 0, 0, 0]


async def test_each_report_downloads_as_csv(app: Quart, clock: Clock, business: None) -> None:
    admin = await signed_in(app, clock, "admin")
    response = await admin.get(f"/admin/reports/providers.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="slotwise-providers-2026-11-30-2026-12-04.csv"'
    )
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows == [
        ["Resource", "Open hours", "Booked hours", "Utilization (%)"],
        ["Ana", "39.0", "3.0", "7.7"],
        ["Bo", "8.0", "1.0", "12.5"],
    ]
    outcomes = await (await admin.get(f"/admin/reports/outcomes.csv?{PERIOD}")).get_data(
        as_text=True
    )
    assert outcomes.splitlines()[1] == "2026-11-30,5,0,1"
    for name in REPORTS:
        assert (await admin.get(f"/admin/reports/{name}.csv?{PERIOD}")).status_code == 200


async def test_the_csv_does_not_let_a_name_run_as_a_formula(
    app: Quart, clock: Clock, business: None
) -> None:
    await m.Resource.filter(slug="ana").update(name='=HYPERLINK("http://evil.example","x")')
    await m.Booking.filter(manage_token="b03-monday-ten-bo-").update(source_channel="@SUM(A1)")
    admin = await signed_in(app, clock, "admin")
    text = await (await admin.get(f"/admin/reports/providers.csv?{PERIOD}")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    channels = await (await admin.get(f"/admin/reports/channels.csv?{PERIOD}")).get_data(
        as_text=True
    )
    assert "'@SUM(A1)" in channels
    page = await (await admin.get(f"/admin/reports?{PERIOD}")).get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)" in page  # escaped in HTML
    assert csv_value("-2", "text") == "'-2"
    assert csv_value(-2, "int") == -2  # a number stays a number
    assert csv_value("+1 lunch", "text") == "'+1 lunch"


def _table(html: str, name: str) -> list[list[str]]:
    """The text of a report table's cells, row by row (header first)."""
    found = re.search(rf'<table id="table-{name}".*?</table>', html, re.S)
    assert found, name
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in rows
    ]
