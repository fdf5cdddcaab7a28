"""The suite's own guard: a test that hangs fails on its own, and the run goes on.

A hang once spent the whole of CI's 90 minutes and said nothing of where it was (a test
relay that left a socket open, :mod:`tests.core.wire`). ``timeout`` in ``pyproject.toml``
(pytest-timeout) is what stops that; this runs a hanging asyncio test under the project's
own configuration and fails if the hang is not cut.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_hanging_test_fails_on_its_own_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(
        "import asyncio\n"
        "\n"
        "async def test_hangs():\n"
        "    await asyncio.Future()\n"
        "\n"
        "def test_after():\n"
        "    pass\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-o", "timeout=2", str(tmp_path / "test_hangs.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert "Timeout (>2.0s) from pytest-timeout" in run.stdout, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout, run.stdout


def test_the_suite_has_a_timeout() -> None:
    """``-o timeout=2`` above proves the plugin; this, that the suite sets one itself."""
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < options["timeout"] <= 600
