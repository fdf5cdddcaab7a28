"""What a request does not count as busy: its own hold, an owner's holds, the bookings it moves.

A confirmation must not be refused by the hold it confirms, a customer looking at
slots must still see the one they hold, and a booking being moved must not be in
its own way. One value says which, and travels from the facade down to the
reads of busy time (:mod:`core.bookings.looking`) and the alternatives offered
with a refusal (:mod:`core.bookings.alternatives`), instead of an ``except_*``
parameter per case threaded through every method.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOTHING", "Ignoring"]


@dataclass(frozen=True, slots=True)
class Ignoring:
    token: str | None = None
    """The hold being confirmed."""
    owner: str | None = None
    """Every hold of this owner (a customer sees the slots they hold as free)."""
    bookings: tuple[int, ...] = ()
    """Bookings being moved: their own time does not count as busy."""

    def hold(self, token: str, owner: str) -> bool:
        """Whether the hold with this token and owner is left out."""
        return token == self.token or (self.owner is not None and owner == self.owner)

    @property
    def nothing(self) -> bool:
        return self.token is None and self.owner is None and not self.bookings


NOTHING = Ignoring()
"""Everything counts: a plain request."""
