"""Why a start time is not a slot, in structured form.

The bot turns these reasons into one short sentence for a customer ("Dr. Lee
is not working then"), the admin panel lists them all. They come from the
same sets :mod:`core.engine.slots` uses, so an explanation can never disagree
with the slots offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal

from core.engine.calendar import away_instants, blocks_meeting, hours_instants
from core.engine.intervals import Intervals
from core.engine.slots import ServicePlan, bookable_bounds, service_of
from core.engine.snapshot import AWAY_REF, Busy, Slot, Snapshot
from core.engine.zones import instant_seconds, instant_wall, segments, to_datetime

ReasonCode = Literal[
    "service_inactive",
    "off_grid",
    "too_soon",
    "too_far",
    "resource_inactive",
    "too_many_seats",
    "closed",
    "blocked",
    "busy",
    "full",
    "no_distinct_choice",
]


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a start fails; fields not relevant to the ``code`` stay ``None``.

    ``start``/``end`` delimit the part of the occupied window that is closed,
    blocked or taken; ``ref`` names the booking or hold in the way and
    ``buffer_only`` says the clash is only with a buffer, not the appointment.
    """

    code: ReasonCode
    resource: str | None = None
    resource_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    note: str | None = None
    ref: str | None = None
    buffer_only: bool = False
    minutes: int | None = None
    earliest: datetime | None = None
    latest: datetime | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    service: str
    start: datetime
    slot: Slot | None
    """The slot when ``start`` is one (with its resources); then ``reasons`` is empty."""
    reasons: tuple[Reason, ...]

    @property
    def is_slot(self) -> bool:
        return self.slot is not None


def explain(
    snapshot: Snapshot,
    service_id: str,
    start: datetime,
    now: datetime,
    provider: str | None = None,
    *,
    plan: ServicePlan | None = None,
) -> Explanation:
    """Whether ``start`` is a slot of the service and, when it is not, every reason why.
    ``plan``: one already made over a range holding ``start`` (see :func:`explain_all`)."""
    service = service_of(snapshot, service_id)
    at = instant_seconds(start)
    reasons: list[Reason] = []
    if not service.active:
        reasons.append(Reason("service_inactive"))
    # Whole seconds only: 06:00:00.5 would occupy half a second of the next slot.
    if start.microsecond or not _on_grid(snapshot.timezone, at, service.step_min):
        reasons.append(Reason("off_grid", minutes=service.step_min))
    earliest, latest = bookable_bounds(service, now)
    if at < earliest:
        reasons.append(
            Reason("too_soon", minutes=service.min_notice_min, earliest=to_datetime(earliest))
        )
    if at > latest:
        reasons.append(
            Reason("too_far", minutes=service.max_advance_days * 1440, latest=to_datetime(latest))
        )
    if plan is None:
        plan = ServicePlan(snapshot, service_id, at, at + 1, provider)
    chosen = plan.choose(at)
    if chosen is not None:
        if not reasons:
            return Explanation(service_id, start, plan.slot(at, chosen), ())
    else:
        reasons.extend(_resource_reasons(snapshot, plan, at))
    return Explanation(service_id, start, None, tuple(reasons))


def explain_all(
    snapshot: Snapshot,
    service_id: str,
    starts: Sequence[datetime],
    now: datetime,
    provider: str | None = None,
) -> list[Explanation]:
    """:func:`explain` for each of ``starts``, the same answers, with one plan over the
    range they span instead of one plan per start (the starts sampled across a wished
    window: a plan reads every resource's open and busy time)."""
    if not starts:
        return []
    ats = [instant_seconds(start) for start in starts]
    plan = ServicePlan(snapshot, service_id, min(ats), max(ats) + 1, provider)
    return [explain(snapshot, service_id, start, now, provider, plan=plan) for start in starts]


def _on_grid(zone: str, at: int, step_min: int) -> bool:
    segs = segments(zone, at - 86400, at + 86400)
    wall = instant_wall(at, segs)
    day = wall - wall % 86400
    return (wall - day) % (step_min * 60) == 0


