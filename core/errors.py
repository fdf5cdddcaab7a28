"""The errors of the core, one tree, which every caller (CLI, API, bot) turns into words.

    SlotwiseError
     ├── InvalidRequest (ValueError)     a field is wrong; ``field`` names it
     │    ├── IdempotencyKeyReused       the key came before with a different request
     │    ├── InvalidPreference          a customer's time zone or language we cannot use
     │    ├── LastSysadmin               core.users: the change would leave the panel with
     │    │                              no active sysadmin
     │    ├── RuleEditError              core.rules: an edit breaks the rules; ``problems``
     │    └── BusinessFileError          core.businessfile: a file that cannot be imported;
     │                                   ``problems`` lists every place
     ├── NotFound (LookupError)          no such booking, hold or service
     ├── EngineError (ValueError)        a query names what the business lacks
     │    ├── UnknownService             (raised by the pure engine too: this module
     │    └── UnknownProvider             does no I/O, so ``core.engine`` may import it)
     ├── StoreError                      the database cannot hold or give what was asked
     │    ├── NoBusiness (LookupError)   no business imported yet
     │    └── InvalidBusiness (ValueError) the business contradicts itself; names the field
     ├── SlotUnavailable                 the start cannot be booked
     │    ├── NotASlot                   the rules forbid it; ``explanation`` says why
     │    ├── SlotTaken                  someone else has it; ``alternatives`` are near
     │    └── SeriesConflict             some occurrences of a recurring booking cannot be
     │                                   booked; ``conflicts`` has each, with alternatives
     ├── HoldError
     │    ├── HoldExpired                the hold is gone (expired or released)
     │    └── HoldNotYours               the token belongs to another client
     ├── PolicyViolation                 too late to cancel or move, too many moves, blackout
     │    └── NoShowLimit            the customer's no-shows: not by chat, or confirm first
     ├── OfferGone                       a waitlist offer taken, declined or run out
     ├── ConcurrentChange                someone else changes the same booking right now;
     │                                   trying again will work
     ├── SignInFailed                    core.users: e-mail, password or code wrong (which
     │    └── SignInLocked                one is not said); locked: too many failures, ``until``
     ├── CalendarRefused                 a staff member's own calendar said no (password,
     │                                   address): fixed by hand, not by trying again
     └── Unavailable                     an outage, not an answer about the request: the
          ├── HoldStoreUnavailable        caller goes on without the part (the database
          ├── ConversationStoreUnavailable still guarantees capacity) or answers 503
          └── CalendarUnreachable         a staff member's own calendar did not answer

Each carries a stable ``code`` (used by the REST API's problem documents and
by the bot to pick its sentence) and a human message that names the fix.
Every name stays importable where it was first defined (``core.engine``,
``core.store``, ``core.holds``, ``core.bookings``, ``core.rules``,
``core.businessfile``); this module is where they live.

Nothing here does I/O or imports an I/O layer at run time.
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


class InvalidPreference(InvalidRequest):
    """A customer's time zone or language we cannot use (not an IANA zone, a language we
    do not speak); ``field`` names it."""

    code = "invalid_preference"


class LastSysadmin(InvalidRequest):
    """Disabling or demoting this user from the panel would leave it without an active
    sysadmin (nobody could manage users or settings any more)."""

    code = "last_sysadmin"


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


class NoShowLimit(PolicyViolation):
    """The customer missed enough appointments that the service's no-show policy applies:
    ``action`` is ``refuse_chat`` (not by chat) or ``confirm`` (confirm first)."""

    code = "no_show_limit"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        standing: int,
        action: Literal["confirm", "refuse_chat"],
    ) -> None:
        super().__init__(message, field=field)
        self.standing = standing
        self.action = action


class OfferGone(SlotwiseError):
    """A waitlist offer that was taken, declined, or whose hold ran out."""

    code = "offer_gone"


class ConcurrentChange(SlotwiseError):
    """Someone else is changing the same booking right now; trying again will work."""

    code = "concurrent_change"


# --- a query names what the business lacks (the pure engine raises these) -------------------


class SignInFailed(SlotwiseError):
    """The e-mail, password or two-factor code is wrong; which one is never said."""

    code = "sign_in_failed"


class SignInLocked(SignInFailed):
    """Too many failed sign-ins from this address or to this account: refused until ``until``."""

    code = "sign_in_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failed sign-ins; try again later")
        self.until = until


class EngineError(SlotwiseError, ValueError):
    """A query the snapshot cannot answer; the message names the field and the fix."""

    code = "unknown_name"


class UnknownService(EngineError):
    code = "unknown_service"

    def __init__(self, service_id: str, known: list[str]) -> None:
        self.service_id = service_id
        names = ", ".join(known) or "none"
        super().__init__(
            f"service: unknown service {service_id!r}; known services: {names}", field="service"
        )


class UnknownProvider(EngineError):
    code = "unknown_provider"

    def __init__(self, provider_id: str, service_id: str) -> None:
        self.provider_id = provider_id
        super().__init__(
            f"provider: {provider_id!r} is not in any resource pool of service {service_id!r}",
            field="provider",
        )


# --- the database ---------------------------------------------------------------------------


class StoreError(SlotwiseError):
    """The database cannot do what was asked; the message says why and what to do."""

    code = "store_error"


class NoBusiness(StoreError, LookupError):
    code = "no_business"

    def __init__(self) -> None:
        super().__init__("no business in the database; run 'slotwise import FILE' first")


class InvalidBusiness(StoreError, ValueError):
    """The business contradicts itself (unknown names, duplicates, overbooked resources)."""

    code = "invalid_business"


# --- outages --------------------------------------------------------------------------------


class Unavailable(SlotwiseError):
    """A part the core leans on (Redis) cannot be reached: an outage, not an answer about
    the request. Callers decide whether to go on without it or to fail (503)."""

    code = "unavailable"


class HoldStoreUnavailable(Unavailable):
    """The shared hold store cannot be reached."""

    code = "hold_store_unavailable"


class ConversationStoreUnavailable(Unavailable):
    """The shared conversation store cannot be reached (the chat goes on in memory)."""

    code = "conversation_store_unavailable"


class CalendarRefused(SlotwiseError):
    """A staff member's own calendar server answered and said no (a wrong password, no
    calendar at that address): trying again will not help until the connection is fixed."""

    code = "calendar_refused"


class CalendarUnreachable(Unavailable):
    """A staff member's own calendar server did not answer properly: tried again later."""

    code = "calendar_unreachable"
