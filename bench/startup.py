"""How long the ``slotwise`` command takes to start: the median wall time over a few runs.

Run with ``python -m bench.startup`` (``make bench``). Commands that touch no
database should not pay for importing Tortoise, pydantic or the web stack;
the target is under 300 ms to the first useful work.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 7
TARGET_MS = 300
COMMAND = [str(Path(sys.executable).with_name("slotwise"))]
CASES = {
    "slotwise --help": ["--help"],
    "slotwise understand": [
        "understand",
        "tomorrow at 5",
        "--tz",
        "Europe/Berlin",
        "--lang",
        "en",
        "--now",
        "2026-12-07T10:00:00Z",
    ],
}


def median_ms(args: list[str], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [*COMMAND, *args], check=True, capture_output=True, env={**os.environ, "NO_COLOR": "1"}
        )
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    print(f"slotwise start-up, median of {RUNS} runs (target under {TARGET_MS} ms):")
    for name, args in CASES.items():
        took = median_ms(args)
        mark = "ok" if took < TARGET_MS else "SLOW"
        print(f"  {name:<22} {took:7.0f} ms  {mark}")


if __name__ == "__main__":
    main()
