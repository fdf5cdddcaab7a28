"""The audit log: every change of a booking and of the rules, newest first, in one list.

Booking changes come from ``booking_history`` (written by the booking service in
the change's own transaction), rule changes from ``rule_history`` (written by
:mod:`core.rules`). Each entry says who, when, from which channel, what, and the
data recorded with it (a booking's change; a rule section before and after).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from core import models as m

__all__ = ["AuditEntry", "audit_log"]

Kind = Literal["booking", "rule"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    kind: Kind
    actor: str
    channel: str
    action: str
    subject: str
    """``booking 42``'s id, or the resource or service id a rule change is about."""
    data: dict[str, Any]


async def audit_log(
    *,
    kind: Kind | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    booking: int | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest ``limit`` changes in ``[start, end)``, bookings' and rules' (or one kind);
    with ``booking``, that booking's whole history alone."""
    entries: list[AuditEntry] = []
    if booking is not None:
        kind = "booking"
    if kind in (None, "booking"):
        query = m.BookingHistory.all()
        if booking is not None:
            query = query.filter(booking_id=booking)
        if start is not None:
            query = query.filter(at__gte=start)
        if end is not None:
            query = query.filter(at__lt=end)
        for at, actor, channel, action, booking_id, data in (
            await query.order_by("-at", "-id")
            .limit(limit)
            .values_list("at", "actor", "channel", "action", "booking_id", "data")
        ):
            entries.append(
                AuditEntry(
                    at.astimezone(UTC), "booking", actor, channel, action, str(booking_id), data
                )
            )
    if kind in (None, "rule"):
        rules = m.RuleHistory.all()
        if start is not None:
            rules = rules.filter(at__gte=start)
        if end is not None:
            rules = rules.filter(at__lt=end)
        for at, actor, channel, action, subject, before, after in (
            await rules.order_by("-at", "-id")
            .limit(limit)
            .values_list("at", "actor", "channel", "action", "subject", "before", "after")
        ):
            entries.append(
                AuditEntry(
                    at.astimezone(UTC),
                    "rule",
                    actor,
                    channel,
                    action,
                    subject,
                    {"before": before, "after": after},
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
