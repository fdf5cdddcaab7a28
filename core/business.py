"""A whole business as plain data: what the business file holds and the database stores.

The business file parser produces a :class:`Business`, the store writes one to
the database and reads it back, and ``slotwise export`` prints it. The engine's
own types (:mod:`core.engine.snapshot`) describe resources and services, so
there is one definition of each rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.engine.snapshot import Resource, Service


@dataclass(frozen=True, slots=True)
class BusinessInfo:
    name: str
    timezone: str
    """IANA zone; the slot grid lives here."""
    locale: str = "en"


@dataclass(frozen=True, slots=True)
class BookingRecord:
    """A booking as the business file writes it: confirmed, on named resources."""

    service: str
    start: datetime
    """Aware; stored and exported in UTC."""
    resources: tuple[str, ...]
    seats: int | None = None
    """``None`` means the service's seats."""


@dataclass(frozen=True, slots=True)
class Business:
    info: BusinessInfo
    resources: tuple[Resource, ...]
    services: tuple[Service, ...]
    bookings: tuple[BookingRecord, ...] = ()
