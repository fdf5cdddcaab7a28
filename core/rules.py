"""Rule edits, one at a time: for the admin panel, the staff's ``/block`` command and code.

Every edit works the same way, so that there is one meaning of a valid rule and
one writer of rules:

1. In one write transaction, lock every resource row of the business, in id
   order: the locks the booking path takes, so a booking being checked waits
   for the edit and then sees the new rules (:mod:`core.bookings.locking`).
2. Read the rules as business-file data (:func:`core.businessfile.business_document`),
   change the one section the edit is about (a resource, with its hours,
   overrides and blocks; or a service), and check the whole result with the
   business file's own validator. A problem is a :class:`RuleEditError` whose
   problems name the field inside the section (``weekly_hours.mon[0]``).
3. Write it through the in-place import (:func:`core.importing.import_business`),
   which rewrites only what differs and never touches a booking, and write a
   rule-history row (who, which channel, when, the section before and after).
   The rules read in step 2 are handed to the import: it reads no rules again, and
   of the bookings only those on resources whose capacity went down.

Bookings that the new rules would refuse are kept and listed in the result
(:attr:`RuleEdit.misfits`) for a person to decide on; an edit never cancels.
An edit that changes nothing writes nothing, not even history.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast

from tortoise.backends.base.client import BaseDBAsyncClient

from core import models as m
from core.bookings.locking import write_transaction
from core.bookings.types import Actor
from core.businessfile import (
    BusinessFileError,
    Problem,
    business_document,
    business_from_document,
)
from core.engine import Slot, Snapshot, find_slots
from core.errors import InvalidRequest, NotFound
from core.importing import Misfit, import_business
from core.importing import _misfits as misfits_now  # the check every import makes, scoped
from core.outbox import MessageKind
from core.store import InvalidBusiness, NoBusiness, load_rules_as_business, load_snapshot

__all__ = [
    "RuleEdit",
    "RuleEditError",
    "RuleHistoryEntry",
    "add_block",
    "misfits_of",
    "preview_resource",
    "put_override",
    "put_overrides",
    "put_resource",
    "put_service",
    "remove_block",
    "remove_override",
    "remove_resource",
    "remove_service",
    "resource_rules",
    "rule_history",
    "rule_sections",
    "service_rules",
    "set_business_details",
    "set_morning_summary",
    "set_quiet_hours",
    "set_reminders",
    "set_weekly_hours",
]

Section = Literal["resources", "services", "business"]
Data = dict[str, Any]

_LOCK_WAIT = timedelta(seconds=10)
"""An edit waits this long for bookings in flight on the business's resources."""


class RuleEditError(InvalidRequest):
    """The edited rules are not valid; ``problems`` name each field inside the section."""

    code = "invalid_rules"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else Problem("", "invalid rules")
        super().__init__("; ".join(str(p) for p in self.problems), field=first.path or None)