def _resource_reasons(snapshot: Snapshot, plan: ServicePlan, at: int) -> list[Reason]:
    """Reasons of the resources of each pool that cannot serve ``at``."""
    window_start, window_end = at - plan.window.before, at + plan.window.after
    appointment = (at, at + plan.service.duration_min * 60)
    failing_pools = [
        pool
        for pool, starts in zip(plan.pools, plan.pool_starts, strict=True)
        if not starts.contains_point(at)
    ]
    if not failing_pools:
        return [Reason("no_distinct_choice")]
    reasons: list[Reason] = []
    seen: set[str] = set()
    for pool in failing_pools:
        for resource_id in pool:
            view = plan.views.get(resource_id)
            if view is None or resource_id in seen:
                continue
            seen.add(resource_id)
            resource = view.resource
            reason = partial(Reason, resource=resource_id, resource_name=resource.name)
            if not resource.active:
                reasons.append(reason("resource_inactive"))
                continue
            if resource.capacity < plan.service.seats:
                reasons.append(reason("too_many_seats"))
                continue
            window = Intervals([(window_start, window_end)])
            hours = hours_instants(resource, snapshot.timezone, window_start, window_end)
            for a, b in window - hours:
                reasons.append(reason("closed", start=to_datetime(a), end=to_datetime(b)))
            for block, covered in blocks_meeting(
                resource, snapshot.timezone, window_start, window_end
            ):
                for a, b in covered & hours:
                    reasons.append(
                        reason(
                            "blocked", start=to_datetime(a), end=to_datetime(b), note=block.reason
                        )
                    )
            for a, b in away_instants(resource, window_start, window_end) & hours:
                reasons.append(
                    reason(
                        "busy",
                        start=to_datetime(a),
                        end=to_datetime(b),
                        ref=AWAY_REF,
                        buffer_only=not (a < appointment[1] and b > appointment[0]),
                    )
                )
            reasons.extend(
                _capacity_reasons(
                    snapshot, plan, resource_id, window_start, window_end, appointment
                )
            )
    return reasons


def _capacity_reasons(
    snapshot: Snapshot,
    plan: ServicePlan,
    resource_id: str,
    window_start: int,
    window_end: int,
    appointment: tuple[int, int],
) -> list[Reason]:
    view = plan.views[resource_id]
    clashing = [
        item
        for item in snapshot.busy
        if item.resource_id == resource_id
        and item.seats > 0
        and instant_seconds(item.start) < window_end
        and instant_seconds(item.end) > window_start
    ]
    bare = [  # taken time known only in seconds: no name, no appointment apart from it
        (a, b)
        for a, b, seats in snapshot.taken.get(resource_id, ())
        if seats > 0 and a < window_end and b > window_start
    ]
    room = view.resource.capacity - plan.service.seats
    if not (clashing or bare) or (
        view.occupancy is not None and view.peak(window_start, window_end) <= room
    ):
        return []
    code: ReasonCode = "busy" if view.resource.capacity == 1 else "full"
    found = [
        Reason(
            code,
            resource_id,
            view.resource.name,
            start=item.start,
            end=item.end,
            ref=item.ref,
            buffer_only=not _appointments_meet(item, appointment),
        )
        for item in clashing
    ] + [
        Reason(
            code,
            resource_id,
            view.resource.name,
            start=to_datetime(a),
            end=to_datetime(b),
            buffer_only=not (a < appointment[1] and b > appointment[0]),
        )
        for a, b in bare
    ]
    return sorted(found, key=lambda reason: reason.start or to_datetime(0))


def _appointments_meet(item: Busy, appointment: tuple[int, int]) -> bool:
    start = item.appointment_start or item.start
    end = item.appointment_end or item.end
    return instant_seconds(start) < appointment[1] and instant_seconds(end) > appointment[0]
