"""The golden examples of the spec, straight through the engine.

Each query's starts must equal the expected ones in order, and each slot's
resources must be a valid choice (the expected one is one valid choice, not
the only one), checked by asking the engine to explain that exact choice.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.businessfile import parse_business
from core.engine import Busy, Snapshot, explain, find_slots
from core.engine.snapshot import Service

GOLDEN = Path(__file__).parents[2] / "golden"
CASES = [
    pytest.param(path, index, query, id=f"{path.stem}[{index}]")
    for path in sorted(GOLDEN.glob("*.json"))
    for index, query in enumerate(json.loads(path.read_text())["queries"])
]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def snapshot_of_file(document: dict[str, Any]) -> Snapshot:
    business = parse_business(json.dumps(document))
    services: dict[str, Service] = {s.id: s for s in business.services}
    busy = []
    for number, record in enumerate(business.bookings, 1):
        service = services[record.service]
        start = record.start - timedelta(minutes=service.buffer_before_min)
        end = record.start + timedelta(minutes=service.duration_min + service.buffer_after_min)
        for resource in record.resources:
            busy.append(
                Busy(resource, start, end, record.seats or service.seats, f"booking {number}")
            )
    return Snapshot(
        business.info.timezone, {r.id: r for r in business.resources}, services, tuple(busy)
    )


def test_there_are_golden_examples() -> None:
    assert len(CASES) >= 9


@pytest.mark.parametrize(("path", "index", "query"), CASES)
def test_golden_query_through_the_engine(path: Path, index: int, query: dict[str, Any]) -> None:
    snapshot = snapshot_of_file(json.loads(path.read_text())["business"])
    now = instant(query["now"])
    slots = find_slots(
        snapshot,
        query["service"],
        date.fromisoformat(query["from"]),
        date.fromisoformat(query["to"]),
        now,
        query.get("provider"),
    )
    assert [s.start for s in slots] == [instant(e["start"]) for e in query["expect"]]
    for slot in slots:
        narrowed = _only(snapshot, query["service"], slot.resources)
        assert explain(narrowed, query["service"], slot.start, now).is_slot, slot


def _only(snapshot: Snapshot, service_id: str, chosen: tuple[str, ...]) -> Snapshot:
    """The snapshot with each pool of the service narrowed to the chosen resource."""
    service = snapshot.services[service_id]
    assert len(chosen) == len(service.requires)
    assert len(set(chosen)) == len(chosen)
    for resource, pool in zip(chosen, service.requires, strict=True):
        assert resource in pool
    narrowed = replace(service, requires=tuple((r,) for r in chosen))
    return replace(snapshot, services={**snapshot.services, service_id: narrowed})
