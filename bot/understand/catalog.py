"""The business's services and staff as the names a message can mention."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.understand.reading import Catalog, Named

if TYPE_CHECKING:  # types only: `slotwise understand` starts without the core's models
    from core.business import Directory, Entry

__all__ = ["catalog_of"]


def catalog_of(directory: Directory) -> Catalog:
    """A :class:`Catalog` of the directory's services and providers, names first."""
    return Catalog(
        services=tuple(_named(entry) for entry in directory.services),
        providers=tuple(_named(entry) for entry in directory.providers),
    )


def _named(entry: Entry) -> Named:
    """Its name, its names in other languages (which customers write too), its aliases."""
    names = dict.fromkeys((entry.name, *(name for _lang, name in entry.names), *entry.aliases))
    return Named(entry.id, tuple(names))
