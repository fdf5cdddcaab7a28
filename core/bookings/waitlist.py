"""The waitlist: who wants a service in a window that had no room. Data only.

Nothing here books or notifies; the worker's cascade (:mod:`core.bookings.cascade`)
matches freed capacity against the entries (by service, provider and window) and
offers the slot.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core import models as m
from core.bookings import noshow
from core.bookings.types import CustomerInput, Identity, WaitlistEntryInfo
from core.customers import normalized, tie
from core.engine import UnknownProvider, UnknownService
from core.engine.slots import pool_variants
from core.errors import InvalidRequest, NotFound
from core.store import load_rules

__all__ = ["entries", "join", "leave"]


def _aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidRequest(f"{field} needs a date and time with an offset or Z", field=field)
    return value.astimezone(UTC)


async def join(
    service_id: str,
    wished_start: datetime,
    wished_end: datetime,
    customer: CustomerInput,
    *,
    provider: str | None = None,
    channel: str = "api",
    identity: Identity | None = None,
) -> WaitlistEntryInfo:
    """Add an entry; the service and provider must exist and the window must not be empty.
    ``identity`` (how a chat names the person) is tied to the entry's customer, so that a
    reply in that chat answers the entry's offers (:mod:`core.bookings.cascade`).

    The service's no-show policy applies to joining as to booking: under ``refuse_chat``
    a chat join is refused (:class:`~core.errors.NoShowLimit`). Under ``confirm`` the
    join is taken: the customer's own answer to the offer is the confirmation (the
    cascade offers instead of booking directly)."""
    start = _aware(wished_start, "wished_start")
    end = _aware(wished_end, "wished_end")
    if end <= start:
        raise InvalidRequest("wished_end must be after wished_start", field="wished_end")
    await noshow.enforce(service_id, customer, channel=channel, identity=identity, confirmed=True)
    rules = await load_rules([service_id])
    service = rules.snapshot.services.get(service_id)
    if service is None:
        raise UnknownService(service_id, sorted(rules.snapshot.services))
    provider_id: int | None = None
    if provider is not None:
        pool_variants(service, provider)  # UnknownProvider when no pool holds it
        provider_id = rules.resource_ids.get(provider)
        if provider_id is None:  # pragma: no cover - a pool member is always loaded
            raise UnknownProvider(provider, service_id)
    async with in_transaction() as conn:
        customer_id = await tie(conn, await normalized(customer), identity, datetime.now(UTC))
        row = await m.WaitlistEntry.create(
            customer_id=customer_id,
            service_id=rules.service_ids[service_id],
            provider_id=provider_id,
            wished_start=start,
            wished_end=end,
            source_channel=channel,
            using_db=conn,
        )
    return WaitlistEntryInfo(
        id=row.id,
        token=row.token,
        service_id=service_id,
        provider=provider,
        wished_start=start,
        wished_end=end,
        customer_name=customer.name,
        source_channel=channel,
        created_at=row.created_at.astimezone(UTC),
    )


async def leave(token: str) -> None:
    """Remove the entry with this token; :class:`NotFound` when there is none."""
    fits = isinstance(token, str) and 0 < len(token) <= 64  # the column's length
    deleted = await m.WaitlistEntry.filter(token=token).delete() if fits else 0
    if not deleted:
        raise NotFound("no waitlist entry with this token", field="token")


async def entries(
    service_id: str | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    provider: str | None = None,
) -> list[WaitlistEntryInfo]:
    """Entries still waiting, oldest first (first come, first served), optionally only those of a
    service, a provider, or whose wished window meets ``[start, end)``."""
    query = m.WaitlistEntry.filter(status="waiting")
    if service_id is not None:
        query = query.filter(service__slug=service_id)
    if provider is not None:
        query = query.filter(provider__slug=provider)
    if start is not None:
        query = query.filter(wished_end__gt=_aware(start, "start"))
    if end is not None:
        query = query.filter(wished_start__lt=_aware(end, "end"))
    rows = await query.order_by("created_at", "id").values(
        "id",
        "token",
        "service__slug",
        "provider__slug",
        "wished_start",
        "wished_end",
        "customer__name",
        "source_channel",
        "created_at",
    )
    return [
        WaitlistEntryInfo(
            id=row["id"],
            token=row["token"],
            service_id=row["service__slug"],
            provider=row["provider__slug"],
            wished_start=row["wished_start"].astimezone(UTC),
            wished_end=row["wished_end"].astimezone(UTC),
            customer_name=row["customer__name"],
            source_channel=row["source_channel"],
            created_at=row["created_at"].astimezone(UTC),
        )
        for row in rows
    ]
