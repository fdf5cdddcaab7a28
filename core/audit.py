"""The audit log: every change of a booking, of the rules and of the panel's users, newest
first, in one list, filtered and read a page at a time.

Booking changes come from ``booking_history`` (written by the booking service in
the change's own transaction), rule changes from ``rule_history`` (written by
:mod:`core.rules`, and the panel's other settings), user changes from
``user_history`` (:mod:`core.users.manage`). Each entry says who, when, from which
channel, what, and the data recorded with it (a booking's change; the state before
and after).

The three are ordered as one by ``(at, kind, id)``, newest first. A page ends with a
:class:`Cursor` on its last entry; the next page is what comes strictly before it, so
changes written meanwhile (always newer) never shift or repeat an older page. Each
table is read with ``limit + 1`` rows at most, from its ``(at, id)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from core import models as m
from core.errors import InvalidRequest

__all__ = [
    "KINDS",
    "AuditEntry",
    "AuditFilter",
    "AuditPage",
    "Cursor",
    "audit_actions",
    "audit_log",
    "audit_page",
]

Kind = Literal["booking", "rule", "user"]
KINDS: tuple[Kind, ...] = ("booking", "rule", "user")
_RANK = {kind: number for number, kind in enumerate(KINDS)}
"""Ties on ``at`` are ordered by kind, then id."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BOOKING_ACTIONS = (
    "booked",
    "cancelled",
    "rescheduled",
    "no_show",
    "imported",
    "message",
    "customer_merged",
)
"""What ``booking_history`` records (listed here, not read: that table is the big one)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    kind: Kind
    actor: str
    channel: str
    action: str
    subject: str
    """``booking 42``'s id; the resource or service id a rule change is about; a user's
    e-mail."""
    data: dict[str, Any]
    id: int = 0
    """The row's id in its own history table."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ended: the next page holds the entries strictly older than this one."""

    at: datetime
    kind: Kind
    id: int

    def text(self) -> str:
        micros = (self.at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.kind}.{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor a page's "older" link carries; :class:`InvalidRequest` (field
        ``before``) for one that is not."""
        parts = text.split(".")
        if (
            len(text) > 60
            or len(parts) != 3
            or parts[1] not in _RANK
            or not all(p.isascii() and p.isdigit() for p in (parts[0], parts[2]))
            or int(parts[2]) > m.MAX_ID
        ):
            raise InvalidRequest(
                "the 'older' link is damaged; start again from the newest", field="before"
            )
        seconds, micros = divmod(int(parts[0]), 1_000_000)
        try:
            at = _EPOCH + timedelta(seconds=seconds, microseconds=micros)
        except OverflowError:
            raise InvalidRequest(
                "the 'older' link is damaged; start again from the newest", field="before"
            ) from None
        kind: Kind = KINDS[_RANK[parts[1]]]
        return cls(at, kind, int(parts[2]))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to show; every field left ``None`` shows everything.

    ``subject`` is a booking id (that booking's changes), a resource or service id
    (the rule changes about it and the changes of bookings with it), or a user's
    e-mail. ``actor`` matches any part of the actor, ignoring case.
    """

    kind: Kind | None = None
    actor: str | None = None
    channel: str | None = None
    action: str | None = None
    subject: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    booking: int | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    older: Cursor | None
    """Where the next (older) page starts; ``None`` on the last page."""


def _older(query: QuerySet[Any], kind: Kind, cursor: Cursor | None) -> QuerySet[Any]:
    if cursor is None:
        return query
    rank, theirs = _RANK[kind], _RANK[cursor.kind]
    if rank < theirs:
        return query.filter(at__lte=cursor.at)
    if rank > theirs:
        return query.filter(at__lt=cursor.at)
    return query.filter(Q(at__lt=cursor.at) | Q(at=cursor.at, id__lt=cursor.id))


