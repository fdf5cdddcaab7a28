"""How instants and slots are written on the wire: one format for the API and the CLI.

Instants are UTC with a ``Z``, as the spec writes them, so the REST API and
``slotwise slots --json`` give byte-for-byte the same slots.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.offers import Slot


def utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_json(slot: Slot) -> dict[str, Any]:
    return {
        "start": utc_z(slot.start),
        "end": utc_z(slot.end),
        "resources": list(slot.resources),
        "seats_free": slot.seats_free,
    }
