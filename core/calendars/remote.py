"""A staff member's CalDAV calendar as Slotwise uses it: read what changed, write and
remove our events. The one module that speaks to the ``caldav`` library, behind a
small protocol, so the sync logic can be read (and tested) without a server.

The address is the calendar collection itself (``…/calendars/ana/work/``). Changes
are read with WebDAV sync (RFC 6578): a token says what was seen, the server
answers what changed since (deleted objects come back without data). Our events
are written with a plain PUT to an address we choose, so a retry writes the same
object again instead of a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urljoin

from core.errors import CalendarRefused, CalendarUnreachable

__all__ = ["Changes", "DavCalendar", "RemoteCalendar"]


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


class DavCalendar:
    """:class:`RemoteCalendar` over ``caldav``'s async client."""

    def __init__(self, url: str, username: str, password: str, *, timeout: int = 20) -> None:
        self._url = url if url.endswith("/") else url + "/"
        self._username = username
        self._password = password
        self._timeout = timeout
        self._client: Any = None  # caldav's client: its own annotations are loose

    async def __aenter__(self) -> DavCalendar:
        from caldav import aio

        try:
            self._client = await aio.get_async_davclient(
                probe=False,
                url=self._url,
                username=self._username,
                password=self._password,
                timeout=self._timeout,
                enable_rfc6764=False,
            )
        except Exception as error:  # the library raises several kinds for one "no answer"
            raise _translated(error) from error
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        client = self._client
        self._client = None
        if client is not None:
            await client.close()

    async def changes(self, token: str | None) -> Changes:
        from caldav import aio

        calendar = aio.AsyncCalendar(client=self._client, url=self._url)
        try:
            pending: Any = calendar.get_objects_by_sync_token(sync_token=token, load_objects=True)
            found = await pending
        except Exception as error:
            raise _translated(error) from error
        objects = [(str(o.url), _text(o.data)) for o in found]
        return Changes(objects, found.sync_token)

    async def put(self, name: str, ics: str) -> str:
        href = urljoin(self._url, name)
        response = await self._call("put", href, ics, {"Content-Type": "text/calendar"})
        if response.status not in (200, 201, 204):
            raise _by_status(response.status, f"writing {name}")
        return href

    async def delete(self, href: str) -> None:
        response = await self._call("delete", href)
        if response.status not in (200, 204, 404, 410):  # gone already is done
            raise _by_status(response.status, "removing an event")

    async def _call(self, method: str, *args: object) -> _Response:
        try:
            response: _Response = await getattr(self._client, method)(*args)
        except Exception as error:
            raise _translated(error) from error
        return response


class _Response(Protocol):
    status: int


def _text(data: object) -> str | None:
    if data is None:
        return None
    return data.decode() if isinstance(data, bytes) else str(data)


def _by_status(status: int, doing: str) -> Exception:
    if status in (401, 403):
        return CalendarRefused(
            f"the calendar server refused {doing} ({status}): check the password"
        )
    if status == 404:
        return CalendarRefused(f"the calendar was not found ({status}): check the address")
    if 400 <= status < 500:
        return CalendarRefused(f"the calendar server refused {doing} ({status})")
    return CalendarUnreachable(f"the calendar server failed {doing} ({status})")


def _translated(error: Exception) -> Exception:
    from caldav.lib import error as dav

    if isinstance(error, dav.AuthorizationError):
        return CalendarRefused("the calendar server refused the user name or password")
    if isinstance(error, dav.NotFoundError):
        return CalendarRefused("there is no calendar at this address: check it")
    status = getattr(error, "status", None) or getattr(error, "code", None)
    if isinstance(status, int) and 400 <= status < 500:
        return _by_status(status, "the request")
    reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return CalendarUnreachable(f"the calendar server could not be reached: {reason}")
