"""A TCP relay in front of PostgreSQL that counts round trips: the test's way to see them.

Every exchange of the frontend/backend protocol ends with the server's ``ReadyForQuery``
(``Z``): one per simple query (however many statements it carries), one per extended-query
``Sync`` (a ``Parse`` of a statement not prepared yet is an exchange of its own). So the
``Z`` messages the server sends are the round trips, whichever client or library made them,
pool pings, ``BEGIN``, ``COMMIT`` and connection resets included. The relay parses only the
server's message frames (type byte and length); the client's bytes pass untouched, and the
first statement text of each exchange is kept to say what the round trips were.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


@dataclass
class Wire:
    """What went over the relayed connections since :meth:`reset`."""

    url: str
    """The database URL, pointed at the relay (which refuses SSL, so that the frames can be
    read)."""
    trips: int = 0
    statements: list[str] = field(default_factory=list)
    """The text of each exchange's first query or parsed statement, in order."""

    def reset(self) -> None:
        self.trips = 0
        self.statements.clear()


def _client_statements(data: bytes, named: dict[bytes, str]) -> list[str]:
    """Statement texts in a chunk of frontend messages (``Q``, ``P``, and ``B`` of a statement
    parsed earlier, found in ``named``), best effort: a message cut across chunks is skipped
    (the count never depends on this)."""
    found: list[str] = []
    i = 0
    while i + 5 <= len(data):
        kind = data[i : i + 1]
        (length,) = struct.unpack("!i", data[i + 1 : i + 5])
        body = data[i + 5 : i + 1 + length]
        if kind == b"Q":
            found.append(body.split(b"\0", 1)[0].decode(errors="replace"))
        elif kind == b"P":
            parts = body.split(b"\0", 2)
            if len(parts) > 1:
                named[parts[0]] = parts[1].decode(errors="replace")
                found.append(named[parts[0]])
        elif kind == b"B":
            parts = body.split(b"\0", 2)
            if len(parts) > 1:
                found.append(named.get(parts[1], "?"))
        i += 1 + length
    return found


@asynccontextmanager
async def relay(url: str) -> AsyncIterator[Wire]:
    """A relay to the PostgreSQL server of ``url``, counting round trips (see the module)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    wire = Wire("")
    tasks: set[asyncio.Task[None]] = set()

    async def serve(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, port)
        started = False  # past the startup message (which has no type byte)
        pending: list[str] = []
        named: dict[bytes, str] = {}

        def hang_up() -> None:
            """Either side gone, however it went (end of stream or a reset): both sides
            closed, as a server's death looks to a client connected straight to it. A side
            left open would leave its peer waiting for an answer for ever."""
            server_w.close()
            client_w.close()

        async def upstream() -> None:
            nonlocal started
            try:
                while data := await client_r.read(65536):
                    if not started:
                        if data == _SSL_REQUEST:  # refused here: the frames must stay readable
                            client_w.write(b"N")
                            await client_w.drain()
                            continue
                        started = True
                    else:
                        pending.extend(_client_statements(data, named))
                    server_w.write(data)
                    await server_w.drain()
            finally:
                hang_up()

        async def downstream() -> None:
            buffer = b""
            try:
                while data := await server_r.read(65536):
                    buffer += data
                    while len(buffer) >= 5:
                        (length,) = struct.unpack("!i", buffer[1:5])
                        if len(buffer) < 1 + length:
                            break
                        if buffer[:1] == b"Z":
                            wire.trips += 1
                            wire.statements.append(pending.pop(0) if pending else "")
                            pending.clear()
                        buffer = buffer[1 + length :]
                    client_w.write(data)
                    await client_w.drain()
            finally:
                hang_up()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)

    def accept(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(serve(r, w))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    relay_port = server.sockets[0].getsockname()[1]
    netloc = parts.netloc.rsplit("@", 1)
    at = f"127.0.0.1:{relay_port}"
    wire.url = urlunsplit(
        (parts.scheme, f"{netloc[0]}@{at}" if len(netloc) > 1 else at, parts.path, parts.query, "")
    )
    try:
        yield wire
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
