"""Tortoise models of the app label ``models``: the business's rules and its bookings.

The schema is shaped by two needs. Rules (hours, blocks, pools) are read whole
and rarely, so they are stored plainly, one row per fact, in the order the
business file gave them (``position`` or insertion order by ``id``) so that an
export of an import reproduces the file. Bookings are read by "what overlaps
this window on these resources" on every slot query, and their capacity must be
enforced by the database, so every booking has one :class:`BookingResource`
occupancy row per resource carrying everything the check needs on the row
itself (window with buffers, seats, ``active``, ``exclusive``): PostgreSQL's
exclusion constraint (see ``migrations/``) only sees its own table.

Instants are aware UTC ``datetime`` (``timestamptz`` on PostgreSQL). Rules are
local wall time: hours and overrides as minutes after midnight, block bounds
as naive ISO text (see :class:`Block`).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

MAX_ID = 2**31 - 1
"""The largest id a row can have (ids are PostgreSQL ``integer``s): a number from an
address or a link beyond it names no row, and must not reach the database, which would
refuse it with an error instead of finding nothing."""


class ResourceKind(StrEnum):
    STAFF = "staff"
    ROOM = "room"
    EQUIPMENT = "equipment"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class UTCDatetimeField(fields.DatetimeField[datetime]):
    """An aware instant, always written in UTC.

    SQLite stores a ``datetime`` as ISO text with the offset it had, and compares
    text: ``10:00+01:00`` sorts after ``09:30+00:00``. Writing every instant (and
    every filter value) in UTC keeps the text order equal to time order, so the
    overlap queries are right on SQLite whatever zone the caller's datetime had.
    """

    def to_db_value(self, value: Any, instance: Any) -> Any:
        value = super().to_db_value(value, instance)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value


def new_manage_token() -> str:
    """Unguessable handle for "manage my booking" links; the booking id is guessable."""
    return secrets.token_urlsafe(24)


class Business(Model):
    """The one business a database holds; the other tables hang off it so a re-import
    can replace everything by deleting this row."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64)
    locale = fields.CharField(max_length=16, default="en")
    colour = fields.CharField(max_length=7, null=True)
    """``#rrggbb`` for the web chat; null is the chat's own colour."""
    quiet_start_min = fields.SmallIntField(default=21 * 60, db_default=21 * 60)
    quiet_end_min = fields.SmallIntField(default=8 * 60, db_default=8 * 60)
    """Quiet hours in the customer's wall time, minutes after midnight (:mod:`core.quiet`)."""
    created_at = UTCDatetimeField(auto_now_add=True)
    updated_at = UTCDatetimeField(auto_now=True)

    class Meta:
        table = "business"
        table_description = "The business: name, timezone, default locale"


class Resource(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "models.Business", related_name="resources", on_delete=fields.CASCADE
    )
    slug = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200)
    aliases = fields.JSONField[list[str]](default=list, db_default=[])
    """Other names customers use for it, in file order."""
    slack_user = fields.CharField(max_length=32, null=True)
    """The Slack user id of the staff member this resource is (``U012AB3CD``), if any."""
    email = fields.CharField(max_length=254, null=True)
    """Where its staff notices go when it has no Slack user."""
    summary_at_min = fields.SmallIntField(null=True)
    """When a staff member's morning summary goes, minutes after their local midnight
    (business file ``morning_summary: "07:30"``); ``None``: they did not ask for one."""
    names = fields.JSONField[dict[str, str]](default=dict, db_default={})
    """Its name in other languages, by language code."""
    kind = fields.CharEnumField(ResourceKind, max_length=16, default=ResourceKind.STAFF)
    capacity = fields.IntField(default=1)
    timezone = fields.CharField(max_length=64, null=True)
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)

    business_id: int

    class Meta:
        table = "resource"
        table_description = "Bookable staff, rooms and equipment"
        unique_together = (("business", "slug"),)
        ordering = ("position", "id")


