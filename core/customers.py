"""Customers: one record per person, recognised across channels, and where they may be written.

A person is found, in this order, by

1. a channel identity (``channel`` + the channel's id for them: a Telegram user
   id, an SMS number, a web chat session): whoever wrote from there before;
2. their phone number, stored in E.164 (``+4930123456``, read in the business's
   region when written without ``+``), when exactly one customer has it;
3. their e-mail address, compared without case, when exactly one customer has it;

but a chat identity is tied by phone only to a number its channel vouches for (the
SMS sender's own, Telegram's shared contact) and never by e-mail: a number or address
typed into a chat makes a new customer, or anyone could see someone else's bookings.

else a new customer is made. The identity is tied to the customer found, so the
next message from that chat finds them at step 1. Matched by an identity, the
record takes what the person told us last; matched by a phone or e-mail only
(anyone may type a number), it only gains what it lacked. More than one customer
with the phone (records from before this rule) is no match: better a new record
than the wrong person.

The booking writer does this inside the booking's own transaction
(:func:`find_sql`, :func:`merge_sql`, :func:`tie`), so a booking and its customer
tie commit together. Whether a channel may be written to is stored per identity:
``unreachable_at`` (the channel said the person blocked us) and ``opted_out_at``
(SMS STOP, cleared by START); :func:`reachable_channels` answers where a message
may go. The customer's fields are mapped here and nowhere else
(:data:`CUSTOMER_FIELDS`, :func:`customer_of`, :func:`customer_values`).

This module imports nothing of ours but the models (``core.store`` imports it).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers
import phonenumbers.timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core import models as m
from core.errors import InvalidPreference
from core.text.languages import LANGUAGES

__all__ = [
    "CUSTOMER_FIELDS",
    "CustomerInput",
    "Identity",
    "Params",
    "Route",
    "business_region",
    "customer_of",
    "customer_values",
    "e164",
    "email_key",
    "find_or_create",
    "find_sql",
    "mark_unreachable",
    "merge_sql",
    "normalized",
    "opt_in",
    "opt_out",
    "opted_out",
    "preferences",
    "reachable_channels",
    "reachable_channels_of",
    "tie",
    "zone_country",
    "zone_of_number",
]

CUSTOMER_FIELDS = ("name", "phone", "email", "locale", "timezone")
"""The customer's own fields, in the order of :class:`CustomerInput` and of the columns."""

PHONE_CHANNELS = frozenset({"sms", "whatsapp"})
"""Channels whose identities are phone numbers (stored in E.164)."""
EMAIL = "email"
"""The route of an e-mail address in :func:`reachable_channels`."""


@dataclass(frozen=True, slots=True)
class CustomerInput:
    """Who the booking is for, as the channel knows them; stored with the booking."""

    name: str
    phone: str | None = None
    email: str | None = None
    locale: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """How a channel names a person: ``Identity("telegram", "12345")``."""

    channel: str
    external_id: str
    verified_phone: str | None = None
    """A phone number the channel itself vouches is this person's (Telegram's shared
    contact). An SMS or WhatsApp sender's own number is vouched for by the carrier."""


@dataclass(frozen=True, slots=True)
class Route:
    """Where a message may go: a channel and the address on it (an id, a number, an e-mail)."""

    channel: str
    address: str


def customer_of(values: Sequence[Any]) -> CustomerInput:
    """A customer from its fields read in :data:`CUSTOMER_FIELDS` order."""
    name, phone, email, locale, timezone = values
    return CustomerInput(name or "", phone, email, locale, timezone)


def customer_values(customer: object | None) -> list[Any]:
    """The fields in :data:`CUSTOMER_FIELDS` order of a :class:`CustomerInput` (or of the
    business file's ``BookingCustomer``, the same fields); ``None`` each for no customer."""
    if customer is None:
        return [None] * len(CUSTOMER_FIELDS)
    return [getattr(customer, f) for f in CUSTOMER_FIELDS]


def email_key(email: str | None) -> str | None:
    """What an e-mail address is matched by: the same address in other case is the same."""
    return None if email is None else email.strip().lower()


