"""A whole business as plain data: what the business file holds and the database stores.

The business file parser produces a :class:`Business`, the store writes one to
the database and reads it back, and ``slotwise export`` prints it. The engine's
own types (:mod:`core.engine.snapshot`) describe resources and services, so
there is one definition of each rule. A :class:`Directory` is the small part
the chat reads to recognise what a customer names: services and staff with
their aliases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from core.engine.snapshot import Resource, Service
from core.quiet import DEFAULT_QUIET, QuietHours

DEFAULT_REMINDERS: tuple[int, ...] = (1440, 120)
"""A service's reminders when the business file sets none: minutes before the start
(24 hours and 2 hours). ``reminders: []`` in the file means none."""


@dataclass(frozen=True, slots=True)
class BusinessInfo:
    name: str
    timezone: str
    """IANA zone; the slot grid lives here."""
    locale: str = "en"
    colour: str | None = None
    """``#rrggbb``, lowercase: the web chat's accent; ``None`` is the chat's own default."""
    quiet_hours: QuietHours = DEFAULT_QUIET
    """When reminders, waitlist offers and changes made by staff are held back, in the
    customer's wall time (:mod:`core.quiet`)."""


@dataclass(frozen=True, slots=True)
class BookingCustomer:
    """Who a booking is for, as the business file writes it (the customer row's fields)."""

    name: str = ""
    phone: str | None = None
    email: str | None = None
    locale: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class BookingRecord:
    """A booking as the business file writes it: confirmed, on named resources."""

    service: str
    start: datetime
    """Aware; stored and exported in UTC."""
    resources: tuple[str, ...]
    seats: int | None = None
    """``None`` means the service's seats."""
    token: str | None = field(default=None, compare=False)
    """The booking's manage token, which the links customers hold carry: what makes a
    file's booking the same as one in the database. Not part of equality: two records
    of the same appointment are equal whatever handle they carry."""
    customer: BookingCustomer | None = None


@dataclass(frozen=True, slots=True)
class Blackout:
    """A stretch of the business's local wall time (naive) in which it accepts no changes."""

    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """What a customer may change about a booking of a service, and until when.

    Not part of the engine's :class:`Service`: it does not decide what a slot is,
    only whether an existing booking may be cancelled or moved.
    """

    cancel_notice_min: int = 0
    """Minutes before the start after which a cancellation is refused."""
    reschedule_notice_min: int = 0
    """Minutes before the (current) start after which a move is refused."""
    max_reschedules: int | None = None
    """How often one booking may be moved; ``None`` is no limit."""
    waitlist: Literal["offer", "book"] = "offer"
    """What capacity freed for the waitlist does: offer it to the first matching entry
    (with a hold and a message to accept) or book that entry at once."""
    no_show_after: int | None = None
    """After this many no-shows of a customer, ``no_show_then`` applies; ``None``: never."""
    no_show_then: Literal["confirm", "refuse_chat"] = "confirm"
    """``confirm``: each booking needs the customer's confirmation reply first;
    ``refuse_chat``: bookings by chat are refused (staff can still book)."""
    blackouts: tuple[Blackout, ...] = ()


@dataclass(frozen=True, slots=True)
class Business:
    info: BusinessInfo
    resources: tuple[Resource, ...]
    services: tuple[Service, ...]
    bookings: tuple[BookingRecord, ...] = ()
    policies: Mapping[str, ServicePolicy] = field(default_factory=dict)
    """Change policies by service id; a service not listed has the default policy."""
    service_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Other names customers use for a service, by service id; a service not listed has none."""
    resource_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The same for resources. Two mappings: a service and a resource may share an id."""
    slack_users: Mapping[str, str] = field(default_factory=dict)
    """The Slack user id (``U012AB3CD``) of a staff resource, by resource id: who may ask
    Slack for that resource's day and block its time. A resource not listed has none."""
    service_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """A service's name in other languages, by service id then language code ("de"):
    what a customer writing that language reads (and may write); ``name`` otherwise."""
    resource_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """The same for resources."""
    reminders: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """When a service's reminders go, in minutes before the start, by service id (largest
    first); a service not listed has :data:`DEFAULT_REMINDERS`."""
    resource_emails: Mapping[str, str] = field(default_factory=dict)
    """The e-mail address of a staff resource, by resource id: where its notices of new,
    moved and cancelled bookings go when it has no Slack user."""
    morning_summaries: Mapping[str, int] = field(default_factory=dict)
    """When a staff resource gets the summary of its day, in minutes after its local
    midnight, by resource id (``resources[].morning_summary: "07:30"``); a resource not
    listed gets none."""

    def reminders_of(self, service_id: str) -> tuple[int, ...]:
        return self.reminders.get(service_id, DEFAULT_REMINDERS)


@dataclass(frozen=True, slots=True)
class Entry:
    """Something a customer can ask for by name: a service or a provider."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "service"
    """``"service"``, or the resource's kind: ``"staff"``, ``"room"`` or ``"equipment"``."""
    names: tuple[tuple[str, str], ...] = ()
    """``(language, name)`` pairs: its name in other languages."""

    def name_in(self, lang: str) -> str:
        """The name a customer writing ``lang`` reads: the business's own ``name`` unless
        the file gives one in that language."""
        return dict(self.names).get(lang, self.name)


@dataclass(frozen=True, slots=True)
class Directory:
    """What a customer can ask for by name: the bot's vocabulary of this business."""

    info: BusinessInfo
    services: tuple[Entry, ...]
    """Active services, in file order."""
    providers: tuple[Entry, ...]
    """Active staff resources that some active service's pools list, in file order."""