class WeeklyHours(Model):
    """One open stretch of one weekday; a weekday without rows is closed.

    A weekday the file lists with no stretches (``wed: []``) is closed too, but
    is kept as one row with null times so that an export shows it as written.
    """

    id = fields.IntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="weekly_hours", on_delete=fields.CASCADE
    )
    weekday = fields.SmallIntField()
    """0 = Monday, as in :mod:`core.engine.snapshot`."""
    start_min = fields.SmallIntField(null=True)
    end_min = fields.SmallIntField(null=True)

    resource_id: int

    class Meta:
        table = "weekly_hours"
        table_description = "Open stretches per weekday, minutes after local midnight"
        # Read by resource on every slot query and twice per booking; neither
        # database indexes a foreign key by itself.
        indexes = (Index(fields=("resource_id",)),)


class DateOverride(Model):
    """One open stretch of a local date that replaces that date's weekly hours.

    A date closed all day has to be distinguishable from a date without an
    override, so it is one row with ``start_min`` and ``end_min`` both null.
    A date's rows are either that single closed row or only real stretches.
    """

    id = fields.IntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="date_overrides", on_delete=fields.CASCADE
    )
    date = fields.DateField()
    start_min = fields.SmallIntField(null=True)
    end_min = fields.SmallIntField(null=True)

    resource_id: int

    class Meta:
        table = "date_override"
        table_description = (
            "Open stretches replacing the weekly hours of a date, null times = closed"
        )
        indexes = (Index(fields=("resource_id",)),)


class Block(Model):
    """Time a resource cannot be booked, in the resource's local wall time.

    ``start``/``end`` are naive wall-clock datetimes written as
    ``datetime.isoformat()`` text: a timestamp column would be shifted to UTC
    (``timestamptz``, ``USE_TZ``), and the same wall time means different
    instants on different dates, so only text round-trips exactly on both
    SQLite and PostgreSQL. With ``rrule`` (RFC 5545, ``start`` as DTSTART) the
    row is a series and every occurrence lasts ``end - start`` of wall time.
    """

    id = fields.IntField(primary_key=True)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="blocks", on_delete=fields.CASCADE
    )
    start = fields.CharField(max_length=32)
    end = fields.CharField(max_length=32)
    rrule = fields.TextField(null=True)
    reason = fields.TextField(default="")
    created_at = UTCDatetimeField(auto_now_add=True)

    resource_id: int

    class Meta:
        table = "block"
        table_description = "Time a resource cannot be booked, naive local wall time as ISO text"
        indexes = (Index(fields=("resource_id",)),)


class Service(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "models.Business", related_name="services", on_delete=fields.CASCADE
    )
    slug = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200)
    aliases = fields.JSONField[list[str]](default=list, db_default=[])
    """Other names customers use for it, in file order."""
    names = fields.JSONField[dict[str, str]](default=dict, db_default={})
    """Its name in other languages, by language code."""
    duration_min = fields.IntField()
    buffer_before_min = fields.IntField(default=0)
    buffer_after_min = fields.IntField(default=0)
    slot_step_min = fields.IntField(null=True)
    min_notice_min = fields.IntField(default=0)
    max_advance_days = fields.IntField(default=60)
    seats = fields.IntField(default=1)
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)
    cancel_notice_min = fields.IntField(default=0, db_default=0)
    """Change policy (see :class:`core.business.ServicePolicy`): minutes before the
    start after which a cancellation is refused."""
    reschedule_notice_min = fields.IntField(default=0, db_default=0)
    max_reschedules = fields.IntField(null=True)
    """Moves allowed per booking; null is no limit."""
    waitlist_mode = fields.CharField(max_length=8, default="offer", db_default="offer")
    """What freed capacity does for the waitlist: ``offer`` it (with a hold) or ``book``
    the first matching entry directly (see :mod:`core.bookings.cascade`)."""
    no_show_limit = fields.IntField(null=True)
    """After this many no-shows of a customer, ``no_show_action`` applies; null: never."""
    no_show_action = fields.CharField(max_length=16, default="confirm", db_default="confirm")
    """``confirm`` (a confirmation reply before each booking) or ``refuse_chat``."""
    reminders = fields.JSONField[list[int]](null=True)
    """Minutes before the start at which reminders go, largest first; null is the
    default (:data:`core.business.DEFAULT_REMINDERS`), ``[]`` none."""

    business_id: int

    class Meta:
        table = "service"
        table_description = "What can be booked, with durations and policies"
        unique_together = (("business", "slug"),)
        ordering = ("position", "id")