# --- phone numbers ------------------------------------------------------------------------


def e164(number: str, region: str | None) -> str:
    """``number`` in E.164; ``ValueError`` saying why when it is not a real number."""
    if region is None and not number.strip().startswith("+"):
        raise ValueError("write the number with its country code, e.g. +49 30 1234567")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number; write it like +49 30 1234567") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("no such phone number; check the digits and the country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def preferences(timezone: str | None, locale: str | None) -> tuple[str | None, str | None]:
    """A customer's own time zone and language as given (``customer.timezone``,
    ``customer.locale``), checked: an IANA zone, and a language we speak (``de``,
    ``de-AT``, ``de_AT``: written ``de-AT``). :class:`InvalidPreference` names the field."""
    if timezone is not None:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidPreference(
                f"customer.timezone: {timezone!r} is not an IANA time zone; "
                "write it like Europe/Berlin or America/New_York",
                field="customer.timezone",
            ) from None
    if locale is not None:
        locale = locale.strip().replace("_", "-")
        if locale.split("-")[0].lower() not in LANGUAGES or len(locale) > 16:
            raise InvalidPreference(
                f"customer.locale: {locale!r} is not a language we write; "
                f"use one of {', '.join(LANGUAGES)} (a region may follow: de-AT)",
                field="customer.locale",
            )
    return timezone, locale


def zone_of_number(number: str) -> str | None:
    """The time zone of a phone number (E.164) when its country or area has exactly one
    (``+4930...`` is Europe/Berlin; a US number spans several: ``None``)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phonenumbers.timezone.time_zones_for_number(parsed) if "/" in z]
    if len(zones) != 1 or zones[0].startswith("Etc/"):
        return None
    try:
        zoneinfo.ZoneInfo(zones[0])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return zones[0]


async def business_region() -> str | None:
    """The business's country (``DE``), for phone numbers written without ``+``: the region
    of its locale (``de-AT``), else the country of its time zone; ``None`` if neither says."""
    rows = await m.Business.all().order_by("id").limit(1).values_list("locale", "timezone")
    if not rows:
        return None
    locale, zone = rows[0]
    return region_of(locale, zone)


def region_of(locale: str, zone: str) -> str | None:
    """:func:`business_region` of a locale and a time zone, without the database."""
    parts = locale.replace("_", "-").split("-")
    if len(parts) > 1 and len(parts[-1]) == 2 and parts[-1].isalpha():
        return parts[-1].upper()
    return zone_country(zone)


@functools.cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country, from the system's or tzdata's ``zone.tab``."""
    places = [Path(p) / "zone.tab" for p in zoneinfo.TZPATH]
    with contextlib.suppress(ModuleNotFoundError):
        places.append(Path(str(importlib.resources.files("tzdata.zoneinfo") / "zone.tab")))
    for place in places:
        if place.is_file():
            rows = (line.split("\t") for line in place.read_text().splitlines())
            return {row[2]: row[0] for row in rows if len(row) >= 3 and not row[0].startswith("#")}
    return {}


def zone_country(zone: str) -> str | None:
    return _zone_countries().get(zone)


def phone_or_as_is(number: str, region: str | None) -> str:
    """``number`` in E.164 when it parses as a real number, else unchanged (a customer's
    number is never refused or lost here; the REST API refuses bad ones before)."""
    try:
        return e164(number, region)
    except ValueError:
        return number


async def normalized(customer: CustomerInput) -> CustomerInput:
    """The customer with the phone in E.164 when it parses (the business's region read
    only for a number without ``+``), so the same number written two ways is one person."""
    phone = customer.phone
    if phone is None:
        return customer
    region = None if phone.strip().startswith("+") else await business_region()
    fixed = phone_or_as_is(phone, region)
    if fixed == phone:
        return customer
    return CustomerInput(customer.name, fixed, customer.email, customer.locale, customer.timezone)


def _address(channel: str, address: str) -> str:
    """An identity's id as stored: numbers of phone channels in E.164."""
    if channel in PHONE_CHANNELS:
        return phone_or_as_is(address.removeprefix("whatsapp:"), None)
    return address


