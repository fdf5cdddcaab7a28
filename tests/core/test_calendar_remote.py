"""The CalDAV client against a server that misbehaves: too large an answer, an XML bomb,
not XML at all, an address or a redirect inside our own network. The address is typed by
a person; the server is not ours."""

from __future__ import annotations

import socket
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp.abc import ResolveResult
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from core import netguard
from core.calendars import remote
from core.calendars.remote import PRIVATE_FIX, DavCalendar, check_url
from core.errors import CalendarRefused, CalendarUnreachable, InvalidRequest

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<d:multistatus xmlns:d="DAV:"><d:sync-token>&lol2;</d:sync-token></d:multistatus>'
)


async def changes_from(httpserver: HTTPServer, body: str, status: int = 207) -> None:
    httpserver.expect_request("/cal/", method="REPORT").respond_with_data(
        body, status=status, content_type="application/xml"
    )
    # The test server is on loopback: allowed, as an operator allows a server on their LAN.
    async with DavCalendar(httpserver.url_for("/cal/"), "ana", "x", allow_private=True) as calendar:
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


PRIVATE = [
    "http://127.0.0.1:5232/ana/work/",
    "http://10.1.2.3/ana/work/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:5232/ana/work/",
    "http://[::ffff:127.0.0.1]/ana/work/",
    "http://[64:ff9b::a00:5]/ana/work/",  # NAT64 to 10.0.0.5
    "http://[2002:a9fe:a9fe::1]/ana/work/",  # 6to4 of 169.254.169.254
    "http://[::a9fe:a9fe]/ana/work/",  # IPv4-compatible
    "http://[fe80::1%25eth0]/ana/work/",
    "http://0.0.0.0/ana/work/",
    "http://240.0.0.1/ana/work/",
    "http://localhost:5232/ana/work/",
    "http://LOCALHOST./ana/work/",
    "http://radicale.local/ana/work/",
    "http://nextcloud.internal/remote.php/dav/",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_calendar_addresses_are_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_url(url, allow_private=False)
    assert refused.value.field == "url"
    assert PRIVATE_FIX in refused.value.message
    assert "SLOTWISE_CALENDARS_ALLOW_PRIVATE=true" in refused.value.message
    assert check_url(f" {url} ", allow_private=True) == url  # the operator's choice


def test_public_calendar_addresses_pass() -> None:
    assert check_url("https://caldav.example.com/ana/", allow_private=False)
    assert check_url("https://93.184.216.34/ana/", allow_private=False)
    for odd in ("ftp://caldav.example.com/", "https:///ana/", "http://host:99999/", "x"):
        with pytest.raises(InvalidRequest, match="http") as refused:
            check_url(odd, allow_private=True)
        assert refused.value.field == "url"


class Inward:
    """A resolver that answers every name with loopback: what DNS rebinding does."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0,
                flags=0,
            )
        ]  # fmt: skip

    async def close(self) -> None:
        return None


async def test_a_name_that_resolves_inward_is_refused_when_connecting(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/cal/").respond_with_data("<x/>", status=207)
    monkeypatch.setattr(netguard, "ThreadedResolver", Inward)
    url = f"http://calendar.example.com:{httpserver.port}/cal/"
    check_url(url, allow_private=False)  # a public-looking name passes the typed check
    async with DavCalendar(url, "ana", "x") as calendar:
        with pytest.raises(CalendarRefused, match="resolves to a private address") as refused:
            await calendar.changes(None)
    assert PRIVATE_FIX in refused.value.message
    assert httpserver.log == []  # nothing was sent


async def test_the_real_resolver_refuses_a_name_of_this_machine(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "private_host", lambda host: False)  # the typed check misses it
    async with DavCalendar(f"http://localhost:{httpserver.port}/cal/", "ana", "x") as calendar:
        with pytest.raises(CalendarRefused, match="localhost resolves to a private address"):
            await calendar.put("a.ics", "BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    assert httpserver.log == []


@pytest.fixture
def public_server(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test server (127.0.0.1) stands for a public server, everything else private
    stays private; its address."""
    real = netguard.private_host
    monkeypatch.setattr(remote, "private_host", lambda host: host != "127.0.0.1" and real(host))
    return f"http://127.0.0.1:{httpserver.port}/cal/"


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/", "http://10.0.0.5/cal/", "http://localhost/"]
)
async def test_a_redirect_inward_is_not_followed(
    httpserver: HTTPServer, public_server: str, target: str
) -> None:
    httpserver.expect_request("/cal/").respond_with_data(
        "", status=307, headers={"Location": target}
    )
    async with DavCalendar(public_server, "ana", "x") as calendar:
        with pytest.raises(CalendarRefused, match="private or on this machine"):
            await calendar.changes(None)
    assert len(httpserver.log) == 1  # the redirect, and nothing after it


def _sync_answer(seen: list[str | None]) -> Callable[[Request], Response]:
    def answer(request: Request) -> Response:
        seen.append(request.headers.get("Authorization"))
        body = '<d:multistatus xmlns:d="DAV:"><d:sync-token>t1</d:sync-token></d:multistatus>'
        return Response(body, status=207, content_type="application/xml")

    return answer


async def test_a_redirect_to_a_public_address_is_followed_with_the_password(
    httpserver: HTTPServer, public_server: str
) -> None:
    seen: list[str | None] = []
    httpserver.expect_request("/cal/").respond_with_data(
        "", status=301, headers={"Location": "/moved/"}
    )
    httpserver.expect_request("/moved/", method="REPORT").respond_with_handler(_sync_answer(seen))
    async with DavCalendar(public_server, "ana", "x") as calendar:
        found = await calendar.changes(None)
    assert found.token == "t1"
    assert seen == [aiohttp.encode_basic_auth("ana", "x")]


async def test_the_password_is_not_sent_where_a_redirect_leads_elsewhere(
    httpserver: HTTPServer, public_server: str
) -> None:
    elsewhere = HTTPServer(host="127.0.0.1", port=0)
    elsewhere.start()
    try:
        seen: list[str | None] = []
        elsewhere.expect_request("/cal/", method="REPORT").respond_with_handler(_sync_answer(seen))
        httpserver.expect_request("/cal/").respond_with_data(
            "", status=308, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/cal/"}
        )
        async with DavCalendar(public_server, "ana", "x") as calendar:
            found = await calendar.changes(None)
        assert found.token == "t1"
        assert seen == [None]
    finally:
        elsewhere.stop()


async def test_too_many_redirects_end(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/cal/").respond_with_data(
        "", status=302, headers={"Location": "/cal/"}
    )
    async with DavCalendar(httpserver.url_for("/cal/"), "ana", "x", allow_private=True) as c:
        with pytest.raises(CalendarUnreachable, match="redirected too many times"):
            await c.changes(None)