class ServiceBlackout(Model):
    """A stretch of local wall time in which bookings of a service cannot be changed.

    Naive ISO text in the business timezone, for the reason given at :class:`Block`.
    """

    id = fields.IntField(primary_key=True)
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "models.Service", related_name="blackouts", on_delete=fields.CASCADE
    )
    start = fields.CharField(max_length=32)
    end = fields.CharField(max_length=32)
    reason = fields.TextField(default="")
    position = fields.IntField(default=0)

    service_id: int

    class Meta:
        table = "service_blackout"
        table_description = "Local wall-time stretches in which bookings of a service cannot change"
        ordering = ("position", "id")


class ServicePool(Model):
    """One entry of a service's ``requires``: a booking takes one resource from it."""

    id = fields.IntField(primary_key=True)
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "models.Service", related_name="pools", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)

    service_id: int

    class Meta:
        table = "service_pool"
        table_description = "One pool of the resources a service requires"
        ordering = ("position", "id")
        indexes = (Index(fields=("service_id",)),)


class ServicePoolMember(Model):
    id = fields.IntField(primary_key=True)
    pool: fields.ForeignKeyRelation[ServicePool] = fields.ForeignKeyField(
        "models.ServicePool", related_name="members", on_delete=fields.CASCADE
    )
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="pool_memberships", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)

    pool_id: int
    resource_id: int

    class Meta:
        table = "service_pool_member"
        table_description = "A resource in a service pool"
        ordering = ("position", "id")
        indexes = (Index(fields=("pool_id",)),)


class Customer(Model):
    """A person who books, whatever channels they write from.

    Not tied to the business row, so re-importing the business file does not
    forget who the customers are.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, default="")
    phone = fields.CharField(max_length=32, null=True)
    """E.164 (``+4930123456``) when it parses; else as written (see :mod:`core.customers`)."""
    email = fields.CharField(max_length=254, null=True)
    email_key = fields.CharField(max_length=254, null=True)
    """The e-mail lower-cased: what a customer is found by (addresses differ only in case)."""
    locale = fields.CharField(max_length=16, null=True)
    timezone = fields.CharField(max_length=64, null=True)
    created_at = UTCDatetimeField(auto_now_add=True)

    class Meta:
        table = "customer"
        table_description = "People who book"
        # Every booking looks its customer up by phone and e-mail (core.customers).
        indexes = (Index(fields=("phone",)), Index(fields=("email_key",)))


class ChannelIdentity(Model):
    """How a channel names a customer (Telegram user id, phone number, Slack user)."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="identities", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=255)
    """The channel's id for the person; an SMS or WhatsApp number in E.164."""
    created_at = UTCDatetimeField(auto_now_add=True)
    unreachable_at = UTCDatetimeField(null=True)
    """When the channel said the person blocked us (Telegram 403); null: reachable."""
    opted_out_at = UTCDatetimeField(null=True)
    """When the person asked for no more messages here (SMS STOP); START clears it."""

    customer_id: int

    class Meta:
        table = "channel_identity"
        table_description = "How a channel names a customer, and whether it may be written to"
        unique_together = (("channel", "external_id"),)
        indexes = (Index(fields=("customer_id",)),)