# --- finding and tying, in the caller's transaction -----------------------------------------


class Params:
    """Statement parameters numbered as they are added, written for the connection's
    dialect (``$1::text`` on PostgreSQL, ``?1`` on SQLite, instants as SQLite keeps them);
    a number can be used twice."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.values: list[Any] = []

    def __call__(self, value: Any, kind: str) -> str:
        if not self.postgres and isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat(" ")  # as UTCDatetimeField writes it
        self.values.append(value)
        if self.postgres:
            return f"${len(self.values)}::{kind}" if kind else f"${len(self.values)}"
        return f"?{len(self.values)}"


def vouched_phone(customer: CustomerInput, identity: Identity) -> bool:
    """Whether the channel vouches that ``customer.phone`` is this identity's own number."""
    if customer.phone is None:
        return False
    own: str | None = None
    if identity.channel in PHONE_CHANNELS:
        own = _address(identity.channel, identity.external_id)
    return customer.phone in (own, identity.verified_phone)


def find_sql(p: Params, customer: CustomerInput, identity: Identity | None) -> str:
    """One row: ``known`` (the identity's customer), ``by_phone`` and ``by_email`` (the one
    customer with that phone or e-mail), each null when there is none.

    A chat identity is tied to a customer found by phone only when the channel vouches for
    the number, and never by a typed e-mail: anyone can type someone else's number, and
    the tie would show them that person's bookings ("my bookings") and let them cancel.
    A typed contact makes a new customer instead (a code sent to the number, checked by
    :mod:`core.verification`, is how a typed number will be allowed to link).
    """
    known = by_phone = by_email = "CAST(NULL AS integer)"
    by_contact = identity is None
    if identity is not None:
        known = (
            '(SELECT "customer_id" FROM "channel_identity" WHERE "channel" = '
            f'{p(identity.channel, "text")} AND "external_id" = {p(identity.external_id, "text")})'
        )
    if customer.phone is not None and (identity is None or vouched_phone(customer, identity)):
        by_phone = (
            '(SELECT CASE WHEN COUNT(*) = 1 THEN MIN("id") END FROM "customer" '
            f'WHERE "phone" = {p(customer.phone, "text")})'
        )
    if customer.email is not None and by_contact:
        by_email = (
            '(SELECT CASE WHEN COUNT(*) = 1 THEN MIN("id") END FROM "customer" '
            f'WHERE "email_key" = {p(email_key(customer.email), "text")})'
        )
    return f"SELECT {known} AS known, {by_phone} AS by_phone, {by_email} AS by_email"


def merge_sql(p: Params, customer: CustomerInput, known: str) -> str:
    """The ``SET`` list that merges ``customer`` into a row found (see the module docstring):
    where the boolean SQL ``known`` holds, what was given wins; else what was stored."""
    values = {**dict(zip(CUSTOMER_FIELDS, customer_values(customer), strict=True))}
    values["email_key"] = email_key(customer.email)
    sets = []
    for column, value in values.items():
        new = p(value, "text")
        if column == "name":
            new, old = f"NULLIF({new}, '')", "NULLIF(\"name\", '')"
            sets.append(
                f'"name" = CASE WHEN {known} THEN COALESCE({new}, "name") '
                f"ELSE COALESCE({old}, {new}, '') END"
            )
            continue
        sets.append(
            f'"{column}" = CASE WHEN {known} THEN COALESCE({new}, "{column}") '
            f'ELSE COALESCE("{column}", {new}) END'
        )
    return ", ".join(sets)


def insert_values(p: Params, customer: CustomerInput, created: datetime) -> tuple[str, str]:
    """Columns and values of a new customer row."""
    columns = (*CUSTOMER_FIELDS, "email_key", "created_at")
    values = [*customer_values(customer), email_key(customer.email)]
    placed = [p(v, "text") for v in values] + [p(created, "timestamptz")]
    return ", ".join(f'"{c}"' for c in columns), ", ".join(placed)


