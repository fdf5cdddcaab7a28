"""What the business offers, read-only: its name and settings, services, staff and rooms.

The door for callers outside ``core`` (the REST API, the web chat, the bot, the
CLI) that need the business's names and settings, so that none of them reads the
store or the engine's snapshot itself. Every read raises
:class:`~core.errors.NoBusiness` when no business has been imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.business import BusinessInfo, Directory
from core.engine import Resource, Service
from core.store import load_directory, load_info, load_rules

__all__ = ["BusinessInfo", "Catalogue", "Directory", "business_info", "catalogue", "directory"]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The active services and resources with their rules (durations, capacities)."""

    services: tuple[Service, ...]
    resources: tuple[Resource, ...]
    timezone: str
    """The business's IANA zone, for resources that have none of their own."""
    locale: str


async def business_info() -> BusinessInfo:
    """Name, timezone, locale and colour of the business (one query)."""
    return await load_info()


async def directory() -> Directory:
    """The names a customer can ask for: active services and the staff they list."""
    return await load_directory()


async def catalogue() -> Catalogue:
    """The active services and resources, in file order, without any busy time."""
    # The rules alone: a snapshot's busy time, even of an empty window, was a scan of
    # every future booking's occupancy (its index starts at the window's end).
    snapshot = (await load_rules()).snapshot
    return Catalogue(
        services=tuple(s for s in snapshot.services.values() if s.active),
        resources=tuple(r for r in snapshot.resources.values() if r.active),
        timezone=snapshot.timezone,
        locale=snapshot.locale,
    )