class BookingSeries(Model):
    """Bookings made together by one recurring request (weekly, every 2 weeks, every N days).

    The rule is kept as asked, so the series can be shown and moved as a whole;
    each occurrence is an ordinary :class:`Booking` pointing here.
    """

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "models.Business", related_name="series", on_delete=fields.CASCADE
    )
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "models.Service", related_name="series", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="series", on_delete=fields.SET_NULL, null=True
    )
    frequency = fields.CharField(max_length=16)
    """``weekly``, ``biweekly`` or ``days``."""
    interval_days = fields.IntField()
    count = fields.IntField()
    first_start = UTCDatetimeField()
    created_at = UTCDatetimeField(auto_now_add=True)

    business_id: int
    service_id: int
    customer_id: int | None

    class Meta:
        table = "booking_series"
        table_description = "Recurring requests, whose occurrences are bookings"


class Booking(Model):
    """An appointment; what it occupies lives in its :class:`BookingResource` rows."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "models.Business", related_name="bookings", on_delete=fields.CASCADE
    )
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "models.Service", related_name="bookings", on_delete=fields.RESTRICT
    )
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="bookings", on_delete=fields.SET_NULL, null=True
    )
    start = UTCDatetimeField()
    end = UTCDatetimeField()
    status = fields.CharEnumField(BookingStatus, max_length=16, default=BookingStatus.CONFIRMED)
    source_channel = fields.CharField(max_length=32, default="")
    manage_token = fields.CharField(max_length=64, unique=True, default=new_manage_token)
    seats = fields.IntField(default=1)
    idempotency_key = fields.CharField(max_length=128, null=True, unique=True)
    idempotency_fingerprint = fields.CharField(max_length=64, null=True)
    """A hash of the request that brought the key: the same key with another request
    is refused instead of answered with this booking."""
    reschedule_count = fields.IntField(default=0, db_default=0)
    series: fields.ForeignKeyNullableRelation[BookingSeries] = fields.ForeignKeyField(
        "models.BookingSeries", related_name="bookings", on_delete=fields.SET_NULL, null=True
    )
    created_at = UTCDatetimeField(auto_now_add=True)
    updated_at = UTCDatetimeField(auto_now=True)

    business_id: int
    service_id: int
    customer_id: int | None
    series_id: int | None

    class Meta:
        table = "booking"
        table_description = "Appointments"
        indexes = (
            Index(fields=("business_id", "start")),
            Index(fields=("customer_id", "start")),
            Index(fields=("series_id",)),
        )


class BookingResource(Model):
    """The occupancy row: seats of one resource taken by one booking, buffers included.

    ``active`` is true while the booking is confirmed and ``exclusive`` while the
    resource's capacity is 1; PostgreSQL's exclusion constraint checks
    ``WHERE active AND exclusive``, so both are copied here rather than joined.
    What the constraint counts is exactly what a snapshot reads as busy.

    ``appointment_start``/``appointment_end`` repeat the booking's own times
    (without buffers) so that the slot query reads this table alone: the join
    to ``booking`` cost more than the rest of the busy query on PostgreSQL and
    grows with every booking ever made. Whoever moves a booking moves its rows.
    """

    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="occupancy", on_delete=fields.CASCADE
    )
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="occupancy", on_delete=fields.RESTRICT
    )
    position = fields.SmallIntField(default=0)
    """Place of the resource in the booking's resource list (the service's pool order)."""
    occupied_start = UTCDatetimeField()
    occupied_end = UTCDatetimeField()
    appointment_start = UTCDatetimeField()
    appointment_end = UTCDatetimeField()
    seats = fields.IntField(default=1)
    active = fields.BooleanField(default=True)
    exclusive = fields.BooleanField(default=True)

    booking_id: int
    resource_id: int

    class Meta:
        table = "booking_resource"
        table_description = "Occupancy: seats of a resource taken by a booking, buffers included"
        indexes = (
            Index(fields=("resource_id", "occupied_start", "occupied_end")),
            Index(fields=("resource_id", "occupied_end")),
            # Neither database indexes a foreign key by itself; deleting bookings
            # (cascade, re-import) would scan this table once per booking.
            Index(fields=("booking_id",)),
        )


class BookingHistory(Model):
    """Append-only audit of a booking: who did what, when, from which channel."""

    id = fields.IntField(primary_key=True)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="history", on_delete=fields.CASCADE
    )
    at = UTCDatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=200, default="")
    channel = fields.CharField(max_length=32, default="")
    action = fields.CharField(max_length=32)
    data = fields.JSONField[dict[str, Any]](default=dict)

    booking_id: int

    class Meta:
        table = "booking_history"
        table_description = "Append-only audit of bookings"
        indexes = (Index(fields=("booking_id", "at")), Index(fields=("at", "id")))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"
    """Not sent on purpose: stale when its time came (the booking was cancelled or moved)."""
    DEAD = "dead"
    """Failed too often; shown to the operator, never retried by itself."""


class Outbox(Model):
    """A message a change of a booking causes, written in the change's own transaction.

    A worker claims due ``pending`` rows by setting ``locked_until`` (a lease: a
    worker that dies leaves the row to be claimed again when it ends), sends them
    outside any transaction, then marks them ``sent`` (with the provider's id for
    the message) or failed (``available_at`` moves on, by backoff, until ``dead``).
    ``dedup_key`` is unique, so a retried cause can never queue the same message
    twice, and the receiving side can drop a second delivery by the same key
    (sending is at least once). See :mod:`core.outbox`.
    """

    id = fields.IntField(primary_key=True)
    dedup_key = fields.CharField(max_length=200, unique=True)
    kind = fields.CharField(max_length=48)
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="outbox", on_delete=fields.CASCADE, null=True
    )
    payload = fields.JSONField[dict[str, Any]](default=dict)
    available_at = UTCDatetimeField()
    status = fields.CharEnumField(
        OutboxStatus, max_length=16, default=OutboxStatus.PENDING, db_default="pending"
    )
    locked_until = UTCDatetimeField(null=True)
    locked_by = fields.CharField(max_length=100, null=True)
    sent_at = UTCDatetimeField(null=True)
    provider_id = fields.CharField(max_length=200, null=True)
    """The sending provider's id for the message (an SMTP Message-ID, a Twilio SID)."""
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    created_at = UTCDatetimeField(auto_now_add=True)

    booking_id: int | None

    class Meta:
        table = "outbox"
        table_description = "Messages to send, written with their cause, sent at least once"
        indexes = (
            Index(fields=("status", "available_at")),
            Index(fields=("booking_id",)),
        )