def identity_sql(p: Params, identity: Identity, created: datetime) -> tuple[str, str]:
    """The columns and values (after the customer id) of a new identity row."""
    values = [
        p(identity.channel, "text"),
        p(identity.external_id, "text"),
        p(created, "timestamptz"),
    ]
    return '"customer_id", "channel", "external_id", "created_at"', ", ".join(values)


def cte_steps(
    p: Params, customer: CustomerInput, identity: Identity | None, created: datetime
) -> list[str]:
    """PostgreSQL ``WITH`` steps ending in ``c`` (one row, ``"id"``: the customer), for the
    booking writer's one statement: found, merged or made, and tied to ``identity``."""
    columns, values = insert_values(p, customer, created)
    steps = [
        f'f AS (SELECT COALESCE(q.known, q.by_phone, q.by_email) AS "id", '
        f"q.known IS NOT NULL AS known FROM ({find_sql(p, customer, identity)}) AS q)",
        f'n AS (INSERT INTO "customer" ({columns}) SELECT {values} FROM f '
        'WHERE f."id" IS NULL RETURNING "id")',
        f'u AS (UPDATE "customer" SET {merge_sql(p, customer, "f.known")} FROM f '
        'WHERE "customer"."id" = f."id")',
        'c AS (SELECT "id" FROM f WHERE "id" IS NOT NULL UNION ALL SELECT "id" FROM n)',
    ]
    if identity is not None:
        columns, values = identity_sql(p, identity, created)
        steps.append(
            f'i AS (INSERT INTO "channel_identity" ({columns}) SELECT c."id", {values} '
            'FROM c, f WHERE NOT f.known ON CONFLICT ("channel", "external_id") DO NOTHING)'
        )
    return steps


async def tie(
    conn: BaseDBAsyncClient,
    customer: CustomerInput,
    identity: Identity | None,
    created: datetime,
) -> int:
    """The customer's id, found (and merged) or made, tied to ``identity``: a few statements
    in the caller's transaction (the writer's SQLite path; PostgreSQL uses :func:`cte_steps`)."""
    postgres = conn.capabilities.dialect == "postgres"
    p = Params(postgres)
    rows = await conn.execute_query_dict(find_sql(p, customer, identity), p.values)
    row = rows[0]
    found = row["known"] or row["by_phone"] or row["by_email"]
    if found is not None:
        p = Params(postgres)
        known = p(row["known"] is not None, "boolean")
        merge = merge_sql(p, customer, known)
        sql = f'UPDATE "customer" SET {merge} WHERE "id" = {p(found, "integer")}'
        await conn.execute_query(sql, p.values)
        customer_id = int(found)
    else:
        p = Params(postgres)
        columns, values = insert_values(p, customer, created)
        made = await conn.execute_query_dict(
            f'INSERT INTO "customer" ({columns}) VALUES ({values}) RETURNING "id"', p.values
        )
        customer_id = int(made[0]["id"])
    if identity is not None and row["known"] is None:
        p = Params(postgres)
        columns, values = identity_sql(p, identity, created)
        await conn.execute_query(
            f'INSERT INTO "channel_identity" ({columns}) VALUES ({p(customer_id, "integer")}, '
            f'{values}) ON CONFLICT ("channel", "external_id") DO NOTHING',
            p.values,
        )
    return customer_id


async def find_or_create(
    customer: CustomerInput, identity: Identity | None = None, *, now: datetime | None = None
) -> int:
    """The id of the customer ``customer`` and ``identity`` name (see the module docstring),
    in a transaction of its own. Bookings do this in theirs (``BookingService(identity=)``)."""
    if identity is not None and identity.verified_phone is not None:
        vouched = await normalized(CustomerInput("", phone=identity.verified_phone))
        identity = replace(identity, verified_phone=vouched.phone)
    async with in_transaction() as conn:
        return await tie(conn, await normalized(customer), identity, now or datetime.now(UTC))


async def known_customer(identity: Identity) -> CustomerInput | None:
    """The customer this identity booked as before, if any."""
    rows = await m.Customer.filter(
        identities__channel=identity.channel, identities__external_id=identity.external_id
    ).values_list(*CUSTOMER_FIELDS)
    return customer_of(rows[0]) if rows else None


# --- where a message may go ---------------------------------------------------------------


