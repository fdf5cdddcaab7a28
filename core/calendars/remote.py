"""A staff member's CalDAV calendar as Slotwise uses it: read what changed, write and
remove our events. The one module that speaks CalDAV, behind a small protocol, so the
sync logic can be read (and tested) without a server.

Three requests are all it takes, over ``aiohttp`` (already here for Telegram):

- ``REPORT sync-collection`` (RFC 6578): what changed since a token (a full listing
  without one); a deleted object comes back with status 404. A token the server no
  longer knows (``valid-sync-token``) means: read everything again.
- ``REPORT calendar-multiget`` (RFC 4791): the changed objects' data, 100 at a time.
- ``PUT``/``DELETE`` of our events at addresses we choose, so a retry writes the same
  object again instead of a second one.

Why not the ``caldav`` package: its HTTP stack (niquests) brings ``urllib3-future``,
which overwrites the real ``urllib3`` in the environment on every interpreter start
and broke ``requests`` (Twilio's client, the API fuzz tests). The server replies are
parsed with ``defusedxml``: the address is typed in by a person, the server is not ours.

For the same reason the address must be public unless the operator allows private ones
(``SLOTWISE_CALENDARS_ALLOW_PRIVATE``, for a calendar server on the business's own
network): :func:`check_url` before every request, redirects included (they are followed
by hand, at most :data:`MAX_REDIRECTS`, each target checked), and the connection's
resolver refuses a name that resolves to a private address (see :mod:`core.netguard`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from core.errors import CalendarRefused, CalendarUnreachable, InvalidRequest
from core.netguard import PublicOnly, private_host

__all__ = ["PRIVATE_FIX", "Changes", "DavCalendar", "RemoteCalendar", "check_url"]

PRIVATE_FIX = "a calendar on your own network needs SLOTWISE_CALENDARS_ALLOW_PRIVATE=true"
"""What the operator does about a private address (part of every such refusal)."""
MAX_REDIRECTS = 5

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
MULTIGET_BATCH = 100
MAX_ANSWER = 32 * 2**20
"""The most one answer may hold (a year of a busy calendar is a few MB): a server that
sends more is not read, rather than filling the worker's memory."""
MAX_PAGES = 50
"""A server may answer a sync in pages (507 on the collection); this many at the most."""


@dataclass(frozen=True, slots=True)
class Changes:
    objects: Sequence[tuple[str, str | None]]
    """``(href, iCalendar text)`` per object that changed; ``None`` when it was deleted.
    Without a token: every object there is."""
    token: str | None


class RemoteCalendar(Protocol):
    async def changes(self, token: str | None) -> Changes: ...

    async def put(self, name: str, ics: str) -> str:
        """Writes the object ``name`` (``slotwise-booking-42.ics``); its href."""
        ...

    async def delete(self, href: str) -> None: ...

    async def __aenter__(self) -> RemoteCalendar: ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


def check_url(url: str, *, allow_private: bool) -> str:
    """``url`` (stripped) if a calendar may be read there, else :class:`InvalidRequest` on
    the field ``url`` saying why. Needs no DNS: names are checked when connecting."""
    url = url.strip()
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.hostname or not url.isprintable():
        raise InvalidRequest(
            "the calendar address must be an http(s) URL of the calendar itself, "
            "for example https://caldav.example.com/calendars/ana/work/",
            field="url",
        )
    if not allow_private and private_host(parts.hostname):
        raise InvalidRequest(
            f"the calendar address {parts.hostname} is private or on this machine; " + PRIVATE_FIX,
            field="url",
        )
    return url


def _resolves_inward(host: str) -> CalendarRefused:
    return CalendarRefused(f"{host} resolves to a private address; {PRIVATE_FIX}")


class _StaleToken(Exception):
    """The server forgot the sync token: read everything again."""


