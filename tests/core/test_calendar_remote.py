"""The CalDAV client against a server that misbehaves: too large an answer, an XML bomb,
not XML at all. The address is typed by a person; the server is not ours."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from core.calendars import remote
from core.calendars.remote import DavCalendar
from core.errors import CalendarUnreachable

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<d:multistatus xmlns:d="DAV:"><d:sync-token>&lol2;</d:sync-token></d:multistatus>'
)


async def changes_from(httpserver: HTTPServer, body: str, status: int = 207) -> None:
    httpserver.expect_request("/cal/", method="REPORT").respond_with_data(
        body, status=status, content_type="application/xml"
    )
    async with DavCalendar(httpserver.url_for("/cal/"), "ana", "x") as calendar:
        await calendar.changes(None)


async def test_an_answer_too_large_is_not_read(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "MAX_ANSWER", 1000)
    with pytest.raises(CalendarUnreachable, match="larger than"):
        await changes_from(httpserver, "<x>" + "a" * 5000 + "</x>")


async def test_an_xml_bomb_or_junk_is_refused_not_expanded(httpserver: HTTPServer) -> None:
    with pytest.raises(CalendarUnreachable, match="not XML"):
        await changes_from(httpserver, BOMB)
    httpserver.clear()
    with pytest.raises(CalendarUnreachable, match="not XML"):
        await changes_from(httpserver, "\x00 not xml at all")
