"""Checks of what callers hand the booking service: a bad field is an
:class:`~core.errors.InvalidRequest` naming it, before anything is read or written."""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from core.bookings.types import Actor, CustomerInput
from core.errors import InvalidPreference, InvalidRequest, PolicyViolation
from core.text import describe, first_control

__all__ = [
    "Idempotency",
    "aware",
    "check_actor",
    "check_characters",
    "check_customer",
    "check_names",
    "check_reason",
    "check_text",
    "key_of",
    "seat_count",
]

_TEXT_LIMITS = {
    "channel": 32,
    "idempotency_key": 1000,
    "owner": 200,
    "service": 100,
    "provider": 100,
}
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


def check_characters(value: str, field: str, *, lines: bool = False) -> None:
    """No control characters or lone surrogates (tab and newlines too unless ``lines``):
    PostgreSQL refuses a NUL, UTF-8 cannot hold a lone surrogate, and a person reading the
    text would not see the rest."""
    bad = first_control(value, lines=lines)
    if bad is not None:
        raise InvalidRequest(
            f"{field} contains the control character {describe(bad)}; send plain text",
            field=field,
        )


def check_text(
    value: object, field: str, *, optional: bool = False, limit: int | None = None
) -> None:
    """Non-empty text without control characters that fits its column (``channel``,
    ``idempotency_key``, ``owner``, or any ``field`` given its ``limit``)."""
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{field} must be non-empty text", field=field)
    longest = _TEXT_LIMITS[field] if limit is None else limit
    if len(value) > longest:
        raise InvalidRequest(f"{field} is longer than {longest} characters", field=field)
    check_characters(value, field)


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


def check_names(service_id: object, provider: object = None) -> None:
    """The service and provider a request names: ids, as text without control characters
    (an unknown one is the engine's answer, naming those there are)."""
    check_text(service_id, "service")
    check_text(provider, "provider", optional=True)


def check_reason(reason: object) -> None:
    if not isinstance(reason, str) or len(reason) > 500:
        raise InvalidRequest("reason must be text of at most 500 characters", field="reason")
    check_characters(reason, "reason", lines=True)


def check_customer(customer: object) -> None:
    """Every field of the customer is text that fits its column, with no control characters
    (a name holding a NUL could never be written to PostgreSQL)."""
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
        check_characters(value, where)
    if customer.timezone is not None:
        try:
            zoneinfo.ZoneInfo(customer.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidPreference(
                f"unknown timezone {customer.timezone!r}", field="customer.timezone"
            ) from None


def check_actor(actor: object, override: bool) -> None:
    """A known kind of actor; only an admin may override the change policy."""
    if not isinstance(actor, Actor) or actor.kind not in _ACTOR_KINDS:
        raise InvalidRequest("actor must be a customer, staff, admin or system", field="actor")
    if override and actor.kind != "admin":
        raise PolicyViolation("only an admin can override the change policy", field="override")