async def mark_unreachable(channel: str, external_id: str, now: datetime | None = None) -> bool:
    """The channel said this person blocked us: write to them there no more (until they write
    again and :func:`opt_in` runs). ``False`` when no customer has this identity."""
    at = now or datetime.now(UTC)
    changed = await m.ChannelIdentity.filter(
        channel=channel, external_id=_address(channel, external_id)
    ).update(unreachable_at=at)
    return changed > 0


async def opt_out(channel: str, address: str, now: datetime | None = None) -> int:
    """The person asked for no more messages on this channel (SMS STOP). Kept even for a
    number never seen before (a customer made for it), so a later booking with the number
    finds it opted out. Returns the customer's id."""
    at = now or datetime.now(UTC)
    identity = Identity(channel, _address(channel, address))
    async with in_transaction() as conn:
        phone = identity.external_id if channel in PHONE_CHANNELS else None
        customer_id = await tie(conn, CustomerInput("", phone=phone), identity, at)
        await (
            m.ChannelIdentity.filter(channel=identity.channel, external_id=identity.external_id)
            .using_db(conn)
            .update(opted_out_at=at)
        )
    return customer_id


async def opt_in(channel: str, address: str) -> bool:
    """The person wrote again or asked to (SMS START): the channel may be used again.
    ``False`` when nobody has this identity."""
    changed = await m.ChannelIdentity.filter(
        channel=channel, external_id=_address(channel, address)
    ).update(opted_out_at=None, unreachable_at=None)
    return changed > 0


async def opted_out(channel: str, address: str) -> bool:
    """Whether the person asked for no more messages on this channel (and has not opted
    back in): a channel checks it before answering or sending there."""
    return await m.ChannelIdentity.filter(
        channel=channel, external_id=_address(channel, address), opted_out_at__isnull=False
    ).exists()


async def reachable_channels(customer_id: int) -> list[Route]:
    """Where a message to this customer may go, best first: the channel of their first
    booking, then their other identities (oldest first), then SMS to their phone, then
    e-mail; none that is opted out or unreachable. Which of these can really send (a web
    chat session cannot) is the sender's business."""
    return (await reachable_channels_of([customer_id])).get(customer_id, [])


async def reachable_channels_of(customer_ids: Sequence[int]) -> dict[int, list[Route]]:
    """:func:`reachable_channels` of many customers in three queries (the worker's batch)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    contacts = await m.Customer.filter(id__in=ids).values_list("id", "phone", "email")
    identities: dict[int, list[tuple[str, str, Any, Any]]] = {i: [] for i in ids}
    for customer_id, *identity in (
        await m.ChannelIdentity.filter(customer_id__in=ids)
        .order_by("created_at", "id")
        .values_list("customer_id", "channel", "external_id", "unreachable_at", "opted_out_at")
    ):
        identities[customer_id].append((identity[0], identity[1], identity[2], identity[3]))
    first: dict[int, str] = {}
    for customer_id, channel in (
        await m.Booking.filter(customer_id__in=ids)
        .order_by("created_at", "id")
        .values_list("customer_id", "source_channel")
    ):
        first.setdefault(customer_id, str(channel))
    found: dict[int, list[Route]] = {}
    for customer_id, phone, email in contacts:
        found[customer_id] = _routes(identities[customer_id], phone, email, first.get(customer_id))
    return found


def _routes(
    identities: Sequence[tuple[str, str, Any, Any]],
    phone: str | None,
    email: str | None,
    first: str | None,
) -> list[Route]:
    blocked = {(c, x) for c, x, gone, out in identities if gone is not None or out is not None}
    routes = [Route(c, x) for c, x, _, _ in identities]
    if phone is not None:
        routes.append(Route("sms", phone))
    if email is not None:
        routes.append(Route(EMAIL, email))
    if first is not None:
        routes.sort(key=lambda r: r.channel != first)  # stable: the rest keep their order
    seen: set[Route] = set()
    found: list[Route] = []
    for route in routes:
        if (route.channel, route.address) in blocked or route in seen:
            continue
        seen.add(route)
        found.append(route)
    return found
