"""The slots closest to a wished time, on both sides: "3 pm is taken; 2:30 or 3:45?"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.engine.slots import find_slots, service_of
from core.engine.snapshot import Slot, Snapshot


def nearest(
    snapshot: Snapshot,
    service_id: str,
    target: datetime,
    now: datetime,
    n: int = 4,
    provider: str | None = None,
) -> list[Slot]:
    """Up to ``n`` slots ranked by distance from ``target`` (earlier first on a tie),
    with at least one on each side of the target when both sides have any.

    The search starts with the target's local day and widens until ``n`` slots are
    found on each side of the target or the booking window is exhausted, so a
    busy week costs a few small queries rather than one of the whole window.
    """
    service = service_of(snapshot, service_id)
    zone = ZoneInfo(snapshot.timezone)
    target_day = target.astimezone(zone).date()
    first_bookable = (now + timedelta(minutes=service.min_notice_min)).astimezone(zone).date()
    last_bookable = (now + timedelta(days=service.max_advance_days)).astimezone(zone).date()
    radius = 1
    while True:
        first = max(target_day - timedelta(days=radius), first_bookable)
        last = min(target_day + timedelta(days=radius), last_bookable)
        found = (
            find_slots(snapshot, service_id, first, last, now, provider) if first <= last else []
        )
        before = sum(1 for slot in found if slot.start < target)
        after = len(found) - before
        exhausted_before = first <= first_bookable
        exhausted_after = last >= last_bookable
        if (before >= n or exhausted_before) and (after >= n or exhausted_after):
            break
        radius *= 2
    return _closest_from_both_sides(found, target, n)


def _closest_from_both_sides(found: list[Slot], target: datetime, n: int) -> list[Slot]:
    """The ``n`` closest, but never all from one side when the other side has any:
    "2:30 or 3:45" helps more than "2:30 or 2:15"."""

    def distance(slot: Slot) -> tuple[float, datetime]:
        return abs((slot.start - target).total_seconds()), slot.start

    ranked = sorted(found, key=distance)
    chosen = ranked[:n]
    if n >= 2 and chosen and not any(s.start == target for s in chosen):
        earlier = [s for s in ranked if s.start < target]
        later = [s for s in ranked if s.start > target]
        if earlier and later and all(s.start < target for s in chosen):
            chosen = [*chosen[:-1], later[0]]
        elif earlier and later and all(s.start > target for s in chosen):
            chosen = [*chosen[:-1], earlier[0]]
    return sorted(chosen, key=distance)