def _common(query: QuerySet[Any], where: AuditFilter) -> QuerySet[Any]:
    if where.start is not None:
        query = query.filter(at__gte=where.start)
    if where.end is not None:
        query = query.filter(at__lt=where.end)
    if where.actor:
        query = query.filter(actor__icontains=where.actor)
    if where.channel:
        query = query.filter(channel=where.channel)
    if where.action:
        query = query.filter(action=where.action)
    return query


async def _bookings(where: AuditFilter, cursor: Cursor | None, limit: int) -> list[AuditEntry]:
    query = _common(m.BookingHistory.all(), where)
    if where.booking is not None:
        query = query.filter(booking_id=where.booking)
    subject = where.subject
    if subject:
        if subject.isascii() and subject.isdigit():
            if len(subject) > 12 or int(subject) > m.MAX_ID:
                return []
            query = query.filter(booking_id=int(subject))
        else:
            with_it = m.BookingResource.filter(resource__slug=subject).values("booking_id")
            of_it = m.Booking.filter(service__slug=subject).values("id")
            query = query.filter(
                Q(booking_id__in=Subquery(with_it)) | Q(booking_id__in=Subquery(of_it))
            )
    rows = (
        await _older(query, "booking", cursor)
        .order_by("-at", "-id")
        .limit(limit)
        .values_list("id", "at", "actor", "channel", "action", "booking_id", "data")
    )
    return [
        AuditEntry(at.astimezone(UTC), "booking", actor, channel, action, str(booking), data, id)
        for id, at, actor, channel, action, booking, data in rows
    ]


async def _changes(
    kind: Literal["rule", "user"], where: AuditFilter, cursor: Cursor | None, limit: int
) -> list[AuditEntry]:
    query = _common((m.RuleHistory if kind == "rule" else m.UserHistory).all(), where)
    if where.subject:
        subject = where.subject.lower() if kind == "user" else where.subject
        query = query.filter(subject=subject)
    rows = (
        await _older(query, kind, cursor)
        .order_by("-at", "-id")
        .limit(limit)
        .values_list("id", "at", "actor", "channel", "action", "subject", "before", "after")
    )
    return [
        AuditEntry(
            at.astimezone(UTC),
            kind,
            actor,
            channel,
            action,
            subject,
            {"before": before, "after": after},
            id,
        )
        for id, at, actor, channel, action, subject, before, after in rows
    ]


def _key(entry: AuditEntry) -> tuple[datetime, int, int]:
    return entry.at, _RANK[entry.kind], entry.id


async def audit_page(
    where: AuditFilter = AuditFilter(), *, before: Cursor | None = None, limit: int = 50
) -> AuditPage:
    """The newest ``limit`` entries that match ``where``, older than ``before`` when given,
    and where the next page starts."""
    kinds: tuple[Kind, ...] = ("booking",) if where.booking is not None else KINDS
    if where.kind is not None:
        kinds = tuple(k for k in kinds if k == where.kind)
    found: list[AuditEntry] = []
    for kind in kinds:
        if kind == "booking":
            found += await _bookings(where, before, limit + 1)
        else:
            found += await _changes(kind, where, before, limit + 1)
    found.sort(key=_key, reverse=True)
    entries = found[:limit]
    older = None
    if len(found) > limit and entries:
        last = entries[-1]
        older = Cursor(last.at, last.kind, last.id)
    return AuditPage(entries, older)


async def audit_log(
    *,
    kind: Kind | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    booking: int | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest ``limit`` changes in ``[start, end)``, of every kind (or one); with
    ``booking``, that booking's whole history alone."""
    where = AuditFilter(kind=kind, start=start, end=end, booking=booking)
    return (await audit_page(where, limit=limit)).entries


async def audit_actions() -> list[str]:
    """The actions the filter offers: the bookings' and those the rule and user histories
    hold (small tables)."""
    found = set(BOOKING_ACTIONS)
    for table in (m.RuleHistory, m.UserHistory):
        for (action,) in await table.all().distinct().values_list("action"):
            found.add(str(action))
    return sorted(found)
