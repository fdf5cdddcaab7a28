"""Redis servers that misbehave on purpose, for the outage tests.

:class:`PrivateRedis` is a real ``redis-server`` of the test's own, on a free
port with no persistence, which the test can stall (SIGSTOP), wake (SIGCONT),
kill and start again on the same port. :class:`SilentServer` accepts TCP
connections and never answers, and counts them: a stalled Redis whose every
attempt can be seen (each timed-out call drops its connection, so the next
attempt opens a new one).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self._process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stall(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def wake(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self._process is None:
            return
        with suppress(ProcessLookupError):
            os.kill(self._process.pid, signal.SIGCONT)
            self._process.kill()
        self._process.wait()
        self._process = None


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


class SilentServer:
    """Accepts connections, reads what it is sent, answers nothing."""

    def __init__(self) -> None:
        self.connections = 0
        self.received = asyncio.Event()
        self.url = ""
        self._writers: list[asyncio.StreamWriter] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        while await reader.read(4096):
            self.received.set()


@asynccontextmanager
async def silent_server() -> AsyncIterator[SilentServer]:
    silent = SilentServer()
    server = await asyncio.start_server(silent._serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    silent.url = f"redis://127.0.0.1:{port}/0"
    try:
        yield silent
    finally:
        for writer in silent._writers:
            writer.close()
        server.close()
        await server.wait_closed()


class Ticks:
    """A monotonic clock moved by hand, for circuit breakers."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
