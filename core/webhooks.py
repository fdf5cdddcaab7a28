"""Outbound webhooks: an address told of booking events, each delivery signed.

Events are read from the audit history, not written by the booking writers: every
booking change already lands in ``booking_history`` in its own transaction, so
:func:`fan_out` (a job of the worker) turns new history rows into one outbox row per
webhook (kind ``webhook``, dedup key ``webhook:<webhook id>:<history id>``), and the
worker delivers them with the outbox's retries, backoff and dead handling
(:class:`WebhookSender`). A history row is read again for :data:`GRACE` after it was
written, so a row of a transaction that committed late (its id lower than one already
seen) is not missed; the dedup key keeps a second read from queueing it twice.

=================== ==============================
history action      event
=================== ==============================
``booked``          ``booking.created``
``rescheduled``     ``booking.moved``
``cancelled``       ``booking.cancelled``
``no_show``         ``booking.no_show``
=================== ==============================

A delivery is a ``POST`` of the JSON body with ``Slotwise-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<body>" with the webhook's secret>`` (see
``docs/webhooks.md`` for checking it). Addresses are ``http`` or ``https`` only; an
address that is or resolves to a private, loopback, link-local or otherwise non-public
IP is refused, at creation and again at every delivery (checked on the addresses the
connection really uses, so a name that later resolves inward is refused too), unless
the operator allows private addresses (``SLOTWISE_WEBHOOKS_ALLOW_PRIVATE``, for tests
and closed networks). Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from core import models as m
from core.errors import InvalidRequest, NotFound
from core.netguard import PublicOnly, private_host
from core.outbox.kinds import MessageKind
from core.sealed import seal, unseal

__all__ = [
    "EVENTS",
    "GRACE",
    "SIGNATURE_HEADER",
    "WebhookFailed",
    "WebhookInfo",
    "WebhookSender",
    "check_url",
    "create_webhook",
    "delete_webhook",
    "fan_out",
    "list_webhooks",
    "sign",
    "verify",
]

EVENTS: Mapping[str, str] = {
    "booked": "booking.created",
    "rescheduled": "booking.moved",
    "cancelled": "booking.cancelled",
    "no_show": "booking.no_show",
}
"""History action → event name."""
EVENT_NAMES = tuple(EVENTS.values())
SIGNATURE_HEADER = "Slotwise-Signature"
GRACE = timedelta(seconds=60)
"""How long a history row is read again after it was written (see the module docstring)."""
TOLERANCE = timedelta(minutes=5)
"""How old a signature's timestamp :func:`verify` accepts."""
_MAX_URL = 500


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_by: str
    created_at: datetime


class WebhookFailed(Exception):
    """A delivery that did not arrive; ``permanent``: trying again will not help."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


def _info(row: m.Webhook) -> WebhookInfo:
    return WebhookInfo(
        row.id, row.url, tuple(row.events), row.active, row.created_by, row.created_at
    )


# --- addresses ---------------------------------------------------------------------------


def check_url(url: str, *, allow_private: bool) -> str:
    """``url`` if a webhook may be sent there, else :class:`InvalidRequest` naming why."""
    url = url.strip() if isinstance(url, str) else ""
    if not url or len(url) > _MAX_URL or not url.isprintable():
        raise InvalidRequest(f"the address is 1 to {_MAX_URL} characters", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidRequest("the address must start with https:// (or http://)", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest("the address must not hold a user name or password", field="url")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InvalidRequest("the address has no host name", field="url")
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise InvalidRequest(
            "the address's port is not a number from 1 to 65535", field="url"
        ) from None
    if not allow_private and private_host(host):
        raise InvalidRequest(
            "the address is private or on this machine; a webhook goes to a public address",
            field="url",
        )
    return url


class _PublicOnly(PublicOnly):
    """The connection's resolver: a name with any non-public address is refused, for good
    (see :mod:`core.netguard`)."""

    def __init__(self) -> None:
        super().__init__(
            lambda host: WebhookFailed(
                f"{host} resolves to a private address; refused", permanent=True
            )
        )


# --- signing -----------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Slotwise-Signature`` header value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, now: datetime, tolerance: timedelta = TOLERANCE
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` and is not older than ``tolerance``
    (what a receiver does; the Python example in ``docs/webhooks.md`` is the same)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# --- the webhooks ------------------------------------------------------------------------


def _events(events: list[str] | tuple[str, ...]) -> list[str]:
    chosen = [e for e in EVENT_NAMES if e in set(events)]
    unknown = sorted(set(events) - set(EVENT_NAMES))
    if unknown:
        raise InvalidRequest(
            f"unknown events {', '.join(unknown)}; choose from {', '.join(EVENT_NAMES)}",
            field="events",
        )
    if not chosen:
        raise InvalidRequest("choose at least one event", field="events")
    return chosen


async def create_webhook(
    url: str, events: list[str] | tuple[str, ...], *, allow_private: bool, created_by: str
) -> tuple[WebhookInfo, str]:
    """A new webhook and its signing secret (shown once; kept sealed). It hears what
    happens from now on."""
    address = check_url(url, allow_private=allow_private)
    chosen = _events(events)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    newest = await m.BookingHistory.all().order_by("-id").first().values_list("id", flat=True)
    row = await m.Webhook.create(
        url=address,
        events=chosen,
        secret=seal(secret),
        cursor=int(newest) if isinstance(newest, int) else 0,
        created_by=created_by[:254],
    )
    return _info(row), secret


async def list_webhooks() -> list[WebhookInfo]:
    return [_info(row) for row in await m.Webhook.all().order_by("id")]


async def delete_webhook(webhook_id: int) -> WebhookInfo:
    """Remove the webhook; its deliveries not yet made are dropped when their turn comes."""
    row = await m.Webhook.get_or_none(id=webhook_id)
    if row is None:
        raise NotFound("there is no such webhook", field="webhook")
    info = _info(row)
    await row.delete()
    return info


# --- from history to the outbox ----------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def _bodies(rows: list[m.BookingHistory]) -> dict[int, dict[str, Any]]:
    """The event body of each history row (by its id), with the booking as it is now."""
    ids = sorted({row.booking_id for row in rows})
    bookings = {
        b.id: b for b in await m.Booking.filter(id__in=ids).prefetch_related("service", "customer")
    }
    places: dict[int, list[str]] = {i: [] for i in ids}
    for booking_id, slug in (
        await m.BookingResource.filter(booking_id__in=ids)
        .order_by("booking_id", "position")
        .values_list("booking_id", "resource__slug")
    ):
        places[booking_id].append(str(slug))
    bodies: dict[int, dict[str, Any]] = {}
    for row in rows:
        booking = bookings.get(row.booking_id)
        if booking is None:
            continue
        customer = booking.customer
        bodies[row.id] = {
            "id": f"evt_{row.id}",
            "type": EVENTS[row.action],
            "created_at": _iso(row.at),
            "data": {
                "booking": {
                    "id": booking.id,
                    "service": booking.service.slug,
                    "start": _iso(booking.start),
                    "end": _iso(booking.end),
                    "status": str(booking.status),
                    "resources": places[booking.id],
                    "seats": booking.seats,
                    "channel": booking.source_channel,
                    "customer": None
                    if customer is None
                    else {
                        "id": customer.id,
                        "name": customer.name,
                        "phone": customer.phone,
                        "email": customer.email,
                    },
                },
                "change": {
                    "by": row.actor.split(":", 1)[0],
                    "channel": row.channel,
                    **{k: v for k, v in row.data.items() if k in _CHANGE_KEYS},
                },
            },
        }
    return bodies


_CHANGE_KEYS = frozenset({"from", "to", "resources_from", "resources_to", "override", "start"})
"""What of a history row's data an event carries (never a free-text reason)."""


