"""The waitlist as the admin panel sees it: the entries with their window, state and the
offers sent to them, and removing an entry (audited).

Removing an entry ends it (``removed``) and voids its open offer, whose held time is
queued for the next entry at once (a ``capacity_freed`` row, as when an offer lapses):
removing someone never leaves a slot held for nobody. Rows stay, for the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core import models as m
from core.customer_records import audit_admin_action
from core.errors import NotFound
from core.outbox.kinds import MessageKind, waitlist_key

__all__ = ["REMOVED", "OfferLine", "WaitlistLine", "remove_entry", "waitlist"]

REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class OfferLine:
    start: datetime
    resources: tuple[str, ...]
    status: str
    offered_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WaitlistLine:
    id: int
    customer_id: int
    customer: str
    service: str
    provider: str | None
    wished_start: datetime
    wished_end: datetime
    status: str
    channel: str
    created_at: datetime
    offers: tuple[OfferLine, ...]


async def waitlist(
    *, resource: str | None = None, status: str | None = None, limit: int = 200
) -> list[WaitlistLine]:
    """Entries, soonest window first; with ``resource`` (a staff member's), only those
    wishing for it or offered time on it."""
    query = m.WaitlistEntry.all()
    if status:
        query = query.filter(status=status)
    rows = (
        await query.order_by("wished_start", "id")
        .limit(limit if resource is None else limit * 5)
        .prefetch_related("customer", "service", "provider")
    )
    sent: dict[int, list[m.WaitlistOffer]] = {row.id: [] for row in rows}
    for offer in await m.WaitlistOffer.filter(entry_id__in=list(sent)).order_by("offered_at", "id"):
        sent[offer.entry_id].append(offer)
    lines: list[WaitlistLine] = []
    for row in rows:
        offers = sent[row.id]
        provider = row.provider.slug if row.provider is not None else None
        if (
            resource is not None
            and provider != resource
            and not any(resource in o.resources for o in offers)
        ):
            continue
        lines.append(
            WaitlistLine(
                id=row.id,
                customer_id=row.customer_id,
                customer=row.customer.name,
                service=row.service.slug,
                provider=provider,
                wished_start=row.wished_start.astimezone(UTC),
                wished_end=row.wished_end.astimezone(UTC),
                status=row.status,
                channel=row.source_channel,
                created_at=row.created_at,
                offers=tuple(
                    OfferLine(
                        o.start.astimezone(UTC),
                        tuple(o.resources),
                        o.status,
                        o.offered_at.astimezone(UTC),
                        o.expires_at.astimezone(UTC),
                    )
                    for o in offers
                ),
            )
        )
    return lines[:limit]


async def remove_entry(
    entry_id: int, *, actor: str, now: datetime, resource: str | None = None
) -> None:
    """End the entry (see the module docstring); with ``resource``, only an entry of it."""
    async with in_transaction() as conn:
        row = (
            await m.WaitlistEntry.filter(id=entry_id)
            .using_db(conn)
            .select_related("service", "provider")
            .first()
        )
        offers = await m.WaitlistOffer.filter(entry_id=entry_id).using_db(conn)
        if row is not None and resource is not None:
            mine = (row.provider is not None and row.provider.slug == resource) or any(
                resource in o.resources for o in offers
            )
            row = row if mine else None
        if row is None:
            raise NotFound("there is no such waitlist entry; reload the page", field="entry")
        before = row.status
        await m.WaitlistEntry.filter(id=entry_id).using_db(conn).update(status=REMOVED)
        for offer in offers:
            if offer.status != "open":
                continue
            await (
                m.WaitlistOffer.filter(id=offer.id, status="open")
                .using_db(conn)
                .update(status="void")
            )
            start = offer.start.astimezone(UTC)
            end = start + timedelta(minutes=row.service.duration_min)
            await m.Outbox.create(
                dedup_key=waitlist_key(offer.id, f"freed:{REMOVED}"),
                kind=MessageKind.CAPACITY_FREED,
                payload={
                    "kind": MessageKind.CAPACITY_FREED.value,
                    "service": row.service.slug,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                },
                available_at=now,
                using_db=conn,
            )
        await audit_admin_action(
            conn,
            actor=actor,
            action="waitlist_removed",
            subject=f"waitlist {entry_id}",
            before={"status": before, "service": row.service.slug},
            after={"status": REMOVED},
        )
