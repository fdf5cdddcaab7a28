"""Whether a booking may still be cancelled or moved: the service's change policy.

Pure functions of the policy, the booking and ``now``. A refusal is a
:class:`~core.errors.PolicyViolation` whose ``field`` names the rule that
refused (``cancel_notice_min``, ``reschedule_notice_min``, ``max_reschedules``,
``blackouts``, ``start``), so the bot can pick its sentence and the admin panel
can point at the setting.

Blackouts are read as the time the change is *asked for*: while the
business's local wall clock is inside one, it accepts no cancellations or
moves ("no changes during the holiday rush"), whatever the booking's date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from core.business import Blackout, ServicePolicy
from core.errors import PolicyViolation

__all__ = ["Change", "blackout_at", "check_change"]

Change = Literal["cancel", "reschedule"]


def blackout_at(policy: ServicePolicy, now: datetime, zone: str) -> Blackout | None:
    """The blackout the business's local wall clock is in at ``now``, if any (half-open)."""
    wall = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return next((b for b in policy.blackouts if b.start <= wall < b.end), None)


def check_change(
    policy: ServicePolicy,
    change: Change,
    *,
    start: datetime,
    now: datetime,
    zone: str,
    reschedule_count: int = 0,
) -> None:
    """Raise :class:`PolicyViolation` unless the booking starting at ``start`` may change now."""
    verb = "cancelled" if change == "cancel" else "moved"
    if start <= now:
        raise PolicyViolation(
            f"the booking has already started; it can no longer be {verb}", field="start"
        )
    blackout = blackout_at(policy, now, zone)
    if blackout is not None:
        why = f" ({blackout.reason})" if blackout.reason else ""
        raise PolicyViolation(
            f"no changes are accepted until {blackout.end.isoformat(timespec='minutes')}"
            f"{why}; the booking cannot be {verb} now",
            field="blackouts",
        )
    notice = policy.cancel_notice_min if change == "cancel" else policy.reschedule_notice_min
    if now + timedelta(minutes=notice) > start:
        name = "cancel_notice_min" if change == "cancel" else "reschedule_notice_min"
        raise PolicyViolation(
            f"a booking can be {verb} up to {_duration(notice)} before it starts; "
            "that time has passed",
            field=name,
        )
    if (
        change == "reschedule"
        and policy.max_reschedules is not None
        and reschedule_count >= policy.max_reschedules
    ):
        times = "once" if policy.max_reschedules == 1 else f"{policy.max_reschedules} times"
        raise PolicyViolation(
            f"a booking can be moved at most {times}; this one has been moved "
            f"{reschedule_count} time(s)"
            if policy.max_reschedules
            else "bookings of this service cannot be moved; cancel and book again",
            field="max_reschedules",
        )


def _duration(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