def new_waitlist_token() -> str:
    """Unguessable handle to leave the waitlist; the entry id is guessable."""
    return secrets.token_urlsafe(18)


class WaitlistEntry(Model):
    """Someone who wants a service in a window that had no room when they asked."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True, default=new_waitlist_token)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="waitlist", on_delete=fields.CASCADE
    )
    service: fields.ForeignKeyRelation[Service] = fields.ForeignKeyField(
        "models.Service", related_name="waitlist", on_delete=fields.CASCADE
    )
    provider: fields.ForeignKeyNullableRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="waitlist", on_delete=fields.CASCADE, null=True
    )
    wished_start = UTCDatetimeField()
    wished_end = UTCDatetimeField()
    source_channel = fields.CharField(max_length=32, default="")
    created_at = UTCDatetimeField(auto_now_add=True)
    status = fields.CharField(max_length=16, default="waiting", db_default="waiting")
    """``waiting`` (offered slots included), ``booked`` (by the cascade) or ``expired``
    (its window passed)."""
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="waitlist_entries", on_delete=fields.SET_NULL, null=True
    )
    """The booking the cascade made for it."""

    customer_id: int
    service_id: int
    provider_id: int | None
    booking_id: int | None

    class Meta:
        table = "waitlist_entry"
        table_description = "Customers waiting for room in a wished window"
        indexes = (Index(fields=("service_id", "wished_start")),)


class WaitlistOffer(Model):
    """A freed slot offered to one waitlist entry, held for it until ``expires_at``.

    The row is the hold: it outlives the process that made it, and
    :class:`core.bookings.cascade.OfferHolds` shows it to every booking as busy
    (``resources`` over ``occupied_start..occupied_end``) while it is ``open`` and
    not expired. ``token`` is the customer's handle (the ``/w/<token>`` page,
    buttons); ``hold_token`` is what the booking service confirms.
    """

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=64, unique=True, default=new_waitlist_token)
    hold_token = fields.CharField(max_length=64, unique=True)
    entry: fields.ForeignKeyRelation[WaitlistEntry] = fields.ForeignKeyField(
        "models.WaitlistEntry", related_name="offers", on_delete=fields.CASCADE
    )
    start = UTCDatetimeField()
    resources = fields.JSONField[list[str]](default=list)
    occupied_start = UTCDatetimeField()
    occupied_end = UTCDatetimeField()
    seats = fields.IntField(default=1)
    status = fields.CharField(max_length=16, default="open")
    """``open``, ``accepted``, ``declined``, ``expired`` or ``void`` (the slot was lost)."""
    offered_at = UTCDatetimeField()
    expires_at = UTCDatetimeField()
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "models.Booking", related_name="waitlist_offers", on_delete=fields.SET_NULL, null=True
    )

    entry_id: int
    booking_id: int | None

    class Meta:
        table = "waitlist_offer"
        table_description = "Freed slots offered to waitlist entries, each held until it expires"
        indexes = (Index(fields=("status", "expires_at")), Index(fields=("entry_id",)))


class ApiKeyRole(StrEnum):
    CLIENT = "client"
    """A partner or widget: books, holds, reads its bookings by token."""
    STAFF = "staff"
    """Also acts for the business on any booking (marks no-shows)."""


class ApiKey(Model):
    """A key an API client authenticates with. Only its SHA-256 is kept: the key is shown
    once, when made; ``prefix`` (not secret) finds the row without scanning."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    prefix = fields.CharField(max_length=16, unique=True)
    digest = fields.CharField(max_length=64)
    role = fields.CharEnumField(
        ApiKeyRole, max_length=16, default=ApiKeyRole.CLIENT, db_default="client"
    )
    created_at = UTCDatetimeField(auto_now_add=True)
    revoked_at = UTCDatetimeField(null=True)

    class Meta:
        table = "api_key"
        table_description = "Keys of API clients, kept only as hashes"


