"""CPU time of processes, from ``/proc``: where a benchmark's time goes on a machine whose
cores the driver, the server and the database share (wall time grows when another process
takes a core; CPU time does not). Linux only: 0 elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

from core.db import connection

__all__ = ["TICK_SECONDS", "backends", "ticks"]

TICK_SECONDS = 1 / os.sysconf("SC_CLK_TCK")


def ticks(pid: int) -> int:
    """CPU time (user + system, in clock ticks) a live process has used; 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


async def backends() -> list[int]:
    """The PostgreSQL server processes serving the open database (this process's pools,
    the connection asking included, and any other client's), so that other databases on
    a shared server are not counted."""
    _, rows = await connection().execute_query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    )
    return [int(next(iter(r))) for r in rows]
