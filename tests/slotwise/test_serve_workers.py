"""``slotwise serve`` with ``SLOTWISE_WORKERS``: several Hypercorn processes behind one port,
each with the whole app, after one migration run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from tests.slotwise.test_health import _fetch, _free_port


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def test_serve_with_two_workers_runs_two_processes_that_answer(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SLOTWISE_WORKERS": "2",
        "SLOTWISE_SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    env.pop("SLOTWISE_REDIS_URL", None)
    url = f"sqlite://{tmp_path / 'slotwise.db'}"  # not migrated yet: serve does it once
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        command = [sys.executable, "-m", "slotwise", "serve", "--port", str(port), "--db", url]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            answers = []
            while len(answers) < 2:
                try:
                    answers.append(_fetch(f"http://127.0.0.1:{port}/readyz"))
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.2)
            assert all(status == 200 for status, _ in answers), answers
            workers = _children(process.pid)
            assert len(workers) >= 2, workers  # spawn may add its resource tracker
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert "applied migrations" in log_path.read_text()
