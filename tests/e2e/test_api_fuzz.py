"""schemathesis against the OpenAPI document of a real running server: no request gets a 500.

The server is the real thing (``slotwise serve`` in its own process, on a
fresh SQLite database with the demo business), so lifespan, middleware and
error handlers are all exercised as a client would meet them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DEMO = Path(__file__).parents[2] / "slotwise" / "demo" / "demo.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite://{tmp_path_factory.mktemp('fuzz') / 'slotwise.db'}"
    slotwise = [sys.executable, "-m", "slotwise"]
    subprocess.run([*slotwise, "import", str(DEMO), "--db", url], check=True, capture_output=True)
    port = free_port()
    env = {**os.environ, "SLOTWISE_HOLDS_PER_MINUTE": "100000"}
    log_path = tmp_path_factory.mktemp("fuzz-log") / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [*slotwise, "serve", "--port", str(port), "--db", url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None:
                log.close()
                raise RuntimeError(log_path.read_text()) from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_no_request_gets_a_server_error(server: str, tmp_path: Path) -> None:
    """schemathesis's own runner, every operation, every phase; only 5xx counts as failure."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{server}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