class FeedKey(Model):
    """The version of a calendar feed's address (a resource's or a customer's). The address
    is signed over the version, so revoking a feed (the version goes up) stops every older
    address at once; without a row the version is 1."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    """``resource`` or ``customer``."""
    subject = fields.CharField(max_length=100)
    """The resource's id (slug) in the business file, or the customer's row id."""
    version = fields.IntField(default=1)
    changed_at = UTCDatetimeField(auto_now=True)

    class Meta:
        table = "feed_key"
        table_description = "Versions of calendar feed addresses, raised when one is revoked"
        unique_together = (("kind", "subject"),)


class CalendarConnection(Model):
    """A staff member's own calendar (CalDAV), read for busy time and written with their
    bookings. The password is kept encrypted (Fernet, ``SLOTWISE_CREDENTIALS_KEY``)."""

    id = fields.IntField(primary_key=True)
    resource: fields.OneToOneRelation[Resource] = fields.OneToOneField(
        "models.Resource", related_name="calendar", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=500)
    username = fields.CharField(max_length=200)
    secret = fields.TextField()
    """The password, encrypted."""
    sync_token = fields.TextField(null=True)
    state = fields.CharField(max_length=16, default="new")
    """``new`` (never read), ``ok``, ``failing`` (could not reach it: tried again) or
    ``refused`` (the server said no: the password or the address needs fixing)."""
    last_error = fields.TextField(default="")
    synced_at = UTCDatetimeField(null=True)
    full_sync_at = UTCDatetimeField(null=True)
    """The last full read (recurring events are expanded over a window that moves on)."""
    due_at = UTCDatetimeField(null=True)
    created_at = UTCDatetimeField(auto_now_add=True)
    busy_version = fields.UUIDField(null=True, default=uuid.uuid4)
    """New whenever the busy time read from it changes: the key under which a process
    keeps that busy time (``core.store``), so a slot query need not read it again."""

    resource_id: int

    class Meta:
        table = "calendar_connection"
        table_description = "Own calendars of staff, read for busy time and written with bookings"


class ExternalBusy(Model):
    """Busy time from a staff member's own calendar: when, and which object it came from
    (to replace or remove it when that object changes). No title, no attendees."""

    id = fields.IntField(primary_key=True)
    connection: fields.ForeignKeyRelation[CalendarConnection] = fields.ForeignKeyField(
        "models.CalendarConnection", related_name="busy", on_delete=fields.CASCADE
    )
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "models.Resource", related_name="external_busy", on_delete=fields.CASCADE
    )
    href = fields.CharField(max_length=500)
    start = UTCDatetimeField()
    end = UTCDatetimeField()

    connection_id: int
    resource_id: int

    class Meta:
        table = "external_busy"
        table_description = "Busy time read from own calendars of staff, without titles"
        indexes = (Index(fields=("resource_id", "start")), Index(fields=("connection_id", "href")))


class PushedEvent(Model):
    """A booking as written into a staff member's calendar: where, and which version, so
    that a move rewrites it and a cancellation removes it."""

    id = fields.IntField(primary_key=True)
    connection: fields.ForeignKeyRelation[CalendarConnection] = fields.ForeignKeyField(
        "models.CalendarConnection", related_name="pushed", on_delete=fields.CASCADE
    )
    booking_id = fields.IntField()
    href = fields.CharField(max_length=500)
    version = fields.CharField(max_length=64)
    """A digest of what was written: a booking whose digest differs is written again."""

    connection_id: int

    class Meta:
        table = "pushed_event"
        table_description = "Bookings written into own calendars of staff"
        unique_together = (("connection_id", "booking_id"),)


class RuleHistory(Model):
    """One change of the rules (a resource, its hours, overrides or blocks, a service):
    who made it, from which channel, and the section before and after, as business-file
    data. With :class:`BookingHistory` it is the audit log."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "models.Business", related_name="rule_history", on_delete=fields.CASCADE
    )
    at = UTCDatetimeField()
    actor = fields.CharField(max_length=250)
    channel = fields.CharField(max_length=32)
    action = fields.CharField(max_length=48)
    subject = fields.CharField(max_length=100)
    """The id (slug) of the resource or service changed."""
    before = fields.JSONField[Any](null=True)
    after = fields.JSONField[Any](null=True)

    business_id: int

    class Meta:
        table = "rule_history"
        table_description = "Changes of the rules, with who made them, before and after"
        indexes = (
            Index(fields=("business_id", "at")),
            Index(fields=("subject", "at")),
            Index(fields=("at", "id")),
        )