@dataclass(frozen=True, slots=True)
class RuleEdit:
    """What an edit did: the section before and after (``None``: absent), and the
    upcoming bookings the new rules would refuse (kept; listed for a decision)."""

    action: str
    subject: str
    before: Data | None
    after: Data | None
    misfits: tuple[Misfit, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class RuleHistoryEntry:
    at: datetime
    actor: str
    channel: str
    action: str
    subject: str
    before: Data | None
    after: Data | None


# --- the edits ------------------------------------------------------------------------------


async def put_resource(
    data: Mapping[str, Any], *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """Add a resource, or replace the one with ``data["id"]`` (hours, overrides and
    blocks included), in business-file form."""
    subject = _subject(data)

    def change(sections: Data) -> None:
        _put(sections["resources"], subject, dict(data))

    return await _edit("resource.put", "resources", subject, change, actor, now)


async def remove_resource(
    resource_id: str, *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """Remove a resource: deleted when nothing refers to it, else switched off and kept
    (its bookings stay; see :mod:`core.importing`). A service that requires it must be
    changed first."""

    def change(sections: Data) -> None:
        _take(sections["resources"], resource_id, "resource")

    return await _edit("resource.remove", "resources", resource_id, change, actor, now)


async def set_weekly_hours(
    resource_id: str,
    hours: Mapping[str, Sequence[Sequence[str]]],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> RuleEdit:
    """The resource's whole week: ``{"mon": [["09:00", "17:00"]], ...}``; a day not
    named is closed."""

    def change(sections: Data) -> None:
        resource = _find(sections["resources"], resource_id, "resource")
        resource["weekly_hours"] = {day: [list(s) for s in spans] for day, spans in hours.items()}

    return await _edit("resource.hours", "resources", resource_id, change, actor, now)


async def put_override(
    resource_id: str,
    day: date,
    hours: Sequence[Sequence[str]],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> RuleEdit:
    """The resource's hours on one date instead of its week's (``[]``: closed that day)."""

    def change(sections: Data) -> None:
        resource = _find(sections["resources"], resource_id, "resource")
        overrides = resource.setdefault("date_overrides", {})
        overrides[day.isoformat()] = [list(span) for span in hours]

    return await _edit("resource.override", "resources", resource_id, change, actor, now)


async def put_overrides(
    resource_id: str,
    days: Mapping[date, Sequence[Sequence[str]]],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> RuleEdit:
    """Several dates' hours at once, in one edit and one history row (a year of public
    holidays added in one click); other dates' overrides stay as they are."""

    def change(sections: Data) -> None:
        resource = _find(sections["resources"], resource_id, "resource")
        overrides = resource.setdefault("date_overrides", {})
        for day, hours in days.items():
            overrides[day.isoformat()] = [list(span) for span in hours]

    return await _edit("resource.overrides", "resources", resource_id, change, actor, now)


async def remove_override(
    resource_id: str, day: date, *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    def change(sections: Data) -> None:
        resource = _find(sections["resources"], resource_id, "resource")
        overrides = resource.get("date_overrides", {})
        if day.isoformat() not in overrides:
            raise NotFound(
                f"{resource_id} has no override on {day.isoformat()}", field="date_overrides"
            )
        del overrides[day.isoformat()]

    return await _edit("resource.override_removed", "resources", resource_id, change, actor, now)


async def add_block(
    resource_id: str, block: Mapping[str, Any], *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """Block time on a resource: ``{"start": "2026-12-07T14:00", "end": ..., "reason": ...}``
    in its wall time, or recurring with ``rrule`` and ``duration_min``."""

    def change(sections: Data) -> None:
        resource = _find(sections["resources"], resource_id, "resource")
        resource.setdefault("blocks", []).append(dict(block))

    return await _edit("resource.block", "resources", resource_id, change, actor, now)


async def remove_block(
    resource_id: str, block: Mapping[str, Any], *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """Remove the block equal to ``block`` (as :func:`rule_history` or the export show it)."""

    def change(sections: Data) -> None:
        resource = _find(sections["resources"], resource_id, "resource")
        blocks = resource.get("blocks", [])
        wanted = dict(block)
        for i, existing in enumerate(blocks):
            if dict(existing) == wanted:
                del blocks[i]
                return
        raise NotFound(f"{resource_id} has no such block", field="blocks")

    return await _edit("resource.block_removed", "resources", resource_id, change, actor, now)


async def put_service(
    data: Mapping[str, Any], *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """Add a service, or replace the one with ``data["id"]``, in business-file form."""
    subject = _subject(data)

    def change(sections: Data) -> None:
        _put(sections["services"], subject, dict(data))

    return await _edit("service.put", "services", subject, change, actor, now)


async def remove_service(service_id: str, *, actor: Actor, now: datetime | None = None) -> RuleEdit:
    """Remove a service: deleted when no booking refers to it, else switched off."""

    def change(sections: Data) -> None:
        _take(sections["services"], service_id, "service")

    return await _edit("service.remove", "services", service_id, change, actor, now)


async def resource_rules(resource_id: str) -> Data:
    """A resource's section as business-file data (hours, overrides, blocks): what the edits
    above change, for a form to show. :class:`NotFound` for an unknown resource."""
    document = business_document(await load_rules_as_business())
    found = _section(document, "resources", resource_id)
    if found is None:
        raise NotFound(f"there is no resource {resource_id!r}", field="id")
    return found


async def misfits_of(resource_id: str, now: datetime) -> tuple[Misfit, ...]:
    """The upcoming bookings on a resource that its rules now refuse (kept after an edit),
    for a person to decide on."""
    return await misfits_now(now, {resource_id})


async def service_rules(service_id: str) -> Data:
    """A service's section as business-file data, for a form to show; :class:`NotFound`
    for an unknown service."""
    document = business_document(await load_rules_as_business())
    found = _section(document, "services", service_id)
    if found is None:
        raise NotFound(f"there is no service {service_id!r}", field="id")
    return found


async def rule_sections() -> Data:
    """Every resource and service (switched-off ones too) as business-file data:
    ``{"resources": [...], "services": [...]}``, for the lists of the panel."""
    document = business_document(await load_rules_as_business())
    sections: Data = _plain({"resources": document["resources"], "services": document["services"]})
    return sections


_PREVIEW_MARGIN = timedelta(days=3)
"""Around the dates of a preview, as :mod:`core.availability` loads them: local dates are
within 15 hours of UTC ones and an occupied window is at most a day."""


async def preview_resource(
    data: Mapping[str, Any], *, first: date, last: date, now: datetime
) -> dict[str, list[Slot]]:
    """The free slots that a resource's section ``data`` (business-file form, not saved)
    would give on the local dates ``first..last``, for each active service that can use it,
    with that resource as the provider and today's bookings. Checked by the business file's
    validator first: a :class:`RuleEditError` names the field, as a save would."""
    subject = _subject(data)
    document = business_document(await load_rules_as_business())
    _put(document["resources"], subject, _plain(dict(data)))
    try:
        business = business_from_document(document)
    except BusinessFileError as error:
        raise RuleEditError(_within(error.problems, document, "resources", subject)) from None
    edited = next(r for r in business.resources if r.id == subject)
    using = [
        s.id for s in business.services if s.active and any(subject in pool for pool in s.requires)
    ]
    if not using:
        return {}
    start = datetime.combine(first, datetime.min.time(), UTC) - _PREVIEW_MARGIN
    end = datetime.combine(last, datetime.min.time(), UTC) + _PREVIEW_MARGIN
    loaded = await load_snapshot(start, end, using)
    snapshot = Snapshot(
        timezone=loaded.timezone,
        resources={**loaded.resources, subject: edited},
        services=loaded.services,
        busy=loaded.busy,
        locale=loaded.locale,
    )
    return {
        service_id: find_slots(snapshot, service_id, first, last, now, subject)
        for service_id in using
        if service_id in snapshot.services
    }


async def rule_history(*, subject: str | None = None, limit: int = 100) -> list[RuleHistoryEntry]:
    """The newest rule changes first, of one resource or service or of all."""
    query = m.RuleHistory.all()
    if subject is not None:
        query = query.filter(subject=subject)
    rows = await query.order_by("-at", "-id").limit(limit)
    return [
        RuleHistoryEntry(r.at, r.actor, r.channel, r.action, r.subject, r.before, r.after)
        for r in rows
    ]


# --- how every edit is made -----------------------------------------------------------------


async def _edit(
    action: str,
    section: Section,
    subject: str,
    change: Callable[[Data], None],
    actor: Actor,
    now: datetime | None,
) -> RuleEdit:
    """``now`` decides which bookings count as upcoming (the clock is injected); the
    history records the real time of the change."""
    if not isinstance(actor, Actor):
        raise InvalidRequest("an edit needs its actor", field="actor")
    at = datetime.now(UTC)
    async with write_transaction(_LOCK_WAIT) as tx:
        row = await m.Business.all().order_by("id").first()
        if row is None:
            raise NoBusiness()
        business_id = row.id
        ids = await m.Resource.filter(business_id=business_id).values_list("id", flat=True)
        await tx.lock("resource", cast(list[int], ids))
        current = await load_rules_as_business()
        document = business_document(current)
        before = _section(document, section, subject)
        change(document)
        after = _section(document, section, subject)
        if before == after:
            return RuleEdit(action, subject, before, after, ())
        try:
            business = business_from_document(document)
        except BusinessFileError as error:
            raise RuleEditError(_within(error.problems, document, section, subject)) from None
        try:
            report = await import_business(business, now or at, current=current)
        except InvalidBusiness as error:
            raise RuleEditError([Problem("", str(error))]) from None
        history = await m.RuleHistory.create(
            business_id=business_id,
            at=at,
            actor=actor.label[:250],
            channel=actor.channel,
            action=action,
            subject=subject,
            before=before,
            after=after,
            using_db=tx.conn,
        )
        if action not in _FREES_NOTHING:
            await _freed(tx.conn, history.id, now or at)
    return RuleEdit(action, subject, before, after, report.misfits)


_FREES_NOTHING = frozenset(
    {"resource.block", "resource.remove", "service.remove", "resource.morning_summary"}
)
"""Edits that can only take time away; every other edit may free some (a block removed,
hours extended, a service allowed further ahead) for the waitlist."""
_WAITLIST_HORIZON = timedelta(days=400)


async def _freed(conn: BaseDBAsyncClient, history_id: int, now: datetime) -> None:
    """The waitlist cascade's turn after a rule change, in the change's transaction
    (:mod:`core.bookings.cascade`): any waiting entry may match now."""
    await m.Outbox.create(
        dedup_key=f"rules:{history_id}:freed",
        kind=MessageKind.CAPACITY_FREED,
        payload={
            "kind": MessageKind.CAPACITY_FREED.value,
            "start": now.astimezone(UTC).isoformat(),
            "end": (now + _WAITLIST_HORIZON).astimezone(UTC).isoformat(),
        },
        available_at=now,
        using_db=conn,
    )


async def set_reminders(
    service_id: str, minutes: Sequence[int], *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """When a service's reminders go, in minutes before the start (``[]``: none). Bookings
    already made keep the reminders queued for them; new bookings and moves get these."""

    def change(sections: Data) -> None:
        _find(sections["services"], service_id, "service")["reminders"] = list(minutes)

    return await _edit("service.reminders", "services", service_id, change, actor, now)


async def set_quiet_hours(
    start: str, end: str, *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """The business's quiet hours, ``"HH:MM"`` each, in the customer's wall time
    (``start == end``: none). Messages already queued keep their time."""

    def change(sections: Data) -> None:
        sections["business"]["quiet_hours"] = {"start": start, "end": end}

    return await _edit("business.quiet_hours", "business", "business", change, actor, now)


async def set_morning_summary(
    resource_id: str, at: str | None, *, actor: Actor, now: datetime | None = None
) -> RuleEdit:
    """When a staff resource gets the summary of its day, ``"HH:MM"`` in its own zone
    (else the business's); ``None``: no summary."""

    def change(sections: Data) -> None:
        found = _find(sections["resources"], resource_id, "resource")
        if at is None:
            found.pop("morning_summary", None)
        else:
            found["morning_summary"] = at

    return await _edit("resource.morning_summary", "resources", resource_id, change, actor, now)


async def set_business_details(
    *,
    name: str,
    timezone: str,
    locale: str,
    colour: str | None,
    actor: Actor,
    now: datetime | None = None,
) -> RuleEdit:
    """The business's name, time zone, default language and colour (``None``: the chat's
    own), checked by the business file's validator like every rule."""

    def change(sections: Data) -> None:
        business = sections["business"]
        business.update({"name": name, "timezone": timezone, "locale": locale})
        if colour:
            business["colour"] = colour
        else:
            business.pop("colour", None)

    return await _edit("business.details", "business", "business", change, actor, now)


def _subject(data: Mapping[str, Any]) -> str:
    subject = data.get("id") if isinstance(data, Mapping) else None
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidRequest("give the id", field="id")
    return subject


def _find(items: list[Data], subject: str, what: str) -> Data:
    for item in items:
        if item.get("id") == subject:
            return item
    raise NotFound(f"there is no {what} {subject!r}", field="id")


def _put(items: list[Data], subject: str, data: Data) -> None:
    for i, item in enumerate(items):
        if item.get("id") == subject:
            items[i] = data
            return
    items.append(data)


def _take(items: list[Data], subject: str, what: str) -> None:
    items.remove(_find(items, subject, what))


def _section(document: Data, section: Section, subject: str) -> Data | None:
    if section == "business":
        whole: Data = copy.deepcopy(_plain(document["business"]))
        return whole
    for item in document[section]:
        if item.get("id") == subject:
            found: Data = copy.deepcopy(_plain(item))
            return found
    return None


def _plain(value: Any) -> Any:
    """Business-file data as plain JSON values (the file's YAML helpers are subclasses)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _within(
    problems: Sequence[Problem], document: Data, section: Section, subject: str
) -> list[Problem]:
    """The problems with their paths made relative to the edited section where they lie
    in it (``resources[3].weekly_hours.mon[0]`` → ``weekly_hours.mon[0]``)."""
    if section == "business":
        index: int | None = 0
        prefix = "business"
    else:
        index = next(
            (i for i, item in enumerate(document[section]) if item.get("id") == subject), None
        )
        prefix = f"{section}[{index}]"
    found = []
    for problem in problems:
        path = problem.path
        if index is not None and (path == prefix or path.startswith((prefix + ".", prefix + "["))):
            path = path[len(prefix) :].lstrip(".")
        found.append(Problem(path, problem.message))
    return found
