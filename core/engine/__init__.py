"""The pure availability engine.

Everything in this package is synchronous and side-effect free: it does no
I/O, reads no clock (``now`` is always a parameter), touches no ORM and runs
no event loop. It takes a :class:`Snapshot` (the rules plus the busy time that
overlaps the query) and answers with slots, explanations and nearest
alternatives. ``tests/core/engine/test_purity.py`` holds it to that.
"""

from core.engine.errors import EngineError, UnknownProvider, UnknownService
from core.engine.explain import Explanation, Reason, ReasonCode, explain, explain_all
from core.engine.intervals import Intervals
from core.engine.nearest import nearest
from core.engine.slots import find_slots, service_of
from core.engine.snapshot import (
    AWAY_REF,
    RESOURCE_KINDS,
    WEEKDAYS,
    Away,
    Block,
    Busy,
    DayHours,
    Resource,
    ResourceKind,
    Service,
    Slot,
    Snapshot,
    Taken,
)

__all__ = [
    "AWAY_REF",
    "RESOURCE_KINDS",
    "WEEKDAYS",
    "Away",
    "Block",
    "Busy",
    "DayHours",
    "EngineError",
    "Explanation",
    "Intervals",
    "Reason",
    "ReasonCode",
    "Resource",
    "ResourceKind",
    "Service",
    "Slot",
    "Snapshot",
    "Taken",
    "UnknownProvider",
    "UnknownService",
    "explain",
    "explain_all",
    "find_slots",
    "nearest",
    "service_of",
]
