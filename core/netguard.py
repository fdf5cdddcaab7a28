"""Requests to addresses that people type in (webhooks, staff members' calendars) go to
public addresses only, unless the operator allows private ones.

Otherwise whoever may type an address (an admin for a webhook, a staff member for their
own calendar) could make the server send requests inside its own network: to the cloud's
metadata service (169.254.169.254), to the database, to an admin port on loopback
(server-side request forgery, OWASP ASVS 5.2.6). Two checks, both needed:

- :func:`private_host` on the address as typed: an IP literal that is not public, or a
  name that is this machine or the local network by definition (``localhost``,
  ``*.local``, ...). aiohttp never asks a resolver about an IP literal, so this is the
  only check such an address gets; run it before every request, redirects included.
- :class:`PublicOnly`, the resolver of the connection: a name is resolved as usual and
  refused when any of its addresses is not public. It sees the addresses the connection
  really uses, so a name that later resolves inward (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

__all__ = ["PublicOnly", "is_public", "private_host"]

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


def is_public(address: str) -> bool:
    """Whether the IP ``address`` is reachable on the internet at large: not private,
    loopback, link-local, reserved, shared (CGNAT) or multicast; an IPv6 address that
    carries an IPv4 one (mapped, NAT64, 6to4, compatible) counts as that IPv4 one.
    Anything that is not an IP address is not public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    return ip.is_global and not ip.is_multicast


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to the same host, which is what must be
    public: IPv4-mapped (``::ffff:a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``: on an IPv6-only
    host behind NAT64, ``64:ff9b::a00:5`` reaches 10.0.0.5), 6to4 (``2002:AABB:CCDD::``)
    and the deprecated IPv4-compatible form (``::a.b.c.d``). Python 3.11 calls the last
    three global."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def private_host(host: str) -> bool:
    """Whether the host of an address (as :func:`urllib.parse.urlsplit` gives it) is
    private without asking DNS: a non-public IP literal, or a name of this machine or the
    local network."""
    host = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host == "localhost" or host.endswith(_LOCAL_SUFFIXES)
    return not is_public(host)


class PublicOnly(AbstractResolver):
    """Resolves as usual, then refuses a name with any non-public address by raising what
    ``refuse(host)`` makes (each user raises its own error)."""

    def __init__(self, refuse: Callable[[str], Exception]) -> None:
        self._inner = ThreadedResolver()
        self._refuse = refuse

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for entry in found:
            if not is_public(str(entry["host"])):
                raise self._refuse(host)
        return found

    async def close(self) -> None:
        await self._inner.close()
