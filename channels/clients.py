"""Who is asking, from what the client cannot choose, and how much each may ask.

A request is either an API client that proved itself with a key
(``Authorization: Bearer sw_…``) or anonymous, known only by its address: the
socket's peer, or, when that peer is a trusted reverse proxy
(``SLOTWISE_TRUSTED_PROXIES``), the address the proxy says it forwarded for.
Anything else a client sends about itself (``X-Client-Id``, an ``X-Forwarded-For``
to a server it reaches directly) is not believed, so rotating it gains nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from channels.ratelimit import RateLimiter
from core.holds.quota import HoldQuota

__all__ = ["Client", "Limits", "client_address", "parse_networks", "request_address"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Client:
    kind: Literal["key", "address"]
    id: str
    """``key:<id>`` or ``addr:<address>``: what holds, limits and idempotency keys are scoped by."""
    name: str
    """The key's name or the address, for the audit history."""
    staff: bool = False
    """A key with the staff role (:mod:`core.apikeys`): may act for the business."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks; a bad entry is a ``ValueError`` naming it."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"SLOTWISE_TRUSTED_PROXIES: {entry!r} is not an address or a network"
                ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def request_address(peer: str | None, forwarded_for: Sequence[str], limits: Limits | None) -> str:
    """:func:`client_address` with the trusted proxies of ``limits`` (none without)."""
    return client_address(peer, forwarded_for, limits.trusted_proxies if limits else ())


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The address a request comes from. Behind trusted proxies, the right-most address
    in ``X-Forwarded-For`` that is not itself a trusted proxy: the entries to its left
    were written by the client and prove nothing."""
    address = _address(peer or "")
    if address is None:
        return peer or "unknown"
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    while any(address in network for network in trusted) and hops:
        forwarded = _address(hops.pop())
        if forwarded is None:
            break
        address = forwarded
    return str(address)


@dataclass
class Limits:
    """The limits of one server process (see ``docs/security.md`` for the defaults)."""

    trusted_proxies: tuple[Network, ...] = ()
    holds_per_minute: int = 30
    live_holds_per_address: int = 5
    live_holds_per_key: int = 500
    bookings_per_minute: int = 10
    bookings_per_contact_per_hour: int = 10
    chat_messages_per_address_per_minute: int = 300
    hold_rate: RateLimiter = field(init=False)
    booking_rate: RateLimiter = field(init=False)
    contact_rate: RateLimiter = field(init=False)
    chat_rate: RateLimiter = field(init=False)
    live_holds: HoldQuota = field(init=False, default_factory=HoldQuota)

    def __post_init__(self) -> None:
        self.hold_rate = RateLimiter(self.holds_per_minute)
        self.booking_rate = RateLimiter(self.bookings_per_minute)
        self.contact_rate = RateLimiter.per_hour(self.bookings_per_contact_per_hour)
        self.chat_rate = RateLimiter(self.chat_messages_per_address_per_minute)

    def live_hold_cap(self, client: Client) -> int:
        return self.live_holds_per_key if client.kind == "key" else self.live_holds_per_address
