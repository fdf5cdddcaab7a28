"""Turning engine answers into text and JSON for people and scripts.

Times shown to a person are formatted with Babel in the business's locale and
timezone; JSON carries instants in UTC with a ``Z``, as the spec writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from gettext import gettext as _
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from channels.wire import slot_json, utc_z
from core.engine import Explanation, Reason, Resource, Slot


def slots_json(slots: Sequence[Slot]) -> dict[str, Any]:
    return {"slots": [slot_json(slot) for slot in slots]}


def slots_text(
    slots: Sequence[Slot], resources: Mapping[str, Resource], zone: str, locale: str
) -> str:
    """Slots grouped by local day, one line a slot, in the business's language."""
    if not slots:
        return _("No free slots in that range.")
    tz = ZoneInfo(zone)
    lines: list[str] = []
    current = None
    for slot in slots:
        local = slot.start.astimezone(tz)
        if local.date() != current:
            current = local.date()
            lines.append(format_date(current, format="full", locale=locale))
        names = ", ".join(resources[r].name if r in resources else r for r in slot.resources)
        lines.append(
            f"  {format_time(local, format='short', locale=locale)}"
            f"–{format_time(slot.end.astimezone(tz), format='short', locale=locale)}  {names}"
        )
    return "\n".join(lines)


def _when(moment: datetime | None, tz: ZoneInfo, locale: str) -> str:
    if moment is None:
        return "?"
    local = moment.astimezone(tz)
    return (
        f"{format_date(local, format='medium', locale=locale)} "
        f"{format_time(local, format='short', locale=locale)}"
    )


def reason_text(reason: Reason, zone: str, locale: str) -> str:
    """One reason as a short English sentence (translated once catalogs exist)."""
    tz = ZoneInfo(zone)
    start, end = _when(reason.start, tz, locale), _when(reason.end, tz, locale)
    name = reason.resource_name or reason.resource or ""
    match reason.code:
        case "service_inactive":
            return _("the service is not offered at the moment")
        case "off_grid":
            return _("not a start time: starts are every {n} minutes").format(n=reason.minutes)
        case "too_soon":
            return _("less than {n} minutes' notice (earliest {at})").format(
                n=reason.minutes, at=_when(reason.earliest, tz, locale)
            )
        case "too_far":
            return _("beyond the booking window (latest {at})").format(
                at=_when(reason.latest, tz, locale)
            )
        case "resource_inactive":
            return _("{name} is not available for booking").format(name=name)
        case "too_many_seats":
            return _("{name} has too few seats for this service").format(name=name)
        case "closed":
            return _("outside the hours of {name} ({start} – {end})").format(
                name=name, start=start, end=end
            )
        case "blocked":
            text = _("{name} is blocked {start} – {end}").format(name=name, start=start, end=end)
            return f'{text} "{reason.note}"' if reason.note else text
        case "busy" | "full":
            what = reason.ref or _("another booking")
            if reason.code == "full":
                text = _("{name} is full: {what} ({start} – {end})")
            elif reason.buffer_only:
                text = _("{name}: overlaps the buffer of {what} ({start} – {end})")
            else:
                text = _("{name}: overlaps {what} ({start} – {end})")
            return text.format(name=name, what=what, start=start, end=end)
        case "no_distinct_choice":
            return _("the required resources cannot all be different people or rooms")
    return reason.code  # pragma: no cover - every code is handled above


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    def reason_json(reason: Reason) -> dict[str, Any]:
        data: dict[str, Any] = {"code": reason.code}
        for key in ("resource", "resource_name", "note", "ref", "minutes"):
            value = getattr(reason, key)
            if value is not None:
                data[key] = value
        for key in ("start", "end", "earliest", "latest"):
            value = getattr(reason, key)
            if value is not None:
                data[key] = utc_z(value)
        if reason.code in ("busy", "full"):
            data["buffer_only"] = reason.buffer_only
        return data

    slot = explanation.slot
    return {
        "service": explanation.service,
        "start": utc_z(explanation.start),
        "is_slot": slot is not None,
        "resources": list(slot.resources) if slot else None,
        "reasons": [reason_json(r) for r in explanation.reasons],
    }