# --- people who sign in to the admin panel (core.users) ---------------------------------------


class UserRole(StrEnum):
    SYSADMIN = "sysadmin"
    """Users, settings, API keys, channels; everything an admin does too."""
    ADMIN = "admin"
    """Rules, services, resources, bookings, reports, the audit log."""
    STAFF = "staff"
    """Their own resource's calendar, blocks, bookings and those customers only."""


class User(Model):
    """Someone who signs in to the admin panel. Secrets are kept only as hashes, except
    the TOTP key, which the server needs in the clear to check a code: it is kept sealed
    (encrypted with a key derived from the server's secret, :mod:`core.sealed`)."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    """Lower-cased: what the person types to sign in."""
    role = fields.CharEnumField(UserRole, max_length=16)
    resource = fields.CharField(max_length=64, null=True)
    """A staff member's resource id (slug); kept as text so a re-import keeps the tie."""
    locale = fields.CharField(max_length=16, default="en")
    password_hash = fields.CharField(max_length=255, null=True)
    """argon2id; null until the person follows their link."""
    totp_secret = fields.CharField(max_length=255, null=True)
    """The sealed base32 TOTP key once enrolled; null: no two-factor sign-in (staff may
    choose that). A key from before sealing is read as it is and sealed on its next use."""
    totp_pending = fields.CharField(max_length=255, null=True)
    """The key the enrolment page shows, until a code from it is typed back."""
    totp_last_step = fields.BigIntField(null=True)
    """The time step of the last code accepted: a code is never accepted twice."""
    recovery_codes = fields.TextField(default="")
    """SHA-256 of each unused recovery code, space-separated (plain text, so that spending
    one is an update conditional on the exact value read, on every database)."""
    invite_digest = fields.CharField(max_length=64, null=True, unique=True)
    """SHA-256 of the one-time enrolment link's token; null once used."""
    invite_expires_at = UTCDatetimeField(null=True)
    active = fields.BooleanField(default=True)
    created_at = UTCDatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"
        table_description = "People who sign in to the admin panel, with their role"


