"""The errors of the core, which every caller (CLI, API, bot) turns into words.

    SlotwiseError
     ├── InvalidRequest (ValueError)     a field is wrong; ``field`` names it
     │    └── IdempotencyKeyReused       the key came before with a different request
     ├── NotFound (LookupError)          no such booking, hold or service
     ├── SlotUnavailable                 the start cannot be booked
     │    ├── NotASlot                   the rules forbid it; ``explanation`` says why
     │    ├── SlotTaken                  someone else has it; ``alternatives`` are near
     │    └── SeriesConflict             some occurrences of a recurring booking cannot be
     │                                   booked; ``conflicts`` has each, with alternatives
     ├── HoldError
     │    ├── HoldExpired                the hold is gone (expired or released)
     │    └── HoldNotYours               the token belongs to another client
     └── PolicyViolation                 too late to cancel or move, too many moves, blackout

    core.engine.EngineError (ValueError) unknown service or provider in a query
    core.store.StoreError                no business, invalid business

Each carries a stable ``code`` (used by the REST API's problem documents and
by the bot to pick its sentence) and a human message that names the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from core.engine import Explanation, Slot


class SlotwiseError(Exception):
    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidRequest(SlotwiseError, ValueError):
    code = "invalid_request"


class IdempotencyKeyReused(InvalidRequest):
    code = "idempotency_key_reused"


class NotFound(SlotwiseError, LookupError):
    code = "not_found"


class SlotUnavailable(SlotwiseError):
    code = "slot_unavailable"

    def __init__(
        self, message: str, *, alternatives: Sequence[Slot] = (), field: str | None = "start"
    ) -> None:
        super().__init__(message, field=field)
        self.alternatives = tuple(alternatives)


class NotASlot(SlotUnavailable):
    code = "not_a_slot"

    def __init__(
        self, message: str, explanation: Explanation, *, alternatives: Sequence[Slot] = ()
    ) -> None:
        super().__init__(message, alternatives=alternatives)
        self.explanation = explanation


class SlotTaken(SlotUnavailable):
    code = "slot_taken"


@dataclass(frozen=True, slots=True)
class OccurrenceConflict:
    """One occurrence of a recurring request that cannot be booked, and what is near it."""

    start: datetime
    code: Literal["not_a_slot", "slot_taken"]
    message: str
    alternatives: tuple[Slot, ...] = ()
    explanation: Explanation | None = None
    """The engine's reasons when the rules forbid the start (``not_a_slot``)."""


class SeriesConflict(SlotUnavailable):
    """A recurring request is booked whole or not at all; this says which dates failed."""

    code = "series_conflict"

    def __init__(self, message: str, conflicts: Sequence[OccurrenceConflict]) -> None:
        super().__init__(message)
        self.conflicts = tuple(conflicts)


class HoldError(SlotwiseError):
    code = "hold_error"


class HoldExpired(HoldError):
    code = "hold_expired"


class HoldNotYours(HoldError):
    code = "hold_not_yours"


class PolicyViolation(SlotwiseError):
    code = "policy_violation"