async def fan_out(now: datetime, *, limit: int = 500) -> list[str]:
    """Queue the events of new history rows for each active webhook; lines saying what it
    did (a job of the worker). See the module docstring for the cursor and the grace."""
    lines: list[str] = []
    for hook in await m.Webhook.filter(active=True).order_by("id"):
        rows = await m.BookingHistory.filter(id__gt=hook.cursor).order_by("id").limit(limit)
        if not rows:
            continue
        wanted = [r for r in rows if EVENTS.get(r.action) in hook.events]
        bodies = await _bodies(wanted)
        queued = 0
        for row in wanted:
            body = bodies.get(row.id)
            if body is None:
                continue
            _, made = await m.Outbox.get_or_create(
                dedup_key=f"webhook:{hook.id}:{row.id}",
                defaults={
                    "kind": MessageKind.WEBHOOK,
                    "booking_id": row.booking_id,
                    "payload": {"webhook": hook.id, "event": body["type"], "body": body},
                    "available_at": now,
                },
            )
            queued += int(made)
        cursor = hook.cursor
        for row in rows:  # up to the first row still within the grace: it is read again
            if row.at > now - GRACE:
                break
            cursor = row.id
        if cursor > hook.cursor:
            await m.Webhook.filter(id=hook.id).update(cursor=cursor)
        if queued:
            lines.append(f"webhook #{hook.id}: {queued} event(s) queued")
    return lines


# --- delivering ---------------------------------------------------------------------------


class WebhookSender:
    """Delivers one queued event (what the worker calls for a ``webhook`` outbox row)."""

    def __init__(self, *, allow_private: bool = False, timeout: float = 10.0) -> None:
        self.allow_private = allow_private
        self.timeout = timeout

    async def deliver(self, payload: Mapping[str, Any], dedup_key: str, now: datetime) -> bool:
        """``True`` when delivered, ``False`` when the webhook is gone or off (nothing to
        do); :class:`WebhookFailed` otherwise (``permanent`` for a refusal that a retry
        will not change: a private address, a 4xx other than 408 and 429, a redirect)."""
        hook = await m.Webhook.get_or_none(id=int(payload.get("webhook") or 0))
        if hook is None or not hook.active:
            return False
        try:
            url = check_url(hook.url, allow_private=self.allow_private)
        except InvalidRequest as error:
            raise WebhookFailed(error.message, permanent=True) from None
        body = json.dumps(payload.get("body") or {}, separators=(",", ":")).encode()
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Slotwise-Webhooks/1",
            SIGNATURE_HEADER: sign(unseal(hook.secret), timestamp, body),
            "Slotwise-Event": str(payload.get("event") or ""),
            "Slotwise-Delivery": dedup_key,
        }
        connector = aiohttp.TCPConnector(
            resolver=None if self.allow_private else _PublicOnly(), force_close=True
        )
        try:
            async with (
                aiohttp.ClientSession(
                    connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout)
                ) as session,
                session.post(url, data=body, headers=headers, allow_redirects=False) as answer,
            ):
                status = answer.status
        except WebhookFailed:
            raise
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.__cause__, WebhookFailed):
                raise error.__cause__ from None
            raise WebhookFailed(f"could not connect: {error}") from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise WebhookFailed(f"no answer: {error!r}") from None
        if 200 <= status < 300:
            return True
        if status in (408, 429) or status >= 500:
            raise WebhookFailed(f"the receiver answered {status}")
        raise WebhookFailed(f"the receiver refused it with {status}", permanent=True)
