"""The engine's promise: no I/O, no clock, nothing from the layers that do either."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core.engine

ENGINE_DIR = Path(core.engine.__file__).parent
MODULES = sorted(f"core.engine.{info.name}" for info in pkgutil.iter_modules([str(ENGINE_DIR)]))
FORBIDDEN = (
    # our I/O layers and the ORM
    "tortoise",
    "core.models",
    "core.db",
    "core.store",
    "slotwise",
    "channels",
    "bot",
    "admin",
    # drivers, sockets and the clients built on them
    "sqlite3",
    "asyncpg",
    "aiosqlite",
    "redis",
    "socket",
    "ssl",
    "asyncio",
    "http",
    "httpx",
    "httpcore",
    "aiohttp",
    "requests",
    "urllib3",
)
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}


def test_engine_has_modules() -> None:
    assert "core.engine.slots" in MODULES
    assert "core.engine.intervals" in MODULES


def test_importing_the_engine_pulls_in_no_io_layer() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ENGINE_DIR.parent.parent,
    )
    loaded = json.loads(result.stdout)
    assert set(MODULES) <= set(loaded)
    offending = [
        name
        for name in loaded
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert offending == []


def calls_in(path: Path) -> list[str]:
    """Clock reads and ``open(...)`` calls in a source file, as ``file:line name``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            found.append(f"{path.name}:{node.lineno} open")
        elif isinstance(func, ast.Attribute):
            owner = func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if (owner_name, func.attr) in CLOCK_CALLS or func.attr == "open":
                found.append(f"{path.name}:{node.lineno} {owner_name}.{func.attr}")
    return found


@pytest.mark.parametrize("path", sorted(ENGINE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_engine_source_reads_no_clock_and_opens_no_file(path: Path) -> None:
    assert calls_in(path) == []


def test_the_source_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime, time\n"
        "datetime.datetime.now()\n"
        "datetime.date.today()\n"
        "time.time()\n"
        "open('x')\n"
        "Path('x').open()\n"
    )
    assert calls_in(sample) == [
        "sample.py:2 datetime.now",
        "sample.py:3 date.today",
        "sample.py:4 time.time",
        "sample.py:5 open",
        "sample.py:6 .open",
    ]
