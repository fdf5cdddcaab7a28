"""Why a booking change was refused, in the user's words: the engine's ``explain`` reasons
(:class:`~core.engine.Reason`) and the change policy's refusals, each a sentence.

Used by the booking pages (a refused move); any page that moves bookings can use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from admin.words import Words
from core.engine import Reason
from core.errors import PolicyViolation, SlotwiseError

__all__ = ["policy_words", "reason_words"]


def reason_words(words: Words, reasons: Iterable[Reason], names: Mapping[str, str]) -> list[str]:
    """One sentence per distinct reason, resource names from ``names`` (id to name)."""
    _ = words._
    found: list[str] = []
    for reason in reasons:
        name = names.get(reason.resource or "", reason.resource_name or reason.resource or "")
        match reason.code:
            case "service_inactive":
                text = _("The service is switched off.")
            case "off_grid":
                text = _("It is not one of the service's start times (every {step}).").format(
                    step=words.duration(reason.minutes or 0)
                )
            case "too_soon":
                text = _("It is sooner than the service's minimum notice ({notice}).").format(
                    notice=words.duration(reason.minutes or 0)
                )
            case "too_far":
                text = _("It is further ahead than the service can be booked ({window}).").format(
                    window=words.duration(reason.minutes or 0)
                )
            case "resource_inactive":
                text = _("{name} is switched off.").format(name=name)
            case "too_many_seats":
                text = _("{name} has fewer seats than the booking needs.").format(name=name)
            case "closed":
                text = _("{name} is not open then.").format(name=name)
            case "blocked":
                text = _("{name} is blocked then.").format(name=name)
                if reason.note:
                    text = f"{text[:-1]} ({reason.note})."
            case "busy":
                text = _("{name} is already booked then.").format(name=name)
            case "full":
                text = _("{name} is full then.").format(name=name)
            case _:
                text = _("No combination of different resources is free then.")
        if text not in found:
            found.append(text)
    return found


def policy_words(words: Words, error: SlotwiseError) -> str:
    """A change policy's refusal (or another core refusal) as a sentence naming the rule."""
    _ = words._
    if isinstance(error, PolicyViolation):
        match error.field:
            case "cancel_notice_min":
                return _(
                    "The cancellation notice of this service has passed; "
                    "tick the override to cancel anyway."
                )
            case "reschedule_notice_min":
                return _(
                    "The notice for moving a booking of this service has passed; "
                    "tick the override to move it anyway."
                )
            case "max_reschedules":
                return _(
                    "This booking has been moved as often as the service allows; "
                    "tick the override to move it anyway."
                )
            case "blackouts":
                return _(
                    "The business takes no changes right now (a blackout); "
                    "tick the override to change it anyway."
                )
            case "start":
                return _("The booking has already started; it can no longer be changed.")
            case "status":
                return _("The booking is not confirmed (cancelled, done or a no-show).")
            case "override":
                return _("Only an admin can override the rules.")
    return error.message