class DavCalendar:
    """:class:`RemoteCalendar` over HTTP with basic authentication."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        allow_private: bool = False,
        timeout: float = 20,
    ) -> None:
        self._url = url if url.endswith("/") else url + "/"
        self._origin = _origin(self._url)
        self._auth = {"Authorization": aiohttp.encode_basic_auth(username, password)}
        self._allow_private = allow_private
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> DavCalendar:
        connector = aiohttp.TCPConnector(
            resolver=None if self._allow_private else PublicOnly(_resolves_inward)
        )
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def changes(self, token: str | None) -> Changes:
        try:
            listed, new_token = await self._sync(token)
        except _StaleToken:
            listed, new_token = await self._sync(None)
        present = [href for href, gone in listed if not gone]
        data = await self._multiget(present)
        objects = [(href, None if gone else data.get(href)) for href, gone in listed]
        return Changes(objects, new_token)

    async def put(self, name: str, ics: str) -> str:
        href = urljoin(self._url, name)
        await self._request("PUT", href, ics, {"Content-Type": "text/calendar; charset=utf-8"})
        return href

    async def delete(self, href: str) -> None:
        await self._request("DELETE", urljoin(self._url, href), "", {}, gone_is_fine=True)

    async def _sync(self, token: str | None) -> tuple[list[tuple[str, bool]], str | None]:
        """``(href, deleted)`` of what changed since ``token``, and the new token."""
        listed: dict[str, bool] = {}
        collection = urlsplit(self._url).path.rstrip("/")
        for _ in range(MAX_PAGES):
            body = (
                '<?xml version="1.0" encoding="utf-8"?>'
                '<d:sync-collection xmlns:d="DAV:">'
                f"<d:sync-token>{escape(token or '')}</d:sync-token>"
                "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>"
                "</d:sync-collection>"
            )
            root = await self._report(body, sync=True)
            token = root.findtext(f"{DAV}sync-token") or None
            more = False
            for href, status, _ in _responses(root):
                if urlsplit(href).path.rstrip("/") == collection:
                    more = more or status == 507  # truncated: ask again from the new token
                    continue
                listed[urljoin(self._url, href)] = status in (404, 410)
            if not more:
                return list(listed.items()), token
        raise CalendarUnreachable("the calendar server kept truncating its list of changes")

    async def _multiget(self, hrefs: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(hrefs), MULTIGET_BATCH):
            wanted = "".join(
                f"<d:href>{escape(urlsplit(h).path)}</d:href>"
                for h in hrefs[i : i + MULTIGET_BATCH]
            )
            body = (
                '<?xml version="1.0" encoding="utf-8"?>'
                '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                f"<d:prop><d:getetag/><c:calendar-data/></d:prop>{wanted}"
                "</c:calendar-multiget>"
            )
            for href, status, props in _responses(await self._report(body)):
                data = props.get(f"{CALDAV}calendar-data")
                if status == 200 and data:
                    found[urljoin(self._url, href)] = data
        return found

    async def _report(self, body: str, *, sync: bool = False) -> Element:
        text = await self._request(
            "REPORT",
            self._url,
            body,
            {"Content-Type": "application/xml; charset=utf-8", "Depth": "0" if sync else "1"},
            sync=sync,
        )
        try:
            root: Element = fromstring(text)
        except (ParseError, DefusedXmlException):  # DTDs and entities are refused too
            raise CalendarUnreachable("the calendar server's answer was not XML") from None
        return root

    async def _request(
        self,
        method: str,
        url: str,
        body: str,
        headers: dict[str, str],
        *,
        sync: bool = False,
        gone_is_fine: bool = False,
    ) -> str:
        assert self._session is not None, "open the calendar with 'async with'"
        try:
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    check_url(url, allow_private=self._allow_private)
                except InvalidRequest as error:
                    raise CalendarRefused(error.message) from None
                sent = headers | (self._auth if _origin(url) == self._origin else {})
                async with self._session.request(
                    method, url, data=body.encode(), headers=sent, allow_redirects=False
                ) as response:
                    status = response.status
                    target = response.headers.get("Location")
                    if status in _REDIRECTS and target:
                        url = urljoin(url, target)
                        continue
                    received = bytearray()
                    async for chunk in response.content.iter_chunked(65536):
                        received += chunk
                        if len(received) > MAX_ANSWER:
                            raise CalendarUnreachable(
                                "the calendar server's answer is larger than "
                                f"{MAX_ANSWER // 2**20} MB"
                            )
                    break
            else:
                raise CalendarUnreachable("the calendar server redirected too many times")
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.__cause__, CalendarRefused):
                raise error.__cause__ from None
            raise _unreachable(error) from None
        except (TimeoutError, aiohttp.ClientError) as error:
            raise _unreachable(error) from None
        text = received.decode("utf-8", errors="replace")
        if status < 300 or (gone_is_fine and status in (404, 410)):
            return text
        if sync and status in (403, 409) and "valid-sync-token" in text:
            raise _StaleToken
        raise _by_status(status, method)


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _origin(url: str) -> tuple[str, str, int | None]:
    """Where the password may go: a redirect elsewhere is followed without it."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _unreachable(error: BaseException) -> CalendarUnreachable:
    reason = str(error) or type(error).__name__
    return CalendarUnreachable(f"the calendar server could not be reached: {reason[:200]}")


def _responses(root: Element) -> list[tuple[str, int, dict[str, str]]]:
    """``(href, status, properties)`` of each ``response`` of a multistatus."""
    found = []
    for response in root.findall(f"{DAV}response"):
        href = response.findtext(f"{DAV}href") or ""
        status = _status(response.findtext(f"{DAV}status"))
        props: dict[str, str] = {}
        for propstat in response.findall(f"{DAV}propstat"):
            if _status(propstat.findtext(f"{DAV}status")) != 200:
                continue
            holder = propstat.find(f"{DAV}prop")
            for prop in holder if holder is not None else ():
                props[prop.tag] = prop.text or ""
        found.append((href, status, props))
    return found


def _status(line: str | None) -> int:
    """``HTTP/1.1 404 Not Found`` -> 404; a response without a status line is a 200."""
    parts = (line or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 200


def _by_status(status: int, doing: str) -> Exception:
    if status == 401:
        return CalendarRefused("the calendar server refused the user name or password")
    if status == 403:
        return CalendarRefused(f"the calendar server does not allow this ({doing}, 403)")
    if status == 404:
        return CalendarRefused("there is no calendar at this address: check it")
    if 400 <= status < 500:
        return CalendarRefused(f"the calendar server refused {doing} ({status})")
    return CalendarUnreachable(f"the calendar server failed {doing} ({status})")
