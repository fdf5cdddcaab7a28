"""Checks of what callers hand the booking service: a bad field is an
:class:`~core.errors.InvalidRequest` naming it, before anything is read or written."""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from core.bookings.types import Actor, CustomerInput
from core.errors import InvalidRequest, PolicyViolation

__all__ = [
    "Idempotency",
    "aware",
    "check_actor",
    "check_customer",
    "check_text",
    "key_of",
    "seat_count",
]

_TEXT_LIMITS = {"channel": 32, "idempotency_key": 1000, "owner": 200}
_KEY_COLUMN = 128
"""``booking.idempotency_key`` holds this much; longer keys are stored as their hash."""
_FINGERPRINT_COLUMN = 64
"""``booking.idempotency_fingerprint``: a SHA-256 in hex."""
_CUSTOMER_LIMITS = {"name": 200, "phone": 32, "email": 254, "locale": 16, "timezone": 64}
_ACTOR_KINDS = ("customer", "staff", "admin", "system")


def aware(value: object, field: str) -> datetime:
    """An instant with an offset, in UTC; a naive time is ambiguous and refused."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidRequest(f"{field} must be a date and time with an offset or Z", field=field)
    if not 1 < value.year < 9999:  # room for buffers and time zones either side
        raise InvalidRequest(f"{field} must be between the years 2 and 9998", field=field)
    return value.astimezone(UTC)


def seat_count(seats: object) -> int | None:
    """``None`` (the service's seats) or a whole number of at least one."""
    if seats is None:
        return None
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidRequest(
            f"seats must be a whole number of at least 1, got {seats!r}", field="seats"
        )
    return seats


def check_text(value: object, field: str, *, optional: bool = False) -> None:
    """Non-empty text that fits its column (``channel``, ``idempotency_key``, ``owner``)."""
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{field} must be non-empty text", field=field)
    if len(value) > _TEXT_LIMITS[field]:
        raise InvalidRequest(
            f"{field} is longer than {_TEXT_LIMITS[field]} characters", field=field
        )


@dataclass(frozen=True, slots=True)
class Idempotency:
    """An idempotency key as stored, and the fingerprint of the request that brought it:
    a replay gets the first answer only if it asks for the same thing (as Stripe does)."""

    key: str
    fingerprint: str | None
    """A hash of the request; ``None``: the caller does not compare requests."""


def key_of(value: object, fingerprint: object = None) -> Idempotency | None:
    """The idempotency key as stored: as given when it fits the column, else its
    SHA-256 (callers scope keys by client, which can make them long)."""
    check_text(value, "idempotency_key", optional=True)
    if value is None:
        return None
    assert isinstance(value, str)  # check_text saw to it
    if fingerprint is not None and (
        not isinstance(fingerprint, str) or not 0 < len(fingerprint) <= _FINGERPRINT_COLUMN
    ):
        raise InvalidRequest("request_fingerprint must be a short hash", field="fingerprint")
    if len(value) > _KEY_COLUMN:
        value = "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return Idempotency(value, fingerprint)


def check_customer(customer: object) -> None:
    if not isinstance(customer, CustomerInput):
        raise InvalidRequest("customer is missing", field="customer")
    for name, limit in _CUSTOMER_LIMITS.items():
        value = getattr(customer, name)
        where = f"customer.{name}"
        if value is None and name != "name":
            continue
        if not isinstance(value, str) or (name == "name" and not value.strip()):
            raise InvalidRequest(f"{where} must be non-empty text", field=where)
        if len(value) > limit:
            raise InvalidRequest(f"{where} is longer than {limit} characters", field=where)
    if customer.timezone is not None:
        try:
            zoneinfo.ZoneInfo(customer.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidRequest(
                f"unknown timezone {customer.timezone!r}", field="customer.timezone"
            ) from None


def check_actor(actor: object, override: bool) -> None:
    """A known kind of actor; only an admin may override the change policy."""
    if not isinstance(actor, Actor) or actor.kind not in _ACTOR_KINDS:
        raise InvalidRequest("actor must be a customer, staff, admin or system", field="actor")
    if override and actor.kind != "admin":
        raise PolicyViolation("only an admin can override the change policy", field="override")
