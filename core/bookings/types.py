"""What callers hand the booking service and what it hands back: plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from core.customers import CustomerInput, Identity

__all__ = [
    "Actor",
    "ActorKind",
    "BookingInfo",
    "CustomerInput",
    "Identity",
    "SeriesInfo",
    "WaitlistEntryInfo",
]

ActorKind = Literal["customer", "staff", "admin", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a change, for the policy (only an admin may override it) and the audit."""

    kind: ActorKind
    name: str
    channel: str = "api"

    @property
    def label(self) -> str:
        """How the audit history names the actor: ``"staff:Ana"``."""
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True)
class BookingInfo:
    id: int
    manage_token: str
    """The unguessable handle for "manage my booking"; the id is guessable."""
    service_id: str
    start: datetime
    end: datetime
    """The appointment itself, in UTC, without buffers."""
    status: str
    resources: tuple[str, ...]
    """One resource per pool of the service, in pool order."""
    seats: int
    customer_name: str | None
    source_channel: str
    reschedule_count: int
    series_id: int | None


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    id: int
    service_id: str
    frequency: str
    interval_days: int
    count: int
    bookings: tuple[BookingInfo, ...]
    """The series' bookings in time order, cancelled ones included."""


@dataclass(frozen=True, slots=True)
class WaitlistEntryInfo:
    id: int
    token: str
    """Unguessable handle to leave the waitlist."""
    service_id: str
    provider: str | None
    wished_start: datetime
    wished_end: datetime
    customer_name: str
    source_channel: str
    created_at: datetime