class UserHistory(Model):
    """One change of a user of the panel (invited, new link, role, disabled...): who made
    it, from which channel (``admin`` or ``cli``), before and after. Never a password hash,
    a TOTP key or a link's token. With the other two histories it is the audit log."""

    id = fields.IntField(primary_key=True)
    at = UTCDatetimeField()
    actor = fields.CharField(max_length=250)
    channel = fields.CharField(max_length=32)
    action = fields.CharField(max_length=48)
    subject = fields.CharField(max_length=254)
    """The user's e-mail."""
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="history", null=True, on_delete=fields.SET_NULL
    )
    before = fields.JSONField[Any](null=True)
    after = fields.JSONField[Any](null=True)

    user_id: int | None

    class Meta:
        table = "user_history"
        table_description = "Changes of the panel's users, with who made them, before and after"
        indexes = (Index(fields=("at", "id")), Index(fields=("subject", "at")))


class UserSession(Model):
    """A signed-in browser: the cookie holds a random token, this row only its SHA-256.
    Revoked by sign-out (or a new link), over at ``expires_at`` or after idling."""

    id = fields.IntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    csrf = fields.CharField(max_length=64)
    """The token every form of this session must send back."""
    address = fields.CharField(max_length=64, default="")
    created_at = UTCDatetimeField()
    last_seen_at = UTCDatetimeField()
    expires_at = UTCDatetimeField()
    revoked_at = UTCDatetimeField(null=True)

    user_id: int

    class Meta:
        table = "user_session"
        table_description = "Signed-in admin panel sessions, kept by the hash of their token"
        indexes = (Index(fields=("user_id",)),)


class SignInFailure(Model):
    """A failed sign-in, counted by address and by account for the lockout."""

    id = fields.IntField(primary_key=True)
    at = UTCDatetimeField()
    address = fields.CharField(max_length=64)
    account = fields.CharField(max_length=254)

    class Meta:
        table = "sign_in_failure"
        table_description = "Failed admin sign-ins, for the lockout by address and account"
        indexes = (Index(fields=("address", "at")), Index(fields=("account", "at")))


class SignInLock(Model):
    """An address or an account refused sign-in until ``until``."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300)
    """``address:<ip>`` or ``account:<email>``."""
    until = UTCDatetimeField()

    class Meta:
        table = "sign_in_lock"
        table_description = "Addresses and accounts locked out of signing in, until when"
        indexes = (Index(fields=("key", "until")),)


class Webhook(Model):
    """An address told of booking events (:mod:`core.webhooks`), each delivery signed with
    its own secret (kept sealed). ``cursor`` is the last ``booking_history`` row whose
    event was queued for it: a new webhook starts at the newest, so it hears only what
    happens after it was made."""

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=500)
    events = fields.JSONField[list[str]](default=list)
    """Of ``booking.created``, ``booking.moved``, ``booking.cancelled``, ``booking.no_show``."""
    secret = fields.TextField()
    """The signing secret, sealed."""
    cursor = fields.IntField(default=0)
    active = fields.BooleanField(default=True)
    created_by = fields.CharField(max_length=254, default="")
    created_at = UTCDatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook"
        table_description = "Addresses told of booking events, with sealed signing secrets"
