"""Slot holds: short leases that keep a chosen slot out of everyone else's hands.

One :class:`HoldStore` interface, two stores: in memory (one process) and Redis
(several processes). Holds improve the experience; the database is what
guarantees that capacity is never exceeded.
"""

from core.holds.base import Hold, HoldStore, new_hold_token

__all__ = ["Hold", "HoldStore", "new_hold_token"]
